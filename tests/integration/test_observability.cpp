// Telemetry through the real runtime: metrics plugins register through the host, health levels
// and system checks, alert rules delivered to handler plugins and the host's callback, exporter
// plugins on their schedule, and the log. Every plugin here is a real .so opened with dlopen.

#include "runtime_fixture.hpp"
#include "support/scratch_dir.hpp"

#include <strata/runtime.hpp>

#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <regex>
#include <sstream>
#include <thread>
#include <unistd.h>

using namespace strata;
using strata::testing::eventually;
using strata::testing::start_yaml;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line)
      return true;
  return false;
}

/// A fresh file name under the system's temporary directory, removed at the end of the test.
struct temp_file {
  std::string path;
  temp_file() {
    static int n = 0;
    path = (std::filesystem::temp_directory_path() /
            ("strata_obs_" + std::to_string(::getpid()) + "_" + std::to_string(n++))).string();
    std::filesystem::remove(path);
  }
  ~temp_file() { std::filesystem::remove(path); }
  std::vector<std::string> lines() const {
    std::ifstream in(path);
    std::vector<std::string> out;
    for (std::string l; std::getline(in, l);)
      out.push_back(l);
    return out;
  }
};

} // namespace

TEST_CASE("a layer's own metrics, registered through the host, are exported with its label", "[observability]") {
  auto rt = start_yaml(R"(
layers:
  - name: hot
    plugin: predictive
    config: {max_entries: 4, shards: 1, expiry_interval: 10ms}
  - name: deep
    plugin: test_map
    config: {metric: strata_test_gets_total}
)");
  for (int i = 0; i < 6; ++i)
    REQUIRE(rt->put("k" + std::to_string(i), "v") == status::ok);
  REQUIRE(rt->get("k0").layer == "deep"); // evicted from hot, so deep answers
  // The predictive layer copies its figures out on each maintenance pass. Four entries before the
  // get's promotion of k0 as after it: its third eviction may come a pass later.
  CHECK(eventually([&] {
    const auto text = rt->prometheus_text();
    return has_line(text, R"(strata_cache_entries{cache_layer="hot"} 4)") &&
           has_line(text, R"(strata_cache_evictions_total{cache_layer="hot",reason="capacity"} 3)");
  }));
  const auto text = rt->prometheus_text();
  INFO(text);
  CHECK(has_line(text, R"(strata_cache_evictions_total{cache_layer="hot",reason="expired"} 0)"));
  CHECK(has_line(text, R"(strata_test_gets_total{cache_layer="deep",kind="get"} 1)"));
  const auto bytes = text.substr(text.find("\nstrata_cache_size_bytes{cache_layer=\"hot\"} ") + 44);
  // Set after the figures in a maintenance pass: the detail may still be the pass before's.
  const auto detail = "4 entries, " + bytes.substr(0, bytes.find('\n')) + " bytes";
  CHECK(eventually([&] { return rt->health().layers[0].detail == detail; }));
}

TEST_CASE("a metric the host refuses stops the start, naming the layer and the reason", "[observability]") {
  auto parsed = parse_config("layers:\n  - {name: deep, plugin: test_map, config: {metric: 'bad name'}}\n", "x.yaml");
  REQUIRE(parsed.ok());
  auto rt = runtime::from_config(*parsed.effective);
  REQUIRE_FALSE(rt);
  CHECK_THAT(rt.err().message, Catch::Contains("layer 'deep'") &&
                                 Catch::Contains("metric bad name: metric name 'bad name' is not a valid Prometheus name"));
}

TEST_CASE("a layer's reported health and the system checks make up the overall status", "[observability][health]") {
  SECTION("a layer reports warning") {
    auto rt = start_yaml("layers:\n  - {name: deep, plugin: test_map, config: {health: warning}}\n");
    const auto h = rt->health();
    CHECK(h.overall == health_level::warning);
    CHECK(h.layers[0].level == health_level::warning);
    CHECK(h.layers[0].detail == "configured to warn");
    CHECK(h.system.empty()); // no check configured
    CHECK(has_line(rt->prometheus_text(), R"(strata_cache_layer_health{cache_layer="deep"} 1)"));
    CHECK(has_line(rt->prometheus_text(), "strata_health_status 1"));
  }
  SECTION("resident memory above its limit is critical") {
    auto rt = start_yaml("health: {max_rss: 1MiB}\nlayers:\n  - {name: hot, plugin: predictive}\n");
    const auto h = rt->health();
    REQUIRE(h.system.size() == 1);
    CHECK(h.system[0].name == "rss");
    CHECK(h.system[0].level == health_level::critical);
    CHECK(h.system[0].value > h.system[0].limit);
    CHECK_THAT(h.system[0].detail, Catch::Contains("of a 1.0 MiB limit"));
    CHECK(h.overall == health_level::critical);
  }
  SECTION("free disk below the minimum is critical, below twice it a warning") {
    auto rt = start_yaml("health: {data_dir: /tmp, min_free_disk: 1000000GiB}\nlayers:\n  - {name: hot, plugin: predictive}\n");
    auto h = rt->health();
    REQUIRE(h.system.size() == 1);
    CHECK(h.system[0].name == "disk");
    CHECK(h.system[0].level == health_level::critical);
    CHECK(h.overall == health_level::critical);
    const auto text = rt->prometheus_text();
    CHECK(text.find("\nstrata_data_dir_free_bytes ") != std::string::npos);
    CHECK(text.find("\nstrata_process_resident_memory_bytes ") != std::string::npos);
  }
  SECTION("a data directory that is not there is refused at start, and critical once gone") {
    // A typo would otherwise start a deployment that is critical from its first second.
    CHECK(strata::testing::start_error("health: {data_dir: /no/such/dir, min_free_disk: 1MiB}\n"
                                       "layers:\n  - {name: hot, plugin: predictive}\n") ==
          "inline.yaml:1:20: health.data_dir: '/no/such/dir' is not a directory; expected the one whose disk the "
          "health check watches");
    strata::test::scratch_dir dir;
    const auto data = dir.path / "data";
    std::filesystem::create_directory(data);
    auto rt = start_yaml("health: {data_dir: " + data.string() + ", min_free_disk: 1MiB}\nlayers:\n  - {name: hot, plugin: predictive}\n");
    CHECK(rt->health().overall == health_level::healthy);
    std::filesystem::remove(data);
    const auto h = rt->health();
    REQUIRE(h.system.size() == 1);
    CHECK(h.system[0].level == health_level::critical);
    CHECK_THAT(h.system[0].detail, Catch::Contains(data.string()));
  }
  SECTION("a data directory without a minimum is watched too, and critical once gone") {
    strata::test::scratch_dir dir;
    const auto data = dir.path / "data";
    std::filesystem::create_directory(data);
    auto rt = start_yaml("health: {data_dir: " + data.string() + "}\nlayers:\n  - {name: hot, plugin: predictive}\n");
    auto h = rt->health();
    REQUIRE(h.system.size() == 1);
    CHECK(h.system[0].name == "disk");
    CHECK(h.system[0].level == health_level::healthy);
    CHECK_THAT(h.system[0].detail, Catch::EndsWith("free in " + data.string() + ", no minimum set"));
    std::filesystem::remove(data);
    h = rt->health();
    REQUIRE(h.system.size() == 1);
    CHECK(h.system[0].level == health_level::critical);
    CHECK(h.overall == health_level::critical);
    CHECK(h.system[0].detail == "cannot read the file system of " + data.string());
  }
}

