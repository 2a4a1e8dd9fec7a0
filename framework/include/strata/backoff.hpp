#pragma once
/// @file backoff.hpp
/// When to try an unreachable backend (a database) again: doubling waits between a floor and a
/// ceiling, back to the floor after a success. Not thread-safe; one per retrying thread.

#include <algorithm>
#include <chrono>

namespace strata {

class backoff {
public:
  using clock = std::chrono::steady_clock;

  backoff(std::chrono::milliseconds first, std::chrono::milliseconds ceiling) : first_(first), ceiling_(ceiling) {}

  /// Whether a try is due now.
  bool due(clock::time_point now = clock::now()) const { return now >= next_; }
  /// A try failed: the next is due after the current wait, which then doubles.
  void failed(clock::time_point now = clock::now()) {
    next_ = now + wait_;
    wait_ = std::min(ceiling_, wait_ * 2);
  }
  /// A try succeeded: the next failure waits the floor again.
  void succeeded() {
    wait_ = first_;
    next_ = {};
  }
  std::chrono::milliseconds wait() const { return wait_; }

private:
  std::chrono::milliseconds first_, ceiling_;
  std::chrono::milliseconds wait_ = first_;
  clock::time_point next_{};
};

} // namespace strata
