#pragma once
// State the host threads and the coordinator share: layer health, layer 0's read view, the
// layers' calls in flight.

#include "calls_in_flight.hpp"
#include "observer_relay.hpp"
#include "view_slot.hpp"

#include <strata/health.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace strata::detail {

/// A layer that failed this many times without answering a request in between is critical, though
/// replaced: a warning would hide a plugin that fails every request.
constexpr std::uint32_t failures_in_a_row_critical = 3;

/// A layer that failed this many times within `flapping_window`, with answers between, is a
/// warning: each replacement serves again, but what faults it (a damaged row, a bad request shape)
/// keeps coming back, and `healthy` between would hide it. Failures in a row (a database away, each
/// new instance timing out) count once: once it answers again, it is healthy.
constexpr std::size_t failures_flapping = 3;
constexpr std::chrono::minutes flapping_window{10};
/// A layer that let a request time out (and kept its instance: slow, or behind) within this long
/// is a `warning`.
constexpr std::chrono::minutes late_window{1};

/// What is known of one layer's health: what supervision saw and what the layer reported.
struct layer_health_state {
  std::string name;
  bool faulted = false;  ///< supervision saw a fault and could not replace the instance yet
  /// Replaced after a fault; cleared by the new instance's first success. Layer 0's gets are
  /// mostly served by its read view, so for it this can last until a write reaches it.
  bool replaced = false;
  std::string fault;
  /// The failure that had the instance replaced, kept while restarts fail (`fault` then says why
  /// they fail): what a replaced layer's detail names once one succeeds.
  std::string replaced_for;
  /// Failures since the layer last answered a request: each replacement failing again.
  std::uint32_t failures_since_success = 0;
  health_level reported = health_level::healthy; ///< through strata_host_api::set_health
  std::string reported_detail;
  std::uint64_t failures = 0;
  std::uint64_t restarts = 0;
  std::string last_error;
  /// When each run of failures of the last `flapping_window` began (a run: failures with no answer
  /// between), oldest first.
  std::deque<std::chrono::steady_clock::time_point> recent_failures;
  /// Requests that timed out with the instance kept, since `late_since` (a run with less than
  /// `late_window` between them), and the last one's cause: a layer slow on every request is
  /// replaced by nothing, and read healthy.
  std::uint64_t late_requests = 0;
  std::chrono::steady_clock::time_point late_since{}, last_late{};
  std::string late_cause;

  /// Counts a failure that supervision saw, with its cause.
  void failed(const std::string& why, std::chrono::steady_clock::time_point now) {
    faulted = true;
    fault = why;
    replaced_for = why;
    ++failures;
    last_error = why;
    if (failures_since_success++ > 0)
      return;
    recent_failures.push_back(now);
    while (now - recent_failures.front() > flapping_window)
      recent_failures.pop_front();
  }

  /// Counts a request that timed out while the instance was kept.
  void late(const std::string& why, std::chrono::steady_clock::time_point now) {
    if (late_requests == 0 || now - last_late >= late_window) {
      late_requests = 0;
      late_since = now;
    }
    ++late_requests;
    last_late = now;
    late_cause = why;
  }

  layer_health view(std::chrono::steady_clock::time_point now) const {
    layer_health h{name, reported, reported_detail, failures, restarts, last_error};
    const auto failed_lately = static_cast<std::size_t>(
      recent_failures.end() - std::lower_bound(recent_failures.begin(), recent_failures.end(), now - flapping_window));
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
    } else if (failed_lately >= failures_flapping && h.level == health_level::healthy) {
      h.level = health_level::warning;
      h.detail = "failed " + std::to_string(failed_lately) + " times in the last " +
                 std::to_string(flapping_window.count()) + " min with answers between, replaced each time; the last: " +
                 fault;
    } else if (late_requests > 0 && now - last_late < late_window && h.level == health_level::healthy) {
      const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(last_late - late_since).count();
      h.level = health_level::warning;
      const std::string why = "(slow, or working through a backlog; the instance kept)";
      // One request has no span to be timed out in ("1 request timed out in 0 s").
      h.detail = late_requests == 1 ? "1 request timed out " + why + ": " + late_cause
                                    : std::to_string(late_requests) + " requests timed out in " +
                                        (seconds == 0 ? std::string("under 1") : std::to_string(seconds)) + " s " + why +
                                        ", the last: " + late_cause;
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
    const auto now = std::chrono::steady_clock::now();
    for (const auto& layer : layers_)
      out.push_back(layer.view(now));
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
  /// When a shutdown's drain ends (steady clock, ns since its epoch; 0 while running): from then
  /// the layer hosts answer what is left in their mailboxes `unavailable` without calling their
  /// instances, so that a backlog of slow calls does not hold the shutdown past
  /// `runtime.shutdown_timeout` by the sum of their times.
  std::atomic<std::int64_t> drain_ends_ns{0};
  /// Each observing layer's relay, by slot: set before the coordinator starts, read only after.
  /// Not owned: the runtime's list of observers owns them, and is gone before the plugins' hosts,
  /// which an observer's destructor may still use (this state outlives them).
  std::map<std::size_t, std::weak_ptr<observer_relay>> observer_relays;
};

} // namespace strata::detail