TEST_CASE("an alert fires after its `for`, escalates, is acknowledged and resolves", "[observability][alerts]") {
  temp_file recorded;
  std::mutex mutex;
  std::vector<alert_event> seen;
  runtime_options options;
  options.on_alert = [&](const alert_event& e) {
    std::lock_guard<std::mutex> guard(mutex);
    seen.push_back(e);
  };
  auto rt = start_yaml(R"(
runtime: {stats_interval: 20ms}
layers:
  - {name: hot, plugin: predictive}
alerts:
  rules:
    - {name: low_hit_rate, value: hit_rate, layer: hot, comparison: "<", threshold: 0.5, for: 60ms,
       severity: warning, escalate_after: 100ms, escalate_to: critical}
  handlers:
    - {name: recorder, plugin: test_alert_recorder, config: {path: ")" + recorded.path + R"("}}
)", std::move(options));
  auto events = [&] {
    std::lock_guard<std::mutex> guard(mutex);
    return seen;
  };
  CHECK(rt->alerts().empty()); // no gets yet: no hit rate, no alert
  for (int i = 0; i < 20; ++i)
    rt->get("absent" + std::to_string(i));
  REQUIRE(eventually([&] { return events().size() >= 2; }));
  auto e = events();
  CHECK(e[0].rule == "low_hit_rate");
  CHECK(e[0].transition == alert_transition::firing);
  CHECK(e[0].severity == alert_severity::warning);
  CHECK(e[0].subject == "hot");
  CHECK(e[0].value == 0.0);
  CHECK(e[0].summary == "hit_rate of hot is 0 < 0.5 for 60ms");
  CHECK(e[1].transition == alert_transition::escalated);
  CHECK(e[1].severity == alert_severity::critical);
  const auto active = rt->alerts();
  REQUIRE(active.size() == 1);
  CHECK(active[0].last.severity == alert_severity::critical);
  CHECK_FALSE(active[0].acknowledged);
  CHECK(rt->acknowledge_alert("low_hit_rate"));
  CHECK(rt->alerts()[0].acknowledged);
  CHECK_FALSE(rt->acknowledge_alert("no_such_rule"));
  CHECK(has_line(rt->prometheus_text(), R"(strata_alerts_firing{rule="low_hit_rate",severity="critical"} 1)"));
  // The severity it left reads 0 (not absent): a StatsD gauge keeps the last value it was sent.
  CHECK(has_line(rt->prometheus_text(), R"(strata_alerts_firing{rule="low_hit_rate",severity="warning"} 0)"));

  rt->put("k", "v");
  for (int i = 0; i < 200; ++i)
    rt->get("k");
  REQUIRE(eventually([&] { return events().size() >= 3; }));
  CHECK(events()[2].transition == alert_transition::resolved);
  CHECK(rt->alerts().empty());
  CHECK(rt->alert_history().size() == 3);
  const auto text = rt->prometheus_text();
  CHECK(has_line(text, R"(strata_alert_events_total{rule="low_hit_rate",transition="firing"} 1)"));
  CHECK(has_line(text, R"(strata_alert_events_total{rule="low_hit_rate",transition="resolved"} 1)"));
  CHECK(has_line(text, R"(strata_alerts_firing{rule="low_hit_rate",severity="critical"} 0)"));
  CHECK(has_line(text, R"(strata_alerts_firing{rule="low_hit_rate",severity="warning"} 0)"));
  // The handler plugin got the same events, in order.
  REQUIRE(eventually([&] { return recorded.lines().size() == 3; }));
  CHECK(recorded.lines() == std::vector<std::string>{"low_hit_rate firing warning", "low_hit_rate escalated critical",
                                                     "low_hit_rate resolved critical"});
}

TEST_CASE("an alert on a metric sums the samples its labels select, and a failing handler is counted",
          "[observability][alerts]") {
  auto rt = start_yaml(R"(
runtime: {stats_interval: 20ms}
layers:
  - {name: hot, plugin: predictive}
  - {name: broken, plugin: test_map, config: {fail: throw_on_get}}
alerts:
  rules:
    - {name: layer_faults, value: strata_cache_layer_errors_total, labels: {type: exception},
       comparison: ">", threshold: 0, severity: critical}
  handlers:
    - {name: flaky, plugin: test_alert_recorder, config: {path: /dev/null, fail: true}}
)");
  CHECK(rt->get("k").code == status::internal);
  REQUIRE(eventually([&] { return rt->alerts().size() == 1; }));
  CHECK(rt->alerts()[0].last.value == 1.0);
  CHECK(rt->alerts()[0].last.subject == "type=exception"); // the samples its labels select
  CHECK(rt->alerts()[0].last.summary.rfind("strata_cache_layer_errors_total of type=exception is 1 > 0", 0) == 0);
  CHECK(eventually([&] {
    return has_line(rt->prometheus_text(), R"(strata_alert_handler_errors_total{handler="flaky"} 1)");
  }));
}

