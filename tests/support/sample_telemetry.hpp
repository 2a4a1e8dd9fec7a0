#pragma once
// Shared test double: a telemetry source that returns a snapshot the test controls, filled by
// default with one family of each type, the derived figures of two layers, and health.

#include <strata/telemetry_snapshot.hpp>

#include <mutex>
#include <utility>

namespace strata::testing {

/// A snapshot with known values: strata_cache_requests_total (counter, cache_layer × operation ×
/// status), strata_cache_entries (gauge), strata_cache_operation_duration_seconds (histogram with
/// bounds 0.001, 0.01, 0.1), stats for layers "hot" (hit rate 0.75) and "deep" (0.5), health.
inline telemetry_snapshot sample_snapshot() {
  telemetry_snapshot s;
  s.taken = std::chrono::system_clock::time_point(std::chrono::seconds(1790000000));
  metric_family requests{"strata_cache_requests_total", "Requests by operation and outcome.", metric_type::counter, {}, {}};
  requests.samples.push_back({{{"cache_layer", "hot"}, {"operation", "get"}, {"status", "ok"}}, 30, {}, 0, 0});
  requests.samples.push_back({{{"cache_layer", "hot"}, {"operation", "get"}, {"status", "not_found"}}, 10, {}, 0, 0});
  requests.samples.push_back({{{"cache_layer", "deep"}, {"operation", "get"}, {"status", "ok"}}, 5, {}, 0, 0});
  metric_family entries{"strata_cache_entries", "Entries held.", metric_type::gauge, {}, {}};
  entries.samples.push_back({{{"cache_layer", "hot"}}, 1234, {}, 0, 0});
  metric_family durations{"strata_cache_operation_duration_seconds", "Time to answer.", metric_type::histogram,
                          {0.001, 0.01, 0.1}, {}};
  durations.samples.push_back({{{"cache_layer", "hot"}, {"operation", "get"}}, 0, {6, 3, 1, 0}, 10, 0.02});
  s.metrics = {entries, durations, requests}; // sorted by name
  s.stats.covered_seconds = 60;
  s.stats.overall = window_stats{"all", 40, 40, 30, 10, 0, 0.75, 0.25, 0, 0.67, 0.0005, 0.002, 0.009};
  s.stats.layers.push_back(window_stats{"hot", 40, 40, 30, 10, 0, 0.75, 0.25, 0, 0.67, 0.0004, 0.001, 0.008});
  s.stats.layers.push_back(window_stats{"deep", 10, 10, 5, 5, 0, 0.5, 0.5, 0, 0.17, 0.002, 0.005, 0.01});
  s.health.overall = health_level::warning;
  s.health.layers.push_back(layer_health{"hot", health_level::healthy, "", 0, 0, ""});
  s.health.layers.push_back(layer_health{"deep", health_level::warning, "backend slow", 1, 1, "timeout"});
  s.health.system.push_back(system_check{"rss", health_level::healthy, "RSS 100 MiB of 2 GiB", 104857600, 2147483648.0});
  return s;
}

/// Returns whatever the test last set; thread-safe.
class fixed_telemetry_source : public telemetry_source {
public:
  explicit fixed_telemetry_source(telemetry_snapshot s = sample_snapshot()) : snapshot_(std::move(s)) {}
  telemetry_snapshot snapshot() const override {
    std::lock_guard<std::mutex> guard(mutex_);
    return snapshot_;
  }
  void set(telemetry_snapshot s) {
    std::lock_guard<std::mutex> guard(mutex_);
    snapshot_ = std::move(s);
  }

private:
  mutable std::mutex mutex_;
  telemetry_snapshot snapshot_;
};

} // namespace strata::testing
