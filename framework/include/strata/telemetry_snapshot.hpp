#pragma once
/// @file telemetry_snapshot.hpp
/// Everything the exporters see at one instant: every metric family with its samples, the derived
/// figures of the last minute, and health. Plain values: a snapshot is taken under a lock and then
/// read without one.

#include <strata/health.hpp>
#include <strata/stats.hpp>

#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace strata {

enum class metric_type { counter, gauge, histogram };

/// One label set of a family and its value.
struct metric_sample {
  std::vector<std::pair<std::string, std::string>> labels; ///< name → value, in the family's order
  double value = 0;                    ///< counters and gauges
  std::vector<std::uint64_t> buckets;  ///< histograms: per bucket, not cumulative; the last is +Inf
  std::uint64_t count = 0;             ///< histograms
  double sum = 0;                      ///< histograms
};

struct metric_family {
  std::string name; ///< Prometheus name, e.g. strata_cache_requests_total
  std::string help;
  metric_type type = metric_type::counter;
  std::vector<double> bounds; ///< histograms: bucket upper bounds, ascending
  std::vector<metric_sample> samples;
};

struct telemetry_snapshot {
  std::chrono::system_clock::time_point taken;
  std::vector<metric_family> metrics; ///< sorted by name
  runtime_stats stats;                ///< the last minute
  health_report health;
};

/// Where an exporter reads snapshots; thread-safe.
class telemetry_source {
public:
  virtual ~telemetry_source() = default;
  virtual telemetry_snapshot snapshot() const = 0;
};

} // namespace strata
