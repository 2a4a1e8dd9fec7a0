#pragma once
/// @file paced_lines.hpp
/// When to log a failure that may repeat at every request or publish (a layer answering
/// `internal`, an exporter whose publish fails every 200 ms): one line a second at most, the next
/// line written saying how many were not. A success after failures is a line too, within the same
/// pace: without it, the failures held back last were never told when no failure came after them.
/// Not thread-safe: one per actor, or under the caller's lock.

#include <chrono>
#include <cstddef>
#include <optional>

namespace strata {

class paced_lines {
public:
  using clock = std::chrono::steady_clock;

  /// A failure: if its line is to be written now, how many failures were not written since the
  /// last line (to be told in it).
  std::optional<std::size_t> failure(clock::time_point now = clock::now()) {
    failing_ = true;
    if (!due(now)) {
      ++held_;
      return std::nullopt;
    }
    return wrote(now);
  }

  /// A success: if a line saying that failures ended is to be written now (one came since the last
  /// such line, and the last line was a second ago or more: what fails every other time still
  /// writes a line a second at most), how many failures were not written since the last line.
  std::optional<std::size_t> success(clock::time_point now = clock::now()) {
    if (!failing_ || !due(now))
      return std::nullopt;
    failing_ = false;
    return wrote(now);
  }

  /// Failures not written since the last line, nor told by a later one: what to tell at a stop,
  /// when no line will come after.
  std::size_t untold() const noexcept { return held_; }

private:
  bool due(clock::time_point now) const { return !written_ || now - *written_ >= std::chrono::seconds(1); }
  std::size_t wrote(clock::time_point now) {
    written_ = now;
    const auto held = held_;
    held_ = 0;
    return held;
  }

  std::optional<clock::time_point> written_; ///< the last line
  std::size_t held_ = 0;                     ///< failures since, not written
  bool failing_ = false;                     ///< a failure came since the last success told
};

} // namespace strata
