#pragma once
/// @file stats.hpp
/// What `runtime::stats` returns: figures derived from the standard metrics over rolling windows.

#include <cstdint>
#include <string>
#include <vector>

namespace strata {

/// The spans `runtime::stats` derives figures over.
enum class stats_window { minute, hour, day };

/// What one window says of a layer, or of the runtime as a whole.
struct window_stats {
  std::string name;           ///< the layer, or "all" for what hosts asked of the runtime
  std::uint64_t requests = 0; ///< every operation
  std::uint64_t gets = 0;
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;   ///< for "all": gets the layers could not answer (loaded or not)
  std::uint64_t errors = 0;   ///< unavailable, timeout and internal outcomes
  double hit_rate = 0;        ///< hits / gets; 0 without gets (`gets` tells none from zero)
  double miss_rate = 0;       ///< misses / gets; 0 without gets
  double error_rate = 0;      ///< errors / requests; 0 without requests
  double throughput = 0;      ///< requests per second
  /// Get latency, interpolated within histogram buckets; 0 without gets, and also with gets when
  /// none of them was timed: the first layer's gets served in the caller's thread (its read view)
  /// are timed only when they hit, one in 64 per thread, so its figures (and, when every get was
  /// such a hit, the overall ones) can be 0 while `gets` is not (docs/metrics.md).
  double p50_seconds = 0;
  double p95_seconds = 0;
  double p99_seconds = 0;
};

/// Figures over one window, as of the telemetry actor's last sample (zeros, every layer named,
/// until its first).
struct runtime_stats {
  stats_window window = stats_window::minute;
  double covered_seconds = 0; ///< less than the window while the runtime is younger than it
  window_stats overall;
  std::vector<window_stats> layers; ///< in chain order
};

} // namespace strata
