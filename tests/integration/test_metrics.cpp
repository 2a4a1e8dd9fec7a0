// The standard per-layer metrics, as Prometheus text, after real requests through the runtime.
#include "runtime_fixture.hpp"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

using namespace strata;
using strata::testing::eventually;
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
  CHECK(has_line(text, R"(strata_cache_layer_health{cache_layer="deep"} 0)"));
  // Derived when read, from the request counts.
  CHECK(has_line(text, R"(strata_cache_hits_total{cache_layer="hot"} 1)"));
  CHECK(has_line(text, R"(strata_cache_misses_total{cache_layer="hot"} 1)"));
  CHECK(has_line(text, R"(strata_cache_misses_total{cache_layer="deep"} 1)"));
  CHECK(has_line(text, R"(strata_health_status 0)"));
}

TEST_CASE("a layer's commands are counted under the operation command", "[metrics]") {
  auto rt = start("two_layers.yaml");
  REQUIRE(rt->layer_command("deep", "sleep").code == status::ok); // test_map's: sleeps its `hang`, 500 ms
  REQUIRE(rt->layer_command("deep", "explode").code == status::invalid);
  REQUIRE(rt->layer_command("nowhere", "sleep").code == status::invalid); // no layer: nothing to count
  const auto text = rt->prometheus_text();
  INFO(text);
  CHECK(has_line(text, R"(strata_cache_requests_total{cache_layer="deep",operation="command",status="ok"} 1)"));
  CHECK(has_line(text, R"(strata_cache_requests_total{cache_layer="deep",operation="command",status="invalid"} 1)"));
  CHECK(has_line(text, R"(strata_cache_operation_duration_seconds_count{cache_layer="deep",operation="command"} 2)"));
  CHECK(has_line(text, R"(strata_cache_requests_total{cache_layer="hot",operation="command",status="ok"} 0)"));
}

