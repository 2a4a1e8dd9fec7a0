// The runtime's host table (framework/src/instance_host.cpp), called as a plugin calls it: what a
// plugin passes wrongly is refused with a reason, never followed into memory.
#include "instance_host.hpp"

#include <strata/plugin_host.hpp>

#include <catch2/catch.hpp>

#include <string>

using strata::detail::instance_host;

TEST_CASE("the host refuses label arrays that are missing, rather than reading through them", "[host]") {
  strata::telemetry::registry registry;
  instance_host host("cache_layer", "hot", &registry, {}, nullptr);
  const auto* api = host.api();
  char error[128] = {0};
  CHECK(api->metric(api->host, STRATA_METRIC_COUNTER, "x_total", nullptr, nullptr, nullptr, 2, nullptr, 0, error,
                    sizeof error) == nullptr);
  CHECK(std::string(error) == "2 labels declared, but no array of their names or values");
  const char* names[] = {"stage"};
  CHECK(api->metric(api->host, STRATA_METRIC_COUNTER, "x_total", nullptr, names, nullptr, 1, nullptr, 0, error,
                    sizeof error) == nullptr);
  CHECK(std::string(error) == "1 labels declared, but no array of their names or values");
  // No labels: no arrays needed; no bounds: the default buckets.
  CHECK(api->metric(api->host, STRATA_METRIC_HISTOGRAM, "x_seconds", nullptr, nullptr, nullptr, 0, nullptr, 3, error,
                    sizeof error) != nullptr);
}

TEST_CASE("the SDK's host handle names the metric once in what the registry refuses", "[host]") {
  strata::telemetry::registry registry;
  instance_host host("cache_layer", "hot", &registry, {}, nullptr);
  strata::plugin_host plugin(host.api());
  plugin.counter("sent_total", "Sent.");
  CHECK_THROWS_WITH(plugin.gauge("sent_total", ""), "metric sent_total is already registered as a counter by layer 'hot', not a gauge");
  CHECK_THROWS_WITH(plugin.histogram("wait_seconds", "", {}, {1, 0.5}),
                    "metric wait_seconds: bucket bounds must be finite and strictly ascending");
  CHECK_THROWS_WITH(plugin.counter("y_total", "", {{"cache_layer", "x"}}), "metric y_total: label 'cache_layer' is added by the host");
}
