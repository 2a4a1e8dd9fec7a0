// The shared doubles keep the contract of what they stand for: the recording host that of the
// runtime's host (framework/src/instance_host.cpp), the loader that of the runtime's loader.

#include "support/plugin_library.hpp"
#include "support/recording_host.hpp"

#include <strata/plugin_host.hpp>

#include <catch2/catch.hpp>

#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

using namespace strata;
using testing::recording_host;

namespace {

/// What the host's `metric` says for a registration the plugin_host wrapper cannot express.
std::string refusal(const recording_host& host, int kind, const char* name, const char* label_name,
                    const char* label_value) {
  const char* names[] = {label_name};
  const char* values[] = {label_value};
  strata_metric_kind raw_kind;
  static_assert(sizeof raw_kind == sizeof kind);
  std::memcpy(&raw_kind, &kind, sizeof kind);
  char error[256] = {0};
  const auto* api = host.api();
  void* instrument = api->metric(api->host, raw_kind, name, nullptr, names, values, label_name ? 1 : 0, nullptr, 0,
                                 error, sizeof error);
  CHECK(instrument == nullptr);
  return error;
}

} // namespace

TEST_CASE("the recording host adds the label the runtime adds for each kind of plugin", "[support]") {
  CHECK(recording_host::instance_label(STRATA_PLUGIN_LAYER) == "cache_layer");
  CHECK(recording_host::instance_label(STRATA_PLUGIN_EXPORTER) == "exporter");
  CHECK(recording_host::instance_label(STRATA_PLUGIN_ALERT_HANDLER) == "handler");
  CHECK_THROWS_AS(recording_host::instance_label(STRATA_PLUGIN_EMBEDDER), std::invalid_argument);

  recording_host host{STRATA_PLUGIN_EXPORTER, "prom"};
  CHECK(host.label() == "exporter");
  CHECK(host.instance() == "prom");
  plugin_host plugin(host.api());
  plugin.counter("sent_total", "Sent.").inc(3);
  plugin.counter("sent_total", "Sent.").inc(); // the same instrument again
  plugin.gauge("queue", "Queued.", {{"stage", "out"}}).set(2.5);
  plugin.histogram("wait_seconds", "Waits.", {{"stage", "out"}}, {0.1, 1}).observe(0.5);
  plugin.histogram("latency_seconds", "Latency.").observe(0.002);

  CHECK(host.value("sent_total") == 4);
  CHECK(host.value("queue", {{"stage", "out"}}) == 2.5);
  CHECK_FALSE(host.value("queue").has_value()); // the plugin's labels are part of the sample
  CHECK_FALSE(host.value("missing").has_value());
  CHECK_FALSE(host.value("wait_seconds", {{"stage", "out"}}).has_value()); // a histogram has no value
  const auto wait = host.sample("wait_seconds", {{"stage", "out"}});
  REQUIRE(wait.has_value());
  CHECK(wait->buckets == std::vector<std::uint64_t>{0, 1, 0});
  CHECK(wait->count == 1);
  CHECK(wait->sum == 0.5);

  const auto families = host.metrics();
  REQUIRE(families.size() == 4);
  CHECK(families[0].name == "latency_seconds");
  CHECK(families[0].type == metric_type::histogram);
  CHECK(families[0].bounds == instruments::default_latency_buckets()); // no bounds: the default ones
  CHECK(families[1].name == "queue");
  CHECK(families[1].type == metric_type::gauge);
  CHECK(families[1].samples.at(0).labels == metric_labels{{"exporter", "prom"}, {"stage", "out"}});
  CHECK(families[2].name == "sent_total");
  CHECK(families[2].type == metric_type::counter);
  CHECK(families[2].samples.at(0).labels == metric_labels{{"exporter", "prom"}});
  CHECK(families[3].bounds == std::vector<double>{0.1, 1});
}