TEST_CASE("an alert does not fire again within its cooldown", "[observability][alerts]") {
  auto rt = start_yaml(R"(
runtime: {stats_interval: 20ms}
layers:
  - {name: hot, plugin: predictive}
alerts:
  rules:
    - {name: errors, value: strata_cache_requests_total, labels: {status: miss}, comparison: ">", threshold: 0,
       cooldown: 1h}
)");
  rt->get("absent");
  REQUIRE(eventually([&] { return rt->alerts().size() == 1; }));
  // The condition holds forever (a counter never goes down); it fired once and stays firing.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(rt->alert_history().size() == 1);
}

TEST_CASE("exporters publish on their period, on demand and at shutdown, and a failing one is counted",
          "[observability][exporters]") {
  temp_file periodic, on_demand;
  auto rt = start_yaml(R"(
layers:
  - {name: hot, plugin: predictive}
exporters:
  - {name: every20ms, plugin: test_exporter, config: {path: ")" + periodic.path + R"(", interval: 20ms}}
  - {name: manual, plugin: test_exporter, config: {path: ")" + on_demand.path + R"("}}
  - {name: broken, plugin: test_exporter, config: {path: /dev/null, interval: 20ms, fail: true}}
)");
  CHECK(eventually([&] { return periodic.lines().size() >= 3; }));
  CHECK(on_demand.lines().empty()); // interval 0: never on a schedule
  rt->export_now();
  REQUIRE(on_demand.lines().size() == 1);
  CHECK_THAT(on_demand.lines()[0], Catch::StartsWith("publish ") && Catch::EndsWith(" healthy"));
  CHECK(eventually([&] {
    const auto text = rt->prometheus_text();
    return text.find("strata_exporter_errors_total{exporter=\"broken\"} 0") == std::string::npos &&
           text.find("strata_exporter_errors_total{exporter=\"broken\"}") != std::string::npos;
  }));
  CHECK(has_line(rt->prometheus_text(), R"(strata_exporter_errors_total{exporter="every20ms"} 0)"));
  rt->shutdown();
  CHECK(on_demand.lines().size() == 1); // pull-style exporters get no final push
  const auto before = periodic.lines().size();
  CHECK(before >= 4); // the periodic ones got a last publish at shutdown
}

TEST_CASE("an exporter that throws at every publish is logged once a second at most, the next line counting "
          "those not logged", "[observability][exporters][logging]") {
  // Published 200 ms apart, it logged 11 lines in 2 s.
  temp_file log;
  const auto started = std::chrono::steady_clock::now();
  auto rt = start_yaml("layers:\n  - {name: hot, plugin: predictive}\n"
                       "logging: {output: \"" + log.path + "\"}\n"
                       "exporters:\n  - {name: broken, plugin: test_exporter, config: {path: /dev/null, interval: 20ms, "
                       "fail: true}}\n");
  const auto failure_lines = [&] {
    std::vector<std::string> lines;
    for (const auto& line : log.lines())
      if (line.find("exporter broken failed") != std::string::npos)
        lines.push_back(line);
    return lines;
  };
  REQUIRE(eventually([&] { return failure_lines().size() >= 2; }));
  std::this_thread::sleep_until(started + std::chrono::milliseconds(1900));
  const auto lines = failure_lines();
  CHECK(lines.size() == 2); // at the first failure and a second later, of some 90
  CHECK(lines[0].find("more since the last line") == std::string::npos);
  std::smatch held;
  REQUIRE(std::regex_search(lines[1], held, std::regex("configured to fail; ([0-9]+) more since the last line")));
  CHECK(std::stoi(held[1]) >= 5);
  // Every failure is counted all the same.
  const std::regex counted(R"(strata_exporter_errors_total\{exporter="broken"\} ([0-9]+))");
  std::smatch count;
  const auto text = rt->prometheus_text();
  REQUIRE(std::regex_search(text, count, counted));
  CHECK(std::stoi(count[1]) >= std::stoi(held[1]) + 2);
}

TEST_CASE("an exporter that publishes again after failing says so, with the failures not logged since the last "
          "line", "[observability][exporters][logging]") {
  // The failures held back after the last line were never told when no other failure came.
  temp_file log, failing, published;
  { std::ofstream(failing.path) << "fail\n"; }
  auto rt = start_yaml("layers:\n  - {name: hot, plugin: predictive}\n"
                       "logging: {output: \"" + log.path + "\"}\n"
                       "exporters:\n  - {name: flaky, plugin: test_exporter, config: {path: \"" + published.path +
                       "\", interval: 20ms, fail_while: \"" + failing.path + "\"}}\n");
  const auto lines_with = [&](const std::string& text) {
    std::vector<std::string> lines;
    for (const auto& line : log.lines())
      if (line.find(text) != std::string::npos)
        lines.push_back(line);
    return lines;
  };
  REQUIRE(eventually([&] { return lines_with("exporter flaky failed").size() == 1; }));
  // Some failures after the first line, all held back (a second line comes only after 1 s).
  REQUIRE(eventually([&] {
    const std::regex counted(R"(strata_exporter_errors_total\{exporter="flaky"\} ([0-9]+))");
    std::smatch count;
    const auto text = rt->prometheus_text();
    return std::regex_search(text, count, counted) && std::stoi(count[1]) >= 3;
  }));
  std::filesystem::remove(failing.path);
  REQUIRE(eventually([&] { return !published.lines().empty(); }));
  REQUIRE(eventually([&] { return lines_with("exporter flaky publishes again").size() == 1; }));
  // Every failure is told: a line of its own, or counted in a later line.
  const auto again = lines_with("exporter flaky publishes again")[0];
  std::smatch held;
  // No count when none was held back since the last line (a failure line came last).
  auto told = std::regex_search(again, held, std::regex(R"(publishes again \(([0-9]+) more failures since the last line\))"))
                ? std::stoi(held[1])
                : 0;
  for (const auto& line : lines_with("exporter flaky failed")) {
    ++told;
    if (std::regex_search(line, held, std::regex("([0-9]+) more since the last line")))
      told += std::stoi(held[1]);
  }
  const std::regex counted(R"(strata_exporter_errors_total\{exporter="flaky"\} ([0-9]+))");
  std::smatch count;
  const auto text = rt->prometheus_text();
  REQUIRE(std::regex_search(text, count, counted));
  CHECK(told == std::stoi(count[1]));
  // One line for the recovery, not one per publish.
  const auto published_before = published.lines().size();
  REQUIRE(eventually([&] { return published.lines().size() >= published_before + 3; }));
  CHECK(lines_with("exporter flaky publishes again").size() == 1);
  // A new failure is logged again (a second after the last line at the earliest).
  { std::ofstream(failing.path) << "fail\n"; }
  CHECK(eventually([&] { return lines_with("exporter flaky failed").size() >= 2; }));
}

