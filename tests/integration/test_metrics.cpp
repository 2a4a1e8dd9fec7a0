// The standard per-layer metrics, as Prometheus text, after real requests through the runtime.
#include "runtime_fixture.hpp"

using namespace strata;
using strata::testing::start;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

} // namespace

TEST_CASE("requests are counted per layer, operation and outcome", "[metrics]") {
  auto rt = start("two_layers.yaml");
  REQUIRE(rt->put("k", "v") == status::ok);
  REQUIRE(rt->get("k").layer == "hot");       // served by the first layer's read view
  REQUIRE(rt->get("absent").code == status::not_found); // misses in hot, then in deep
  REQUIRE(rt->erase("k") == status::ok);
  const auto text = rt->prometheus_text();
  INFO(text);
  CHECK(has_line(text, R"(strata_cache_requests_total{cache_layer="hot",operation="get",status="hit"} 1)"));
  CHECK(has_line(text, R"(strata_cache_requests_total{cache_layer="hot",operation="get",status="miss"} 1)"));
  CHECK(has_line(text, R"(strata_cache_requests_total{cache_layer="deep",operation="get",status="miss"} 1)"));
  CHECK(has_line(text, R"(strata_cache_requests_total{cache_layer="deep",operation="get",status="hit"} 0)"));
  CHECK(has_line(text, R"(strata_cache_requests_total{cache_layer="hot",operation="put",status="ok"} 1)"));
  CHECK(has_line(text, R"(strata_cache_requests_total{cache_layer="deep",operation="put",status="ok"} 1)"));
  CHECK(has_line(text, R"(strata_cache_requests_total{cache_layer="deep",operation="erase",status="ok"} 1)"));
  // Durations are measured for every request the coordinator sends.
  CHECK(has_line(text, R"(strata_cache_operation_duration_seconds_count{cache_layer="deep",operation="get"} 1)"));
  CHECK(has_line(text, R"(strata_cache_operation_duration_seconds_count{cache_layer="deep",operation="put"} 1)"));
  CHECK(has_line(text, R"(strata_cache_layer_healthy{cache_layer="deep"} 1)"));
}

TEST_CASE("failures, restarts and health are exported", "[metrics]") {
  auto rt = start("fault_throw.yaml");
  REQUIRE(rt->get("elsewhere").code == status::internal);
  const auto text = rt->prometheus_text();
  INFO(text);
  CHECK(has_line(text, R"(strata_cache_requests_total{cache_layer="broken",operation="get",status="internal"} 1)"));
  CHECK(has_line(text, R"(strata_cache_layer_failures_total{cache_layer="broken"} 1)"));
  CHECK(has_line(text, R"(strata_cache_layer_restarts_total{cache_layer="broken"} 1)"));
  CHECK(has_line(text, R"(strata_cache_layer_healthy{cache_layer="broken"} 0)"));
  CHECK(has_line(text, R"(strata_cache_layer_healthy{cache_layer="hot"} 1)"));
}

TEST_CASE("metrics can be switched off", "[metrics]") {
  config cfg;
  cfg.runtime.metrics = false;
  layer_config hot;
  hot.name = "hot";
  hot.plugin = "predictive";
  cfg.layers.push_back(hot);
  auto rt = runtime::from_config(cfg);
  REQUIRE(rt);
  REQUIRE((*rt)->put("k", "v") == status::ok);
  CHECK((*rt)->get("k").value == "v");
  CHECK((*rt)->prometheus_text().empty());
}