TEST_CASE("the recording host refuses what the runtime's host refuses, saying why", "[support]") {
  recording_host host{STRATA_PLUGIN_ALERT_HANDLER, "hook"};
  plugin_host plugin(host.api());
  CHECK_THROWS_WITH(plugin.counter("errors_total", "", {{"handler", "mine"}}),
                    "metric errors_total: label 'handler' is added by the host");
  CHECK_THROWS_WITH(plugin.counter("bad name", ""), Catch::Contains("not a valid Prometheus name"));
  plugin.counter("sent_total", "");
  CHECK_THROWS_WITH(plugin.gauge("sent_total", ""), "metric sent_total is already registered as a counter, not a gauge");
  CHECK(refusal(host, STRATA_METRIC_COUNTER, nullptr, nullptr, nullptr) == "no name given");
  CHECK(refusal(host, STRATA_METRIC_COUNTER, "x", "stage", nullptr) == "label 0 has no name or value");
  CHECK(refusal(host, 9, "x", nullptr, nullptr) == "unknown metric kind 9");
  char error[128] = {0};
  CHECK(host.api()->metric(host.api()->host, STRATA_METRIC_COUNTER, "x", nullptr, nullptr, nullptr, 2, nullptr, 0, error,
                           sizeof error) == nullptr);
  CHECK(std::string(error) == "2 labels declared, but no array of their names or values");
  // A layer's host adds cache_layer, and refuses it from the plugin.
  recording_host layer_host{STRATA_PLUGIN_LAYER, "hot"};
  CHECK(refusal(layer_host, STRATA_METRIC_GAUGE, "x", "cache_layer", "cold") ==
        "label 'cache_layer' is added by the host");
  CHECK(layer_host.metrics().empty());
}

TEST_CASE("the recording host keeps every log line and health report in order", "[support]") {
  recording_host host{STRATA_PLUGIN_LAYER, "hot"};
  const auto* api = host.api();
  api->log(api->host, STRATA_LOG_WARN, "slow");
  api->log(api->host, STRATA_LOG_DEBUG, nullptr);
  api->set_health(api->host, STRATA_HEALTH_WARNING, "backend slow");
  api->set_health(api->host, STRATA_HEALTH_HEALTHY, nullptr);

  const auto logs = host.logs();
  REQUIRE(logs.size() == 2);
  CHECK(logs[0].level == STRATA_LOG_WARN);
  CHECK(logs[0].message == "slow");
  CHECK(logs[1].level == STRATA_LOG_DEBUG);
  CHECK(logs[1].message.empty());
  const auto health = host.health();
  REQUIRE(health.size() == 2);
  CHECK(health[0].level == STRATA_HEALTH_WARNING);
  CHECK(health[0].detail == "backend slow");
  CHECK(health[1].level == STRATA_HEALTH_HEALTHY);
  CHECK(health[1].detail.empty());
}

TEST_CASE("the recording host takes calls from many threads at once", "[support]") {
  recording_host host{STRATA_PLUGIN_EXPORTER, "push"};
  const int threads = 8, rounds = 1000;
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&host, t] {
      plugin_host plugin(host.api());
      for (int i = 0; i < rounds; ++i) {
        plugin.counter("sent_total", "Sent.").inc();
        plugin.gauge("worker", "Per worker.", {{"worker", std::to_string(t)}}).add(1);
        plugin.histogram("wait_seconds", "Waits.").observe(0.001);
        plugin.log(log_level::info, "round");
        plugin.set_health(health_level::healthy, "");
      }
    });
  for (auto& w : workers)
    w.join();
  CHECK(host.value("sent_total") == threads * rounds);
  for (int t = 0; t < threads; ++t)
    CHECK(host.value("worker", {{"worker", std::to_string(t)}}) == rounds);
  CHECK(host.sample("wait_seconds")->count == static_cast<std::uint64_t>(threads * rounds));
  CHECK(host.logs().size() == static_cast<std::size_t>(threads * rounds));
  CHECK(host.health().size() == static_cast<std::size_t>(threads * rounds));
}

TEST_CASE("the loader fills schema defaults and creates only the kind it is asked for", "[support]") {
  const auto& d = testing::load_plugin("log");
  CHECK(testing::config_of(d, {}).values() == std::map<std::string, std::string>{{"min_severity", "info"}});
  CHECK(testing::config_of(d, {{"min_severity", "critical"}, {"extra", "1"}}).values() ==
        std::map<std::string, std::string>{{"extra", "1"}, {"min_severity", "critical"}});
  recording_host host{STRATA_PLUGIN_ALERT_HANDLER, "ops"};
  CHECK(testing::create_instance<alert_handler>(d, "ops", {}, host.api()) != nullptr);
  CHECK_THROWS_WITH(testing::create_instance<layer>(d, "ops", {}, host.api()), "plugin log is of kind 4, not 1");
  CHECK_THROWS_WITH(testing::load_plugin("no_such_plugin"), Catch::StartsWith("dlopen " +
                                                                              testing::plugin_path("no_such_plugin")));
}
