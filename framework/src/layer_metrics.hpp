#pragma once
// The standard metrics of the runtime and of each layer, registered once; recording is a few
// relaxed atomic adds.

#include <strata/instruments.hpp>
#include <strata/metrics_registry.hpp>
#include <strata/status.hpp>

#include "windows.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace strata::detail {

enum class operation : std::uint8_t {
  get, put, erase, invalidate_tag,
  semantic_lookup, semantic_store, semantic_update, semantic_erase,
  vector_add, vector_search, vector_update, vector_erase, ///< batches count once, as add or search
  command, ///< a layer's own operation (runtime::layer_command), whatever its name
};
const char* to_string(operation op) noexcept;
using telemetry::operation_count;
using request_totals = telemetry::totals;
inline constexpr std::size_t status_count = telemetry::outcome_count;
/// Hits served by the first layer's read view are timed one in this many.
inline constexpr std::uint32_t view_timing_period = 64;

/// Where a thread starts counting its reads towards `view_timing_period`: consecutive threads far
/// apart (37 is prime to 64), and any 64 consecutive ones in 64 different places.
inline std::uint32_t view_timing_phase() noexcept {
  static std::atomic<std::uint32_t> threads{0};
  return threads.fetch_add(1, std::memory_order_relaxed) * 37 % view_timing_period;
}

/// Requests by operation and outcome, and their durations.
class request_metrics {
public:
  /// `requests_family` and `durations_family` get `label_names` plus `operation` (and `status`).
  request_metrics(telemetry::registry& registry, const std::string& requests_family,
                  const std::string& durations_family, const std::vector<std::string>& label_names,
                  const telemetry::label_values& values);

  void record(operation op, status outcome) noexcept {
    requests_[index(op)][static_cast<std::size_t>(outcome)]->inc();
  }
  void record(operation op, status outcome, std::chrono::nanoseconds took) noexcept {
    record(op, outcome);
    durations_[index(op)]->observe(std::chrono::duration<double>(took).count());
  }

  /// What the telemetry actor samples.
  request_totals totals() const;

private:
  static std::size_t index(operation op) noexcept { return static_cast<std::size_t>(op); }

  std::array<std::array<instruments::counter*, status_count>, operation_count> requests_{};
  std::array<instruments::histogram*, operation_count> durations_{};
};

/// What supervision saw go wrong with a layer.
enum class fault_type : std::uint8_t { exception, timeout, died };
inline constexpr std::size_t fault_type_count = 3;
const char* to_string(fault_type type) noexcept;

/// One layer's metrics: its requests, labelled `cache_layer`, and its supervision.
class layer_metrics : public request_metrics {
public:
  layer_metrics(telemetry::registry& registry, const std::string& layer);

  void failed(fault_type type) noexcept { errors_[static_cast<std::size_t>(type)]->inc(); }
  void restarted() noexcept { restarts_->inc(); }

  /// A get the coordinator asked of this layer (recorded before `record`): for layer 0, the gets
  /// its read view did not serve (a read with the TTL, the check of a conditional write, a view
  /// that threw). The telemetry actor takes them out of layer 0's figures to find the view's own
  /// hits, which alone are missing from the runtime's. Not exported.
  void routed_get(status outcome, std::chrono::nanoseconds took) noexcept {
    if (outcome == status::ok)
      routed_hits_.inc();
    routed_durations_.observe(std::chrono::duration<double>(took).count());
  }
  /// Those gets: their hits under `requests[get][ok]`, and all their durations.
  request_totals routed_gets() const;

private:
  std::array<instruments::counter*, fault_type_count> errors_{};
  instruments::counter* restarts_;
  instruments::counter routed_hits_;
  instruments::histogram routed_durations_; ///< the default latency buckets, as the exported one
};

/// The runtime's own counts: what the host asked and got, whichever layer answered.
std::unique_ptr<request_metrics> make_runtime_metrics(telemetry::registry& registry);

} // namespace strata::detail
