#pragma once
// Rolling windows over cumulative request counts: samples kept at three spacings (every sample for
// a minute, one a minute for an hour, one an hour for a day), and what a window derives from the
// newest sample and the oldest one inside it.

#include <strata/instruments.hpp>
#include <strata/stats.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <deque>
#include <string>
#include <vector>

namespace strata::telemetry {

/// get, put, erase, invalidate_tag, then the semantic and vector operations (ABI 1.2):
/// semantic_lookup, semantic_store, semantic_update, semantic_erase, vector_add, vector_search,
/// vector_update, vector_erase, and a layer's own commands (ABI 1.2): command.
inline constexpr std::size_t operation_count = 13;
inline constexpr std::size_t outcome_count = 7;   ///< strata::status values, in order

/// Cumulative counts of one source (a layer, or the runtime) at one moment.
struct totals {
  std::array<std::array<std::uint64_t, outcome_count>, operation_count> requests{};
  instruments::histogram::snapshot get_durations;
};

/// What one window says of one source.
using derived = window_stats;

/// The q-quantile (0..1) of the observations between two histogram snapshots, as Prometheus's
/// histogram_quantile interpolates it; 0 without observations.
double quantile(double q, const instruments::histogram::snapshot& from, const instruments::histogram::snapshot& to);

class windows {
public:
  using clock = std::chrono::steady_clock;

  /// Adds the cumulative totals of every source (always in the same order) taken at `at`.
  void add(clock::time_point at, std::vector<totals> sources);

  /// Per source, from the kept sample whose age is nearest `span` (the older on a tie) to the
  /// newest: about `span`, give or take a sample interval, or what is kept if less; `covered` says
  /// how long.
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