TEST_CASE("failures, restarts and health are exported", "[metrics]") {
  auto rt = start("fault_throw.yaml");
  REQUIRE(rt->get("elsewhere").code == status::internal);
  // The new instance starts once the replaced one has stopped.
  REQUIRE(strata::testing::eventually([&] { return rt->health().layers[1].restarts == 1; }));
  const auto text = rt->prometheus_text();
  INFO(text);
  CHECK(has_line(text, R"(strata_cache_requests_total{cache_layer="broken",operation="get",status="internal"} 1)"));
  CHECK(has_line(text, R"(strata_cache_layer_errors_total{cache_layer="broken",type="exception"} 1)"));
  CHECK(has_line(text, R"(strata_cache_layer_errors_total{cache_layer="broken",type="timeout"} 0)"));
  CHECK(has_line(text, R"(strata_cache_layer_restarts_total{cache_layer="broken"} 1)"));
  // Replaced after the fault: a warning until the new instance answers.
  CHECK(has_line(text, R"(strata_cache_layer_health{cache_layer="broken"} 1)"));
  CHECK(has_line(text, R"(strata_cache_layer_health{cache_layer="hot"} 0)"));
  CHECK(has_line(text, R"(strata_health_status 1)"));
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

TEST_CASE("stats name every layer, in each window, from the start", "[metrics][stats]") {
  // Before the telemetry actor first published, the layers were an empty list (a host's
  // stats().layers.at(0) right after the start threw), and every window said it was the minute.
  // The actor often publishes before start() returns: the unit test of the board is the sure one;
  // this one, that the runtime names the chain to it.
  auto rt = start("stats.yaml");
  for (const auto window : {stats_window::minute, stats_window::hour, stats_window::day}) {
    const auto s = rt->stats(window);
    CHECK(s.window == window);
    CHECK(s.overall.name == "all");
    REQUIRE(s.layers.size() == 2);
    CHECK(s.layers[0].name == "hot");
    CHECK(s.layers[1].name == "deep");
  }
}

TEST_CASE("stats derive rates, throughput and latency per layer and overall", "[metrics][stats]") {
  auto rt = start("stats.yaml");
  REQUIRE(rt->put("k", "v") == status::ok);
  REQUIRE(rt->get("k").layer == "hot");                 // a hit in hot, through its read view
  REQUIRE(rt->get("absent").code == status::not_found); // a miss in hot and in deep
  REQUIRE(eventually([&] { return rt->stats().overall.gets == 2; }));
  const auto s = rt->stats(stats_window::minute);
  CHECK(s.window == stats_window::minute);
  CHECK(s.covered_seconds > 0);
  CHECK(s.overall.name == "all");
  CHECK(s.overall.requests == 3);
  CHECK(s.overall.hits == 1);
  CHECK(s.overall.misses == 1);
  CHECK(s.overall.hit_rate == Approx(0.5));
  CHECK(s.overall.error_rate == 0);
  CHECK(s.overall.throughput > 0);
  REQUIRE(s.layers.size() == 2);
  CHECK(s.layers[0].name == "hot");
  CHECK(s.layers[0].gets == 2);
  CHECK(s.layers[0].hits == 1);
  CHECK(s.layers[1].name == "deep");
  CHECK(s.layers[1].gets == 1);
  CHECK(s.layers[1].misses == 1);
  CHECK(s.layers[1].miss_rate == Approx(1.0));
  CHECK(s.layers[1].p50_seconds > 0); // the coordinator timed its one get of deep
  CHECK(s.layers[1].p99_seconds >= s.layers[1].p50_seconds);
  CHECK(rt->stats(stats_window::day).overall.gets == 2);
}

TEST_CASE("first-layer hits spread over many threads with few gets each are timed too", "[metrics]") {
  // Each thread counted its reads from 0: 64 threads of 4 hits timed none, and the layer's
  // latency read 0 (seen over HTTP, whose workers share the gets).
  auto rt = start("stats.yaml");
  REQUIRE(rt->put("k", "v") == status::ok);
  std::atomic<int> hits{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 64; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 4; ++i)
        hits += rt->get("k").layer == "hot" ? 1 : 0;
    });
  for (auto& t : threads)
    t.join();
  REQUIRE(hits == 256);
  // 64 threads in a row start from 64 different phases: the four within four reads of the period
  // time one hit each.
  CHECK(has_line(rt->prometheus_text(),
                 R"(strata_cache_operation_duration_seconds_count{cache_layer="hot",operation="get"} 4)"));
}

TEST_CASE("gets the coordinator asks of the first layer count once overall, beside its view's hits", "[metrics][stats]") {
  // A read with the TTL reaches layer 0 through the coordinator, not its read view; it was counted
  // as a view hit too (overall hits above layer 0's). The checks of conditional writes reach it
  // the same way, and are no gets at all: they counted as the layer's hits, so that a refused
  // SET NX raised its hit rate.
  auto rt = start("stats.yaml");
  REQUIRE(rt->put("k", "v") == status::ok);
  REQUIRE(rt->get_with_ttl("k").code == status::ok);    // a host get, through the coordinator
  put_options nx;
  nx.condition = put_condition::if_absent;
  REQUIRE(rt->put("k", "w", nx) == status::rejected);    // a put: its check is no host get
  REQUIRE(rt->expire("k", std::chrono::minutes(5)) == status::ok); // a put, checked likewise
  REQUIRE(rt->get("k").layer == "hot");                  // a host get, through the read view
  REQUIRE(eventually([&] { return rt->stats().overall.requests == 5; }));
  const auto s = rt->stats();
  CHECK(s.layers[0].gets == 2); // the TTL read and the view's hit
  CHECK(s.layers[0].hits == 2);
  const auto text = rt->prometheus_text();
  CHECK(has_line(text, R"(strata_cache_requests_total{cache_layer="hot",operation="get",status="hit"} 2)"));
  CHECK(s.overall.gets == 2);
  CHECK(s.overall.hits == 2);
  CHECK(s.overall.requests == 5);
}