TEST_CASE("an exporter's failures not logged when the runtime stops are told then", "[observability][exporters][logging]") {
  // The count held back after the last line was lost when no line came after it.
  temp_file log;
  auto rt = start_yaml("layers:\n  - {name: hot, plugin: predictive}\n"
                       "logging: {output: \"" + log.path + "\"}\n"
                       "exporters:\n  - {name: broken, plugin: test_exporter, config: {path: /dev/null, interval: 20ms, "
                       "fail: true}}\n");
  REQUIRE(eventually([&] {
    const std::regex counted(R"(strata_exporter_errors_total\{exporter="broken"\} ([0-9]+))");
    std::smatch count;
    const auto text = rt->prometheus_text();
    return std::regex_search(text, count, counted) && std::stoi(count[1]) >= 3;
  }));
  rt->shutdown();
  rt.reset();
  std::smatch untold;
  std::string stop_line;
  for (const auto& line : log.lines())
    if (line.find("not logged before the stop") != std::string::npos)
      stop_line = line;
  REQUIRE(std::regex_search(stop_line, untold,
                            std::regex("exporter broken: ([0-9]+) failures since the last line, not logged before the stop")));
  CHECK(std::stoi(untold[1]) >= 1);
}

TEST_CASE("an exporter stuck in its publish holds up no other exporter", "[observability][exporters]") {
  // One actor called every exporter in turn: the json exporter behind a stuck one never wrote.
  temp_file periodic, on_demand;
  auto rt = start_yaml(R"(
layers:
  - {name: hot, plugin: predictive}
exporters:
  - {name: stuck, plugin: test_exporter, config: {path: /dev/null, interval: 20ms, hang: 1200ms}}
  - {name: every20ms, plugin: test_exporter, config: {path: ")" + periodic.path + R"(", interval: 20ms}}
  - {name: manual, plugin: test_exporter, config: {path: ")" + on_demand.path + R"("}}
)");
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  CHECK(periodic.lines().size() >= 6); // about 30; behind the stuck one, none
  // export_now returns once every exporter has published, the stuck one too; the others publish
  // at once (they were asked one after the other's answer).
  auto exporting = std::async(std::launch::async, [&] { rt->export_now(); });
  CHECK(eventually([&] { return on_demand.lines().size() == 1; }, std::chrono::milliseconds(500)));
  exporting.get();
}

TEST_CASE("a plugin of the wrong kind is refused where it is named", "[observability][config]") {
  auto parsed = parse_config("layers:\n  - {name: hot, plugin: predictive}\nexporters:\n  - {name: e, plugin: test_map}\n",
                             "kinds.yaml");
  REQUIRE(parsed.ok());
  const auto report = validate(*parsed.effective);
  REQUIRE(report.errors.size() == 1);
  CHECK(report.errors[0].path == "exporters[0].plugin");
  CHECK_THAT(report.errors[0].message, Catch::Contains("is not an exporter plugin"));
  CHECK(report.errors[0].position.line == 4);
}

TEST_CASE("the log writes JSON lines with the structured fields, and nothing per request at info",
          "[observability][logging]") {
  temp_file log;
  {
    auto rt = start_yaml(R"(
logging: {format: json, output: ")" + log.path + R"(", level: info}
layers:
  - {name: hot, plugin: predictive}
  - {name: broken, plugin: test_map, config: {fail: throw_on_get}}
)");
    for (int i = 0; i < 100; ++i)
      rt->put("k" + std::to_string(i), "v");
    for (int i = 0; i < 100; ++i)
      rt->get("k" + std::to_string(i));
    // Written out while the runtime runs, not at its end (a crash kept nothing of an info line);
    // before any warning, which wrote out what came before it.
    CHECK(eventually([&] {
      const auto so_far = log.lines();
      return std::any_of(so_far.begin(), so_far.end(),
                         [](const std::string& line) { return line.find("runtime started") != std::string::npos; });
    }));
    CHECK(rt->get("absent").code == status::internal);
  } // the destructor flushes the log
  const auto lines = log.lines();
  INFO(lines.size() << " lines");
  std::vector<nlohmann::json> parsed;
  for (const auto& l : lines)
    parsed.push_back(nlohmann::json::parse(l)); // every line is JSON
  CHECK(parsed.size() < 10); // 201 requests, a handful of lines: start, the fault, restart, stop
  // At the start, which plugin build each layer runs: its name, version, ABI and file.
  const auto said = [&](const std::string& text) {
    return std::any_of(parsed.begin(), parsed.end(), [&](const auto& j) { return j.value("message", "") == text; });
  };
  const std::string abi = " (ABI 1." + std::to_string(STRATA_ABI_MINOR) + ") from " STRATA_TEST_PLUGIN_DIR;
  CHECK(said("layer 'hot': plugin predictive 0.3.0" + abi + "/libstrata_predictive.so"));
  CHECK(said("layer 'broken': plugin test_map 1.0.0" + abi + "/libstrata_test_map.so"));
  const auto fault = std::find_if(parsed.begin(), parsed.end(), [](const auto& j) { return j.value("level", "") == "warn"; });
  REQUIRE(fault != parsed.end());
  CHECK((*fault)["layer"] == "broken");
  CHECK((*fault)["status"] == "exception");
  CHECK((*fault)["error"] == "get(): layer threw: configured to throw on get");
  CHECK(fault->contains("time"));
  // The plugin's own line, through the host, names its layer.
  CHECK(std::any_of(parsed.begin(), parsed.end(), [](const auto& j) {
    return j.value("message", "") == "test_map started" && j.value("layer", "") == "broken";
  }));
}

