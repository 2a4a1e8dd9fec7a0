#pragma once
// What the runtime records interactions into for an observing layer (the diary): the observer of
// the layer's current instance, replaced at each restart, so that a new instance's commands (the
// diary's flush and count) see what is recorded since.

#include <strata/interaction.hpp>

#include <atomic>
#include <memory>

namespace strata::detail {

class observer_relay : public interaction_observer {
public:
  explicit observer_relay(std::shared_ptr<interaction_observer> first) : current_(std::move(first)) {}

  void record(const interaction& what) noexcept override {
    if (const auto observer = std::atomic_load_explicit(&current_, std::memory_order_acquire))
      observer->record(what);
  }

  /// Records into `next` from now on; returns the observer before, for the caller to release in a
  /// thread where its destructor may take its time (the diary's writes what it holds).
  std::shared_ptr<interaction_observer> replace(std::shared_ptr<interaction_observer> next) {
    return std::atomic_exchange_explicit(&current_, std::move(next), std::memory_order_acq_rel);
  }

private:
  std::shared_ptr<interaction_observer> current_;
};

} // namespace strata::detail
