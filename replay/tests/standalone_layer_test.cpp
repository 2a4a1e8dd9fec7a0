// strata::standalone_layer: the runtime's loader and validation, outside a running deployment.
#include <strata/replay/trace_replay.hpp>

#include <strata/standalone_layer.hpp>

#include <catch2/catch.hpp>

using strata::config;
using strata::standalone_layer;

namespace {

std::string refusal(config cfg) {
  auto made = standalone_layer::create(std::move(cfg));
  return made ? "created" : made.err().message;
}

} // namespace

TEST_CASE("the replay's layer is the predictive plugin loaded from its file", "[replay][standalone]") {
  auto made = standalone_layer::create(strata::replay::lru_deployment(*strata::replay::parse_capacity("1MiB")));
  REQUIRE(made);
  auto& layer = **made;
  CHECK(layer.plugin_name() == "predictive");
  CHECK(layer.plugin_version() == "0.3.0");
  CHECK_THAT(layer.plugin_origin(), Catch::EndsWith("/libstrata_predictive.so"));
  strata::layer_hit hit;
  CHECK(layer.layer().put("ns", "k", "v", {}) == strata::status::ok);
  CHECK(layer.layer().get("ns", "k", hit) == strata::status::ok);
  CHECK(hit.value == "v");
}

TEST_CASE("a standalone layer is refused as the runtime refuses it", "[replay][standalone]") {
  config unknown = strata::replay::lru_deployment(*strata::replay::parse_capacity("1MiB"));
  unknown.layers[0].plugin = "nope";
  CHECK_THAT(refusal(unknown), Catch::Contains("layers[0].plugin: no plugin named 'nope'"));

  config bad_setting = strata::replay::lru_deployment(*strata::replay::parse_capacity("1MiB"));
  bad_setting.layers[0].settings["shards"] = "0";
  CHECK_THAT(refusal(bad_setting), Catch::Contains("layers[0].config.shards"));

  config unknown_key = strata::replay::lru_deployment(*strata::replay::parse_capacity("1MiB"));
  unknown_key.layers[0].settings["max_entires"] = "5";
  CHECK_THAT(refusal(unknown_key), Catch::Contains("max_entires"));
}

TEST_CASE("a standalone layer needs exactly one layer and nothing else", "[replay][standalone]") {
  config two = strata::replay::lru_deployment(*strata::replay::parse_capacity("1MiB"));
  two.layers.push_back(two.layers[0]);
  two.layers[1].name = "second";
  CHECK_THAT(refusal(two), Catch::Contains("exactly one layer"));
  CHECK_THAT(refusal(config{}), Catch::Contains("exactly one layer"));
}