TEST_CASE("the text log escapes control characters: what it is given cannot forge a line", "[observability][logging]") {
  temp_file log;
  {
    runtime_options options;
    options.loader = [](std::string_view, std::string_view) -> std::optional<loaded_value> {
      throw std::runtime_error("down\n2026-12-05T00:00:00.000Z error forged\x1b[31m\ttab\xc2\x9b\xe2\x80\xa8 caf\xc3\xa9 \\n \x9b");
    };
    auto rt = start_yaml("logging: {output: " + log.path + "}\nlayers:\n  - {name: hot, plugin: predictive}\n",
                         std::move(options));
    CHECK(rt->get("key\r\nwith lines").code == status::internal);
  }
  const auto lines = log.lines();
  CHECK(std::none_of(lines.begin(), lines.end(),
                     [](const std::string& l) { return l.rfind("2026-12-05T00:00:00.000Z error forged", 0) == 0; }));
  CHECK(std::any_of(lines.begin(), lines.end(), [](const std::string& l) {
    return l.find("'key\\r\\nwith lines'") != std::string::npos &&
           l.find("down\\n2026-12-05T00:00:00.000Z error forged\\x1b[31m\\ttab\\u009b\\u2028 caf\xc3\xa9 \\\\n \\x9b") !=
             std::string::npos;
  }));
}

TEST_CASE("the log level changes without a restart", "[observability][logging]") {
  temp_file log;
  {
    auto rt = start_yaml("logging: {output: " + log.path + ", level: error}\nlayers:\n  - {name: hot, plugin: predictive}\n");
    CHECK_FALSE(rt->set_log_level("loud"));
    CHECK(rt->set_log_level("info"));
  }
  const auto lines = log.lines();
  REQUIRE(lines.size() == 1); // "runtime started" was below error; "runtime stopped" is not
  CHECK_THAT(lines[0], Catch::Contains(" info runtime stopped"));
}

TEST_CASE("at debug level each layer answer is logged with its request number and duration",
          "[observability][logging]") {
  temp_file log;
  {
    auto rt = start_yaml(R"(
logging: {format: json, output: ")" + log.path + R"(", level: debug}
layers:
  - {name: hot, plugin: predictive}
  - {name: deep, plugin: test_map}
)");
    REQUIRE(rt->get("absent").code == status::not_found); // hot's read view, then deep
  }
  std::vector<nlohmann::json> answers;
  for (const auto& line : log.lines()) {
    auto j = nlohmann::json::parse(line);
    if (j.value("message", "") == "layer answered")
      answers.push_back(j);
  }
  INFO(nlohmann::json(answers).dump());
  // The first get may come before layer 0's read view is published: then the coordinator asks
  // hot as well. Either way every line carries the same request number.
  REQUIRE(!answers.empty());
  CHECK(answers.back()["layer"] == "deep");
  CHECK(answers.back()["operation"] == "get");
  CHECK(answers.back()["status"] == "not_found");
  for (const auto& a : answers)
    CHECK(a["request_id"] == "1");
  CHECK(answers.back()["duration_ms"].get<double>() >= 0.0);
}

TEST_CASE("an exporter that took the family of exporter errors under another type stops the start, named",
          "[observability]") {
  auto rt = runtime::from_config(*parse_config(
    "layers:\n  - {name: hot, plugin: predictive}\nexporters:\n"
    "  - {name: odd, plugin: test_exporter, config: {path: /dev/null, gauge: strata_exporter_errors_total}}\n",
    "e.yaml").effective);
  REQUIRE_FALSE(rt);
  CHECK_THAT(rt.err().message, Catch::StartsWith("e.yaml:4:5: exporters[0]: exporter 'odd': ") &&
                                 Catch::Contains("'strata_exporter_errors_total' is a counter shared by plugins of its "
                                                 "kind (docs/metrics.md); register it as one"));
}

TEST_CASE("a plugin may not register a family the runtime derives or records itself", "[observability]") {
  const auto start_with = [](const std::string& metric) {
    return runtime::from_config(
      *parse_config("layers:\n  - {name: deep, plugin: test_map, config: {metric: " + metric + "}}\n", "x.yaml").effective);
  };
  auto derived = start_with("strata_cache_hits_total");
  REQUIRE_FALSE(derived);
  CHECK_THAT(derived.err().message, Catch::Contains("'strata_cache_hits_total' is derived by the runtime"));
  // Its own: a plugin could count into the runtime's series (or, registering first with another
  // type, stop the start with an exception out of the runtime's own registration).
  auto own = start_with("strata_cache_layer_restarts_total");
  REQUIRE_FALSE(own);
  CHECK_THAT(own.err().message,
             Catch::Contains("'strata_cache_layer_restarts_total' is recorded by the runtime itself; choose another name"));
  // A series of the runtime's own histogram: registered first, it stopped the runtime's family
  // (an uncaught exception: strata serve aborted).
  auto series = start_with("strata_cache_operation_duration_seconds_sum");
  REQUIRE_FALSE(series);
  CHECK_THAT(series.err().message, Catch::Contains("layer 'deep'") &&
                                     Catch::Contains("'strata_cache_operation_duration_seconds_sum' is a series of "
                                                     "'strata_cache_operation_duration_seconds', which the runtime records"));
  // A family every layer shares, under another type: refused in the plugin that got it wrong,
  // not in the predictive layer that registers it after it.
  const auto ahead_of_predictive = [](const std::string& metric) {
    return runtime::from_config(*parse_config("layers:\n  - {name: deep, plugin: test_map, config: {metric: " + metric +
                                                "}}\n  - {name: hot, plugin: predictive}\n", "x.yaml").effective);
  };
  auto shared = ahead_of_predictive("strata_cache_entries");
  REQUIRE_FALSE(shared);
  CHECK_THAT(shared.err().message, Catch::Contains("layer 'deep'") &&
                                     Catch::Contains("'strata_cache_entries' is a gauge shared by plugins of its kind"));
  // The same, with the right type but without the label every layer gives it: the predictive layer
  // failed, blamed.
  auto unlabelled = ahead_of_predictive("strata_cache_evictions_total");
  REQUIRE_FALSE(unlabelled);
  CHECK_THAT(unlabelled.err().message,
             Catch::Contains("layer 'deep'") &&
               Catch::Contains("'strata_cache_evictions_total' is shared by plugins of its kind (docs/metrics.md) "
                               "with the labels reason; register it so"));
}

