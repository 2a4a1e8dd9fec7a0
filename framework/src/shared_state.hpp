#pragma once
// State the host threads and the coordinator share: layer health, and layer 0's read view.

#include <strata/layer.hpp>
#include <strata/runtime.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace strata::detail {

/// Health of each layer; written by the coordinator on state changes only, read by `health()`.
class health_board {
public:
  explicit health_board(std::vector<layer_health> initial) : layers_(std::move(initial)) {}

  std::vector<layer_health> snapshot() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return layers_;
  }

  template <class F>
  void update(std::size_t index, F&& change) {
    std::lock_guard<std::mutex> guard(mutex_);
    change(layers_[index]);
  }

private:
  mutable std::mutex mutex_;
  std::vector<layer_health> layers_;
};

/// Layer 0's read view. The hot path loads one raw pointer; every view ever published is kept
/// until the runtime ends, so a reader never races a restart that replaces it.
class view_slot {
public:
  read_view* current() const noexcept { return current_.load(std::memory_order_acquire); }

  void publish(std::shared_ptr<read_view> view) {
    std::lock_guard<std::mutex> guard(mutex_);
    current_.store(view.get(), std::memory_order_release);
    if (view)
      kept_.push_back(std::move(view));
  }

private:
  std::atomic<read_view*> current_{nullptr};
  std::mutex mutex_;
  std::vector<std::shared_ptr<read_view>> kept_;
};

struct shared_state {
  explicit shared_state(std::vector<layer_health> initial) : health(std::move(initial)) {}
  health_board health;
  view_slot first_view;
};

} // namespace strata::detail
