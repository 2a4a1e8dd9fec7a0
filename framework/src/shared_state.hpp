#pragma once
// State the host threads and the coordinator share: layer health, layer 0's read view, the
// layers' calls in flight.

#include "calls_in_flight.hpp"
#include "view_slot.hpp"

#include <strata/health.hpp>

#include <mutex>
#include <string>
#include <vector>

namespace strata::detail {

/// A layer that failed this many times without answering a request in between is critical, though
/// replaced: a warning would hide a plugin that fails every request.
constexpr std::uint32_t failures_in_a_row_critical = 3;

/// What is known of one layer's health: what supervision saw and what the layer reported.
struct layer_health_state {
  std::string name;
  bool faulted = false;  ///< supervision saw a fault and could not replace the instance yet
  /// Replaced after a fault; cleared by the new instance's first success. Layer 0's gets are
  /// mostly served by its read view, so for it this can last until a write reaches it.
  bool replaced = false;
  std::string fault;
  /// Failures since the layer last answered a request: each replacement failing again.
  std::uint32_t failures_since_success = 0;
  health_level reported = health_level::healthy; ///< through strata_host_api::set_health
  std::string reported_detail;
  std::uint64_t failures = 0;
  std::uint64_t restarts = 0;
  std::string last_error;

  layer_health view() const {
    layer_health h{name, reported, reported_detail, failures, restarts, last_error};
    if (faulted && h.level != health_level::critical) {
      h.level = health_level::critical;
      h.detail = fault;
    } else if (replaced && failures_since_success >= failures_in_a_row_critical) {
      // Replacing it does not help: what it serves is gone, whatever the spacing of its failures.
      h.level = health_level::critical;
      h.detail = "failed " + std::to_string(failures_since_success) + " times in a row, replaced each time: " + fault;
    } else if (replaced && h.level == health_level::healthy) {
      h.level = health_level::warning;
      h.detail = "replaced after: " + fault;
    }
    return h;
  }
};

/// Health of each layer; written on state changes only (by the coordinator and by layers through
/// the host API), read by `health()`.
class health_board {
public:
  explicit health_board(std::vector<layer_health_state> initial) : layers_(std::move(initial)) {}

  std::vector<layer_health> snapshot() const {
    std::lock_guard<std::mutex> guard(mutex_);
    std::vector<layer_health> out;
    for (const auto& layer : layers_)
      out.push_back(layer.view());
    return out;
  }

  template <class F>
  void update(std::size_t index, F&& change) {
    std::lock_guard<std::mutex> guard(mutex_);
    change(layers_[index]);
  }

private:
  mutable std::mutex mutex_;
  std::vector<layer_health_state> layers_;
};

struct shared_state {
  explicit shared_state(std::vector<layer_health_state> initial) : health(std::move(initial)) {}
  health_board health;
  view_slot first_view;
  calls_in_flight calls;
};

} // namespace strata::detail