TEST_CASE("a family of another kind of plugin, or taken first by another plugin, is refused naming who", "[observability]") {
  // A layer took the exporters' error counter: the json exporter's start then failed, blamed.
  auto exporters_family = runtime::from_config(*parse_config(
    "layers:\n  - {name: deep, plugin: test_map, config: {metric: strata_exporter_errors_total}}\n"
    "exporters:\n  - {name: j, plugin: test_exporter, config: {path: /dev/null}}\n", "x.yaml").effective);
  REQUIRE_FALSE(exporters_family);
  CHECK_THAT(exporters_family.err().message,
             Catch::Contains("layer 'deep'") &&
               Catch::Contains("'strata_exporter_errors_total' is the family of every exporter (docs/metrics.md); a "
                               "layer cannot register it"));
  // A family of one plugin's own, taken first by another under another type: the one that loses
  // it is told who has it.
  auto taken = runtime::from_config(*parse_config(
    "layers:\n  - {name: deep, plugin: test_map, config: {metric: strata_test_things}}\n"
    "exporters:\n  - {name: odd, plugin: test_exporter, config: {path: /dev/null, gauge: strata_test_things}}\n",
    "x.yaml").effective);
  REQUIRE_FALSE(taken);
  CHECK_THAT(taken.err().message,
             Catch::Contains("exporter 'odd'") &&
               Catch::Contains("metric strata_test_things is already registered as a counter by layer 'deep', not a gauge"));
}

TEST_CASE("an alert rule on a metric that does not exist, a histogram, or labels that select nothing stops the start", "[observability][alerts]") {
  const std::string head = "layers:\n  - {name: hot, plugin: predictive}\nalerts:\n  rules:\n";
  auto unknown = runtime::from_config(*parse_config(
    head + "    - {name: r, value: strata_cache_hit_total, comparison: '>', threshold: 0}\n", "r.yaml").effective);
  REQUIRE_FALSE(unknown);
  CHECK_THAT(unknown.err().message, Catch::StartsWith("r.yaml:5:24: alerts.rules[0].value: no metric family named "
                                                      "'strata_cache_hit_total'"));
  // One of docs/metrics.md that this deployment does not export: it was "no metric family named".
  auto elsewhere = runtime::from_config(*parse_config(
    head + "    - {name: r, value: strata_global_errors_total, comparison: '>', threshold: 0}\n", "r.yaml").effective);
  REQUIRE_FALSE(elsewhere);
  CHECK_THAT(elsewhere.err().message,
             Catch::StartsWith("r.yaml:5:24: alerts.rules[0].value: 'strata_global_errors_total' is not exported by "
                               "this deployment: it comes with a global layer"));
  auto histogram = runtime::from_config(*parse_config(
    head + "    - {name: r, value: strata_cache_operation_duration_seconds, comparison: '>', threshold: 0}\n",
    "r.yaml").effective);
  REQUIRE_FALSE(histogram);
  CHECK_THAT(histogram.err().message, Catch::Contains("is a histogram"));
  // Labels that can select nothing: a typo there would leave the rule silent for ever.
  auto label_name = runtime::from_config(*parse_config(
    head + "    - {name: r, value: strata_cache_requests_total, labels: {layer: hot}, comparison: '>', threshold: 0}\n",
    "r.yaml").effective);
  REQUIRE_FALSE(label_name);
  CHECK_THAT(label_name.err().message,
             Catch::StartsWith("r.yaml:5:69: alerts.rules[0].labels.layer: 'strata_cache_requests_total' has no label "
                               "'layer' (its labels: cache_layer, operation, status)"));
  auto layer_value = runtime::from_config(*parse_config(
    head + "    - {name: r, value: strata_cache_requests_total, labels: {cache_layer: hto}, comparison: '>', "
           "threshold: 0}\n",
    "r.yaml").effective);
  REQUIRE_FALSE(layer_value);
  CHECK_THAT(layer_value.err().message,
             Catch::Contains("alerts.rules[0].labels.cache_layer: no layer named 'hto' in this deployment"));
  // A family without labels, and one of the runtime's own published only later, are judged too.
  auto no_labels = runtime::from_config(*parse_config(
    head + "    - {name: r, value: strata_health_status, labels: {instance: web-1}, comparison: '>=', threshold: 0}\n",
    "r.yaml").effective);
  REQUIRE_FALSE(no_labels);
  CHECK_THAT(no_labels.err().message,
             Catch::Contains("alerts.rules[0].labels.instance: 'strata_health_status' has no labels"));
  auto later = runtime::from_config(*parse_config(
    head + "    - {name: r, value: strata_semantic_rejected_hits_total, labels: {colour: red}, comparison: '>', "
           "threshold: 0}\n",
    "r.yaml").effective);
  REQUIRE_FALSE(later);
  CHECK_THAT(later.err().message,
             Catch::Contains("alerts.rules[0].labels.colour: 'strata_semantic_rejected_hits_total' has no label "
                             "'colour' (its labels: cache_layer, reason)"));
  CHECK(runtime::from_config(*parse_config(head + "    - {name: r, value: strata_alerts_firing, labels: {rule: r, "
                                                  "severity: critical}, comparison: '>', threshold: 0}\n",
                                           "r.yaml").effective));
}

