#pragma once
// Shared test helper: checks that two telemetry snapshots agree field by field, so that a failure
// names the field (the snapshot types have no operator==, and need none outside tests).

#include <strata/telemetry_snapshot.hpp>

#include <catch2/catch.hpp>

namespace strata::testing {

inline void check_equal(const window_stats& a, const window_stats& b) {
  INFO("window stats " << b.name);
  CHECK(a.name == b.name);
  CHECK(a.requests == b.requests);
  CHECK(a.gets == b.gets);
  CHECK(a.hits == b.hits);
  CHECK(a.misses == b.misses);
  CHECK(a.errors == b.errors);
  CHECK(a.hit_rate == b.hit_rate);
  CHECK(a.miss_rate == b.miss_rate);
  CHECK(a.error_rate == b.error_rate);
  CHECK(a.throughput == b.throughput);
  CHECK(a.p50_seconds == b.p50_seconds);
  CHECK(a.p95_seconds == b.p95_seconds);
  CHECK(a.p99_seconds == b.p99_seconds);
}

inline void check_equal(const health_report& a, const health_report& b) {
  CHECK(a.overall == b.overall);
  REQUIRE(a.layers.size() == b.layers.size());
  for (std::size_t i = 0; i < a.layers.size(); ++i) {
    INFO("health.layers[" << i << "]");
    CHECK(a.layers[i].name == b.layers[i].name);
    CHECK(a.layers[i].level == b.layers[i].level);
    CHECK(a.layers[i].detail == b.layers[i].detail);
    CHECK(a.layers[i].failures == b.layers[i].failures);
    CHECK(a.layers[i].restarts == b.layers[i].restarts);
    CHECK(a.layers[i].last_error == b.layers[i].last_error);
  }
  REQUIRE(a.system.size() == b.system.size());
  for (std::size_t i = 0; i < a.system.size(); ++i) {
    INFO("health.system[" << i << "]");
    CHECK(a.system[i].name == b.system[i].name);
    CHECK(a.system[i].level == b.system[i].level);
    CHECK(a.system[i].detail == b.system[i].detail);
    CHECK(a.system[i].value == b.system[i].value);
    CHECK(a.system[i].limit == b.system[i].limit);
  }
}

inline void check_equal(const metric_family& a, const metric_family& b) {
  INFO("metric family " << b.name);
  CHECK(a.name == b.name);
  CHECK(a.help == b.help);
  CHECK(a.type == b.type);
  CHECK(a.bounds == b.bounds);
  REQUIRE(a.samples.size() == b.samples.size());
  for (std::size_t i = 0; i < a.samples.size(); ++i) {
    INFO("samples[" << i << "]");
    CHECK(a.samples[i].labels == b.samples[i].labels);
    CHECK(a.samples[i].value == b.samples[i].value);
    CHECK(a.samples[i].buckets == b.samples[i].buckets);
    CHECK(a.samples[i].count == b.samples[i].count);
    CHECK(a.samples[i].sum == b.samples[i].sum);
  }
}

/// Exact comparison, doubles included: the JSON format promises that finite doubles read back equal.
inline void check_equal(const telemetry_snapshot& a, const telemetry_snapshot& b) {
  CHECK(a.taken == b.taken);
  CHECK(a.stats.window == b.stats.window);
  CHECK(a.stats.covered_seconds == b.stats.covered_seconds);
  check_equal(a.stats.overall, b.stats.overall);
  REQUIRE(a.stats.layers.size() == b.stats.layers.size());
  for (std::size_t i = 0; i < a.stats.layers.size(); ++i)
    check_equal(a.stats.layers[i], b.stats.layers[i]);
  check_equal(a.health, b.health);
  REQUIRE(a.metrics.size() == b.metrics.size());
  for (std::size_t i = 0; i < a.metrics.size(); ++i)
    check_equal(a.metrics[i], b.metrics[i]);
}

} // namespace strata::testing