TEST_CASE("a loaded value is a miss of the cache, and errors are rated", "[metrics][stats]") {
  runtime_options options;
  options.loader = [](std::string_view, std::string_view key) -> std::optional<loaded_value> {
    return loaded_value{"loaded " + std::string(key), {}};
  };
  auto rt = start("stats.yaml", options);
  REQUIRE(rt->get("k").layer == "loader");
  REQUIRE(eventually([&] { return rt->stats().overall.gets == 1; }));
  CHECK(rt->stats().overall.misses == 1);
  CHECK(rt->stats().overall.hits == 0);
  auto broken = start("fault_throw.yaml");
  REQUIRE(broken->get("elsewhere").code == status::internal);
  REQUIRE(eventually([&] { return broken->stats().overall.gets == 1; }));
  CHECK(broken->stats().overall.errors == 1);
  CHECK(broken->stats().overall.error_rate == Approx(1.0));
  CHECK(broken->stats().layers[1].errors == 1);
}

TEST_CASE("the Prometheus text passes promtool check metrics", "[metrics][promtool]") {
  auto rt = start("fault_throw.yaml");
  REQUIRE(rt->put("k", "v") == status::ok);
  REQUIRE(rt->get("k").code == status::ok);
  REQUIRE(rt->get("elsewhere").code == status::internal);
  const auto [exit_status, output] = strata::testing::promtool_check_metrics(rt->prometheus_text(), STRATA_PROMTOOL);
  INFO(output);
  CHECK(exit_status == 0);
  CHECK(output.empty());
}

TEST_CASE("docs/metrics.md lists exactly the families the runtime exports, with their types", "[metrics][docs]") {
  // Every source of metrics at once: layers (standard and their own: predictive, semantic, vector,
  // global, diary), an exporter, an alert rule and handler, and the disk check.
  const auto files = std::filesystem::temp_directory_path() / ("strata-metrics-" + std::to_string(::getpid()));
  struct remove_files {
    std::filesystem::path dir;
    ~remove_files() { std::filesystem::remove_all(dir); }
  } cleanup{files};
  auto rt = strata::testing::start_yaml(R"(
runtime: {stats_interval: 20ms}
health: {data_dir: /tmp}
layers:
  - {name: hot, plugin: predictive, config: {expiry_interval: 10ms}}
  - {name: deep, plugin: test_map}
  - {name: meaning, plugin: semantic, write: around, promote: false, embedder: lexical}
  - {name: vectors, plugin: vector, write: around, promote: false}
  - {name: shared, plugin: global, config: {sqlite_path: ")" + (files / "global.sqlite3").string() + R"("}}
  - {name: diary, plugin: diary, config: {sqlite_path: ")" + (files / "diary.sqlite3").string() + R"("}}
embedders:
  - {name: lexical, plugin: lexical_hash}
exporters:
  - {name: file, plugin: test_exporter, config: {path: /dev/null}}
alerts:
  rules:
    - {name: any, value: hit_rate, comparison: ">", threshold: 2}
  handlers:
    - {name: recorder, plugin: test_alert_recorder, config: {path: /dev/null}}
)");
  rt->put("k", "v");
  rt->get("k");
  REQUIRE(strata::testing::eventually(
    [&] { return rt->prometheus_text().find("strata_cache_entries{") != std::string::npos; }));

  std::map<std::string, std::string> exported; // name → type
  std::istringstream text(rt->prometheus_text());
  for (std::string line; std::getline(text, line);)
    if (line.rfind("# TYPE ", 0) == 0) {
      std::istringstream fields(line.substr(7));
      std::string name, type;
      fields >> name >> type;
      exported[name] = type;
    }

  std::map<std::string, std::string> documented;
  std::ifstream doc(std::string(STRATA_SOURCE_DIR) + "/docs/metrics.md");
  REQUIRE(doc);
  for (std::string line; std::getline(doc, line);) {
    if (line.rfind("| `", 0) != 0)
      continue;
    const auto name_end = line.find('`', 3);
    const auto type_start = line.find("| ", name_end) + 2;
    documented[line.substr(3, name_end - 3)] = line.substr(type_start, line.find(' ', type_start) - type_start);
  }
  CHECK(exported == documented);
}
