#pragma once
// Rolling windows over cumulative request counts: samples kept at three spacings (every sample for
// a minute, one a minute for an hour, one an hour for a day), and what a window derives from the
// newest sample and the oldest one inside it.

#include <strata/instruments.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace strata::telemetry {

inline constexpr std::size_t operation_count = 4; ///< get, put, erase, invalidate_tag
inline constexpr std::size_t outcome_count = 7;   ///< strata::status values, in order

/// Cumulative counts of one source (a layer, or the runtime) at one moment.
struct totals {
  std::array<std::array<std::uint64_t, outcome_count>, operation_count> requests{};
  instruments::histogram::snapshot get_durations;
};

/// What one window says of one source.
struct derived {
  std::string name;
  std::uint64_t requests = 0; ///< every operation
  std::uint64_t gets = 0;
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::uint64_t errors = 0; ///< unavailable, timeout, internal, of any operation
  double hit_rate = 0;      ///< hits / gets
  double miss_rate = 0;     ///< misses / gets
  double error_rate = 0;    ///< errors / requests
  double throughput = 0;    ///< requests per second
  double p50_seconds = 0;   ///< of gets, interpolated within histogram buckets
  double p95_seconds = 0;
  double p99_seconds = 0;
};

/// The q-quantile (0..1) of the observations between two histogram snapshots, as Prometheus's
/// histogram_quantile interpolates it; 0 without observations.
double quantile(double q, const instruments::histogram::snapshot& from, const instruments::histogram::snapshot& to);

class windows {
public:
  using clock = std::chrono::steady_clock;

  /// Adds the cumulative totals of every source (always in the same order) taken at `at`.
  void add(clock::time_point at, std::vector<totals> sources);

  /// Per source, over the last `span` (or over what is kept, if less); `covered` says how long.
  std::vector<derived> over(std::chrono::seconds span, const std::vector<std::string>& names,
                            double& covered_seconds) const;

private:
  struct sample {
    clock::time_point at;
    std::vector<totals> sources;
  };
  std::deque<sample> every_;   ///< every sample of the last minute
  std::deque<sample> minutes_; ///< one a minute, for an hour
  std::deque<sample> hours_;   ///< one an hour, for a day
};

} // namespace strata::telemetry