TEST_CASE("alert handlers need runtime.metrics", "[observability][alerts][config]") {
  auto parsed = parse_config("runtime: {metrics: false}\nlayers:\n  - {name: hot, plugin: predictive}\nalerts:\n  handlers:\n"
                             "    - {name: h, plugin: test_alert_recorder, config: {path: /dev/null}}\n", "h.yaml");
  REQUIRE(parsed.ok());
  const auto report = validate(*parsed.effective);
  REQUIRE(report.errors.size() == 1);
  CHECK(report.errors[0].to_string() == "h.yaml:6:5: alerts.handlers: alert handlers need runtime.metrics: true");
}

/// A layer that throws on every get, below a healthy one.
const char* const flaky_deployment = R"(
layers:
  - {name: hot, plugin: predictive}
  - {name: flaky, plugin: test_map, config: {fail: throw_on_get}}
)";

TEST_CASE("a replaced layer is a warning until its new instance answers", "[observability][health]") {
  auto rt = start_yaml(flaky_deployment);
  CHECK(rt->get("k").code == status::internal);
  // The new instance starts once the replaced one has stopped.
  REQUIRE(eventually([&] { return rt->health().layers[1].restarts == 1; }));
  auto flaky = rt->health().layers[1];
  CHECK(flaky.level == health_level::warning);
  CHECK(flaky.detail == "replaced after: get(): layer threw: configured to throw on get");
  CHECK(flaky.restarts == 1);
  REQUIRE(rt->erase("k") == status::not_found); // the new instance answers (erase does not throw)
  CHECK(eventually([&] { return rt->health().layers[1].level == health_level::healthy; }));
}

TEST_CASE("a layer whose replacements keep failing is critical, however far apart the failures",
          "[observability][health]") {
  auto rt = start_yaml(flaky_deployment);
  // More than the restart backoff apart, so that each failure replaces the instance at once
  // instead of stopping it (which is critical for another reason).
  for (int failure = 1; failure <= 3; ++failure) {
    if (failure > 1)
      std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    REQUIRE(rt->get("k").code == status::internal);
    REQUIRE(eventually([&] { return rt->health().layers[1].restarts == static_cast<std::uint64_t>(failure); }));
    const auto flaky = rt->health().layers[1];
    CHECK(flaky.level == (failure < 3 ? health_level::warning : health_level::critical));
  }
  CHECK(rt->health().layers[1].detail ==
        "failed 3 times in a row, replaced each time: get(): layer threw: configured to throw on get");
  REQUIRE(rt->erase("k") == status::not_found); // an answer: the count starts again
  // Failures in a row count once among the recent ones: a database that was away, once back, is.
  CHECK(eventually([&] { return rt->health().layers[1].level == health_level::healthy; }));
}

TEST_CASE("a layer that keeps failing between answers is a warning", "[observability][health]") {
  auto rt = start_yaml(flaky_deployment);
  for (int failure = 1; failure <= 3; ++failure) {
    if (failure > 1)
      std::this_thread::sleep_for(std::chrono::milliseconds(1100)); // replaced at once, not put off
    REQUIRE(rt->get("k").code == status::internal);
    REQUIRE(eventually([&] { return rt->health().layers[1].restarts == static_cast<std::uint64_t>(failure); }));
    REQUIRE(rt->erase("k") == status::not_found); // the new instance answers
    const auto expected = failure < 3 ? health_level::healthy : health_level::warning;
    CHECK(eventually([&] { return rt->health().layers[1].level == expected; }));
  }
  const auto flaky = rt->health().layers[1];
  CHECK(flaky.detail == "failed 3 times in the last 10 min with answers between, replaced each time; the last: "
                       "get(): layer threw: configured to throw on get");
  CHECK(flaky.failures == 3);
  CHECK(rt->health().overall == health_level::warning);
}

TEST_CASE("at shutdown a slow handler's backlog is given up after shutdown_timeout, and what it missed is logged",
          "[observability][alerts][shutdown]") {
  temp_file recorded, log;
  std::string rules;
  for (int i = 0; i < 5; ++i) // five rules true at once: five events, one second each for the handler
    rules += "    - {name: r" + std::to_string(i) + ", value: rss_bytes, comparison: '>', threshold: 0}\n";
  auto rt = start_yaml("runtime: {stats_interval: 20ms, shutdown_timeout: 100ms}\n"
                       "layers:\n  - {name: hot, plugin: predictive}\n"
                       "logging: {output: \"" + log.path + "\"}\n"
                       "alerts:\n  rules:\n" + rules +
                       "  handlers:\n    - {name: slow, plugin: test_alert_recorder, config: {path: \"" +
                       recorded.path + "\", delay: 1s}}\n");
  // Stopped as soon as the five show: the stop waits for the evaluation that made them to send them.
  REQUIRE(eventually([&] { return rt->alerts().size() == 5; }));
  rt.reset();
  const auto delivered = recorded.lines().size();
  CHECK(delivered < 5);
  std::string logged;
  for (const auto& line : log.lines())
    if (line.find("alert events not delivered") != std::string::npos)
      logged = line;
  CHECK_THAT(logged, Catch::Contains(std::to_string(5 - delivered) + " alert events not delivered to handler 'slow': "
                                                                     "the runtime stopped before their turn"));
}

TEST_CASE("a shutdown held by an exporter or an alert handler names it and its call in the log",
          "[observability][alerts][shutdown]") {
  // The log said only that "an exporter or an alert handler may be" holding it.
  temp_file recorded, log;
  auto rt = start_yaml("runtime: {stats_interval: 20ms, shutdown_timeout: 100ms}\n"
                       "layers:\n  - {name: hot, plugin: predictive}\n"
                       "logging: {output: \"" + log.path + "\"}\n"
                       "exporters:\n  - {name: stuck, plugin: test_exporter, config: {path: /dev/null, interval: 20ms, "
                       "hang: 3s}}\n"
                       "alerts:\n  rules:\n    - {name: r, value: rss_bytes, comparison: '>', threshold: 0}\n"
                       "  handlers:\n    - {name: slow, plugin: test_alert_recorder, config: {path: \"" +
                       recorded.path + "\", delay: 3s}}\n");
  REQUIRE(eventually([&] { return rt->alerts().size() == 1; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(200)); // both in their call
  rt.reset();
  std::string logged;
  for (const auto& line : log.lines())
    logged += line + "\n";
  CHECK_THAT(logged, Catch::Contains("the shutdown has waited 1000 ms for a plugin call that has not returned: "
                                     "exporter 'stuck': publish(), for "));
  CHECK_THAT(logged, Catch::Contains("the shutdown has waited 1000 ms for a plugin call that has not returned: "
                                     "alert handler 'slow': handle(), for "));
}

/// A deployment that logs to `log_path`, with a rule that fires at once for each of `rules` (name
/// and severity), and `handlers` (YAML lines of alerts.handlers, or empty).
std::string firing_rules_yaml(const std::string& log_path, const std::vector<std::pair<std::string, std::string>>& rules,
                              const std::string& handlers = "") {
  std::string yaml = "runtime: {stats_interval: 20ms}\nlayers:\n  - {name: hot, plugin: predictive}\n"
                     "logging: {output: \"" + log_path + "\"}\nalerts:\n  rules:\n";
  for (const auto& [name, severity] : rules)
    yaml += "    - {name: " + name + ", value: rss_bytes, comparison: '>', threshold: 0, severity: " + severity + "}\n";
  return yaml + (handlers.empty() ? "" : "  handlers:\n" + handlers);
}

TEST_CASE("the runtime logs an alert event at the level of its severity", "[observability][alerts]") {
  // Every firing was logged at warn: an info rule's looked like a problem, a critical one's like
  // less than an error.
  temp_file log;
  auto rt = start_yaml(firing_rules_yaml(log.path, {{"big", "critical"}, {"some", "warning"}, {"note", "info"}}));
  REQUIRE(eventually([&] { return rt->alerts().size() == 3; }));
  rt.reset();
  std::string levels;
  for (const auto& line : log.lines())
    for (const char* rule : {"big", "some", "note"})
      if (line.find(std::string(" alert ") + rule + " firing") != std::string::npos)
        levels += line.substr(line.find(' ') + 1, line.find(" alert ") - line.find(' ') - 1) + " " + rule + ";";
  CHECK_THAT(levels, Catch::Contains("error big;") && Catch::Contains("warn some;") && Catch::Contains("info note;"));
}

TEST_CASE("with a log alert handler the runtime logs no alert event itself: the handler's line is the one", "[observability][alerts]") {
  // The runtime logged every event and the log handler again: two lines each, and the handler's
  // min_severity hid nothing.
  temp_file log;
  auto rt = start_yaml(firing_rules_yaml(log.path, {{"big", "critical"}, {"note", "info"}},
                                         "    - {name: journal, plugin: log, config: {min_severity: warning}}\n"));
  REQUIRE(eventually([&] { return rt->alerts().size() == 2; }));
  rt.reset(); // the handler's queue is delivered before the stop returns
  int big = 0, note = 0;
  for (const auto& line : log.lines()) {
    big += line.find("alert big firing") != std::string::npos;
    note += line.find("alert note firing") != std::string::npos;
  }
  CHECK(big == 1);
  CHECK(note == 0);
  // Another handler (a webhook, say) leaves the runtime's own line, so that the log still has it.
  temp_file other_log, recorded;
  auto other = start_yaml(firing_rules_yaml(other_log.path, {{"big", "critical"}},
                                            "    - {name: hook, plugin: test_alert_recorder, config: {path: \"" +
                                              recorded.path + "\"}}\n"));
  REQUIRE(eventually([&] { return other->alerts().size() == 1; }));
  other.reset();
  const auto lines = other_log.lines();
  CHECK(std::count_if(lines.begin(), lines.end(),
                      [](const std::string& line) { return line.find("alert big firing") != std::string::npos; }) == 1);
}

TEST_CASE("a slow handler delays no other handler, nor the host's callback", "[observability][alerts]") {
  temp_file slow_recorded, quick_recorded;
  std::string rules;
  for (int i = 0; i < 3; ++i) // three events at once: three seconds for the slow handler
    rules += "    - {name: r" + std::to_string(i) + ", value: rss_bytes, comparison: '>', threshold: 0}\n";
  std::atomic<int> called{0};
  runtime_options options;
  options.on_alert = [&](const alert_event&) { ++called; };
  auto rt = start_yaml("runtime: {stats_interval: 20ms, shutdown_timeout: 100ms}\n"
                       "layers:\n  - {name: hot, plugin: predictive}\n"
                       "alerts:\n  rules:\n" + rules +
                       "  handlers:\n"
                       "    - {name: slow, plugin: test_alert_recorder, config: {path: \"" + slow_recorded.path +
                       "\", delay: 1s}}\n"
                       "    - {name: quick, plugin: test_alert_recorder, config: {path: \"" + quick_recorded.path +
                       "\"}}\n",
                       std::move(options));
  REQUIRE(eventually([&] { return rt->alerts().size() == 3; }));
  // With one thread for all, each event reached the quick handler after the slow one's second.
  REQUIRE(eventually([&] { return quick_recorded.lines().size() == 3 && called.load() == 3; }));
  CHECK(slow_recorded.lines().size() < 3);
}

// export_now() waits through a CAF scoped_actor, which (CAF 0.17) made its thread keep the actor
// system's logger: a shutdown from another thread then waited for that thread to end.
TEST_CASE("shutdown from one thread returns while another that called export_now still runs",
          "[observability][exporters][shutdown]") {
  temp_file on_demand;
  auto started = strata::testing::start_yaml(R"(
layers:
  - {name: hot, plugin: predictive}
exporters:
  - {name: manual, plugin: test_exporter, config: {path: ")" + on_demand.path + R"("}}
)");
  auto& rt = *started;
  std::atomic<bool> exported{false}, release{false};
  std::thread host([&] {
    rt.export_now();
    exported = true;
    while (!release)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  });
  REQUIRE(eventually([&] { return exported.load(); }));
  auto stopping = std::async(std::launch::async, [&] { rt.shutdown(); });
  const bool stopped = stopping.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  release = true;
  host.join();
  CHECK(stopped);
  CHECK(on_demand.lines().size() == 1); // on demand (interval 0: not at shutdown either)
}
