// Reading, checking and writing deployments (strata/config.hpp, framework/src/config_schema.hpp).
// Every expected position below is counted by hand in the YAML next to it (lines and columns
// are 1-based; raw strings start on line 1).

#include <strata/config.hpp>
#include <strata/plugin_abi.h>
#include <strata/plugin_config.hpp>
#include <strata/runtime.hpp>
#include <strata/secrets.hpp>
#include <strata/units.hpp>

#include "config_schema.hpp"
#include "support/scoped_env.hpp"

#include <catch2/catch.hpp>

#include <cmath>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using strata::config;
using strata::config_report;
using strata::parse_config;
using strata::source_position;
using strata::alert_severity;
using strata::log_format;
using strata::stats_window;

namespace {

const std::string config_dir = STRATA_TEST_CONFIG_DIR;

std::vector<std::string> error_lines(const config_report& report) {
  std::vector<std::string> lines;
  for (const auto& error : report.errors) lines.push_back(error.to_string());
  return lines;
}

/// Parses text that must be valid; fails the test with the errors otherwise.
config parse_valid(const std::string& text) {
  const auto report = parse_config(text, "t.yaml");
  INFO(report.errors_text());
  REQUIRE(report.ok());
  REQUIRE(report.effective);
  return *report.effective;
}

void check_position(const config& cfg, const std::string& path, int line, int column) {
  INFO(path);
  REQUIRE(cfg.positions.count(path) == 1);
  CHECK(cfg.positions.at(path).line == line);
  CHECK(cfg.positions.at(path).column == column);
}

/// Compares every value a deployment carries (not origin or positions).
void check_same_values(const config& a, const config& b) {
  CHECK(a.runtime.threads == b.runtime.threads);
  CHECK(a.runtime.loader_threads == b.runtime.loader_threads);
  CHECK(a.runtime.loader_timeout == b.runtime.loader_timeout);
  CHECK(a.runtime.shutdown_timeout == b.runtime.shutdown_timeout);
  CHECK(a.runtime.metrics == b.runtime.metrics);
  CHECK(a.runtime.stats_interval == b.runtime.stats_interval);
  CHECK(a.server.http.enabled == b.server.http.enabled);
  CHECK(a.server.http.address == b.server.http.address);
  CHECK(a.server.http.max_body == b.server.http.max_body);
  CHECK(a.server.http.token == b.server.http.token);
  CHECK(a.server.resp.enabled == b.server.resp.enabled);
  CHECK(a.server.resp.address == b.server.resp.address);
  CHECK(a.server.resp.max_bulk == b.server.resp.max_bulk);
  CHECK(a.server.resp.max_inline == b.server.resp.max_inline);
  CHECK(a.server.resp.max_clients == b.server.resp.max_clients);
  CHECK(a.server.resp.max_pipeline == b.server.resp.max_pipeline);
  CHECK(a.server.resp.max_in_flight == b.server.resp.max_in_flight);
  CHECK(a.server.resp.threads == b.server.resp.threads);
  CHECK(a.plugin_path == b.plugin_path);
  CHECK(a.plugin_files == b.plugin_files);
  REQUIRE(a.layers.size() == b.layers.size());
  for (std::size_t i = 0; i < a.layers.size(); ++i) {
    INFO("layer " << i);
    CHECK(a.layers[i].name == b.layers[i].name);
    CHECK(a.layers[i].plugin == b.layers[i].plugin);
    CHECK(a.layers[i].promote == b.layers[i].promote);
    CHECK(a.layers[i].write == b.layers[i].write);
    CHECK(a.layers[i].deadline == b.layers[i].deadline);
    CHECK(a.layers[i].detached == b.layers[i].detached);
    CHECK(a.layers[i].settings == b.layers[i].settings);
    CHECK(a.layers[i].embedder == b.layers[i].embedder);
  }
  REQUIRE(a.embedders.size() == b.embedders.size());
  for (std::size_t i = 0; i < a.embedders.size(); ++i) {
    CHECK(a.embedders[i].name == b.embedders[i].name);
    CHECK(a.embedders[i].plugin == b.embedders[i].plugin);
    CHECK(a.embedders[i].settings == b.embedders[i].settings);
  }
}

using strata::test::scoped_env;

} // namespace

TEST_CASE("a valid file parses with its values, defaults and positions", "[config]") {
  const std::string path = config_dir + "/valid.yaml";
  const auto report = strata::parse_config_file(path);
  INFO(report.errors_text());
  REQUIRE(report.ok());
  const config& cfg = *report.effective;

  CHECK(cfg.origin == path);
  CHECK(cfg.runtime.threads == 4);
  CHECK(cfg.runtime.loader_threads == 3);
  CHECK(cfg.runtime.loader_timeout == 2s);
  CHECK(cfg.runtime.shutdown_timeout == 0ms);
  // Relative plugin paths are resolved against the file's directory.
  CHECK(cfg.plugin_path == std::vector<std::string>{config_dir + "/plugins", "/opt/strata/plugins"});
  CHECK(cfg.plugin_files == std::vector<std::string>{config_dir + "/extra/libstrata_custom.so"});

  REQUIRE(cfg.layers.size() == 2);
  const auto& hot = cfg.layers[0];
  CHECK(hot.name == "hot");
  CHECK(hot.plugin == "predictive");
  CHECK_FALSE(hot.promote);
  CHECK(hot.write == strata::write_policy::behind);
  CHECK(hot.deadline == 250ms);
  CHECK(hot.detached == true);
  CHECK(hot.settings == std::map<std::string, std::string>{{"max_bytes", "64MiB"}, {"ttl", "30s"}});

  const auto& cold = cfg.layers[1];
  CHECK(cold.name == "cold-2");
  CHECK(cold.plugin == "sqlite");
  CHECK(cold.promote); // the struct's defaults for keys not written
  CHECK(cold.write == strata::write_policy::through);
  CHECK_FALSE(cold.deadline.has_value()); // its plugin's default, known once it is loaded
  CHECK_FALSE(cold.detached.has_value());
  CHECK(cold.settings.empty());

  check_position(cfg, "runtime.threads", 3, 12);
  check_position(cfg, "plugins.path[1]", 8, 19);
  check_position(cfg, "layers[0]", 11, 5);
  check_position(cfg, "layers[0].plugin", 12, 13);
  check_position(cfg, "layers[0].config", 18, 7);
  check_position(cfg, "layers[0].config.max_bytes", 18, 18);
  check_position(cfg, "layers[0].config.ttl", 19, 12);
  check_position(cfg, "layers[1]", 20, 5);
  check_position(cfg, "layers[1].plugin", 21, 13);
}

TEST_CASE("parse_config leaves relative plugin paths as written", "[config]") {
  const auto cfg = parse_valid(R"(plugins:
  path: plugins
  files: [a/libstrata_x.so, /abs/libstrata_y.so]
layers:
  - name: a
    plugin: p
)");
  CHECK(cfg.origin == "t.yaml");
  CHECK(cfg.plugin_path == std::vector<std::string>{"plugins"});
  CHECK(cfg.plugin_files == std::vector<std::string>{"a/libstrata_x.so", "/abs/libstrata_y.so"});
}

TEST_CASE("in a file plugin paths are relative to its folder and the log and the data folder to the working directory",
          "[config]") {
  // The log and the data folder were taken relative to the file too, unlike the layers' files
  // (sqlite_path), which the health check of data_dir is about, and unlike README.md.
  const auto dir = std::filesystem::temp_directory_path() / "strata_relative_paths";
  std::filesystem::create_directories(dir);
  const auto file = (dir / "deployment.yaml").string();
  std::ofstream(file) << "plugins: {path: plugins}\nlogging: {output: logs/strata.log}\nhealth: {data_dir: state}\n"
                         "layers: [{name: hot, plugin: predictive}]\n";
  const auto report = strata::parse_config_file(file);
  std::filesystem::remove_all(dir);
  REQUIRE(report.effective);
  CHECK(report.effective->plugin_path == std::vector<std::string>{(dir / "plugins").string()});
  CHECK(report.effective->logging.output == "logs/strata.log");
  CHECK(report.effective->health.data_dir == "state");
}

TEST_CASE("errors in a file name the file, line, column and path", "[config]") {
  const std::string path = config_dir + "/bad_deadline.yaml";
  const auto report = strata::parse_config_file(path);
  CHECK_FALSE(report.effective);
  CHECK(error_lines(report) ==
        std::vector<std::string>{path + ":4:15: layers[0].deadline: expected a duration greater than 0, "
                                        "such as 250ms or 5s, at most 106481d, got '0ms'"});
  CHECK(report.errors_text() == error_lines(report)[0] + "\n");
}

TEST_CASE("a file that cannot be read is one error naming it", "[config]") {
  const std::string path = config_dir + "/no_such_file.yaml";
  const auto report = strata::parse_config_file(path);
  CHECK_FALSE(report.effective);
  CHECK(error_lines(report) == std::vector<std::string>{path + ": cannot read the file: No such file or directory"});
}

TEST_CASE("a syntax error is reported at the parser's position", "[config]") {
  const auto report = parse_config("layers: []\nruntime: threads: 2\n", "t.yaml");
  CHECK_FALSE(report.effective);
  CHECK(error_lines(report) == std::vector<std::string>{"t.yaml:2:17: invalid YAML: illegal map value"});
}

TEST_CASE("a file nested past the parser's depth says so, not 'bad file'", "[config]") {
  // yaml-cpp stops at 500 levels, at the end of what it had scanned.
  const auto report = parse_config("layers: " + std::string(3000, '[') + "\n", "t.yaml");
  CHECK_FALSE(report.effective);
  CHECK(error_lines(report) == std::vector<std::string>{"t.yaml:2:1: invalid YAML: nested 500 levels deep, where the "
                                                        "parser stops (a deployment needs a few)"});
}

TEST_CASE("a byte that is not UTF-8 is an error at its place, UTF-16 with its BOM is read", "[config]") {
  // Latin-1 "é": taken as it was, it reached the log path and the effective configuration raw.
  auto report = parse_config("layers: [{name: hot, plugin: predictive}]\nlogging:\n  output: \"/tmp/l\xE9.log\"\n",
                             "t.yaml");
  CHECK_FALSE(report.effective);
  CHECK(error_lines(report) == std::vector<std::string>{"t.yaml:3:18: not UTF-8: byte 0xE9 (a deployment file is UTF-8)"});
  report = parse_config("\xC0\xAFlayers: []\n", "t.yaml"); // an overlong '/'
  CHECK(error_lines(report) == std::vector<std::string>{"t.yaml:1:1: not UTF-8: byte 0xC0 (a deployment file is UTF-8)"});
  report = parse_config("\xEF\xBB\xBFlayers: [\xE9]\n", "t.yaml"); // after a UTF-8 byte order mark
  CHECK(error_lines(report) == std::vector<std::string>{"t.yaml:1:10: not UTF-8: byte 0xE9 (a deployment file is UTF-8)"});
  std::string utf16 = "\xFF\xFE";
  for (char c : std::string("layers: [{name: hot, plugin: predictive}]\n")) {
    utf16.push_back(c);
    utf16.push_back('\0');
  }
  report = parse_config(utf16, "t.yaml"); // UTF-16LE: its bytes are not UTF-8, and yaml-cpp reads it
  CHECK(error_lines(report).empty());
  REQUIRE(report.effective);
  CHECK(report.effective->layers.at(0).name == "hot");
  // A zero byte first makes it UTF-16 or UTF-32 to YAML; yaml-cpp's error then quoted the raw byte.
  report = parse_config(std::string("\0\xFF", 2), "t.yaml");
  CHECK(error_lines(report) == std::vector<std::string>{"t.yaml:1:3: invalid YAML: unknown escape character: 0xFF"});
}

TEST_CASE("a NUL byte in a value is an error at the value", "[config]") {
  // Taken, the log went to /tmp/log and the layer's database to /tmp/s: the C calls end a path there.
  const auto report = parse_config(R"(layers:
  - {name: hot, plugin: predictive, config: {policy: "lru\0"}}
  - {name: deep, plugin: global, config: {sqlite_path: "/tmp/s\0.db"}}
logging: {output: "/tmp/log\0.txt"}
)",
                                   "t.yaml");
  CHECK_FALSE(report.effective);
  CHECK(error_lines(report) ==
        std::vector<std::string>{
          "t.yaml:2:54: layers[0].config.policy: a NUL byte at offset 3 of 'lru\\x00': a value holds none",
          "t.yaml:3:56: layers[1].config.sqlite_path: a NUL byte at offset 6 of '/tmp/s\\x00.db': a value holds none",
          "t.yaml:4:19: logging.output: a NUL byte at offset 8 of '/tmp/log\\x00.txt': a value holds none"});
}

TEST_CASE("a raw NUL byte in the file is an error at its place", "[config]") {
  // yaml-cpp's own error for it named the next line.
  const auto report = parse_config(std::string("layers: [{name: hot, plugin: predictive}]\nlogging:\n  output: /tmp/l") + '\0' + "g\n",
                                   "t.yaml");
  CHECK_FALSE(report.effective);
  CHECK(error_lines(report) == std::vector<std::string>{"t.yaml:3:17: a NUL byte (a deployment file is text)"});
}

TEST_CASE("an environment variable that is not UTF-8 is an error where it is used", "[config]") {
  const scoped_env latin1("STRATA_TEST_LATIN1", "/tmp/l\xE9.log");
  const auto report = parse_config("layers: [{name: hot, plugin: predictive}]\nlogging: {output: \"${STRATA_TEST_LATIN1}\"}\n",
                                   "t.yaml");
  CHECK_FALSE(report.effective);
  CHECK(error_lines(report) == std::vector<std::string>{"t.yaml:2:19: logging.output: environment variable "
                                                        "STRATA_TEST_LATIN1 is not UTF-8: byte 0xE9 at offset 6"});
}

TEST_CASE("a second YAML document is an error, not dropped", "[config]") {
  const std::string one = "layers:\n  - name: hot\n    plugin: predictive\n";
  const auto report = parse_config(one + "---\nserver:\n  http: {address: 127.0.0.1:9000}\n", "t.yaml");
  CHECK_FALSE(report.effective);
  CHECK(error_lines(report) ==
        std::vector<std::string>{"t.yaml:5:1: a second YAML document (after '---'); a deployment is one document"});
  // One document with its start marker, or with a document end marker, is one document.
  CHECK(parse_config("---\n" + one, "t.yaml").effective);
  CHECK(parse_config(one + "...\n", "t.yaml").effective);
  CHECK(parse_config(one + "---\n", "t.yaml").effective); // an empty one after it says nothing
}

TEST_CASE("a file yaml-cpp cannot read for a tab in its indentation names that line", "[config]") {
  // yaml-cpp said "end of map not found", naming neither the tab nor its line.
  const auto tabbed = parse_config("layers:\n  - name: hot\n\tplugin: predictive\n", "t.yaml");
  REQUIRE(tabbed.errors.size() == 1);
  CHECK_THAT(tabbed.errors[0].message,
             Catch::StartsWith("invalid YAML: ") &&
               Catch::EndsWith(" (line 3 indents with a tab: YAML indents with spaces only)"));
  // A tab after the line at fault is not its cause.
  const auto later = parse_config("layers: [\n  - name: hot\nplugin: {\n\tx: 1\n", "t.yaml");
  REQUIRE_FALSE(later.errors.empty());
  CHECK_THAT(later.errors[0].message, !Catch::Contains("indents with a tab"));
}

TEST_CASE("runtime.stats_interval is between 10ms and a minute", "[config]") {
  // 1ms grew the process by ~3 MB a second (every sample of a minute is kept); past a minute the
  // minute's window had no two samples and was always empty.
  for (const auto& [interval, says] : std::vector<std::pair<std::string, std::string>>{
         {"1ms", "got 1ms"}, {"61s", "got 61s"}, {"2h", "got 2h"}}) {
    const auto report = parse_config("runtime: {stats_interval: " + interval + "}\nlayers: [{name: a, plugin: p}]\n",
                                     "t.yaml");
    REQUIRE(report.effective);
    const auto lines = error_lines(strata::validate(*report.effective));
    REQUIRE(lines.size() >= 1);
    CHECK_THAT(lines[0], Catch::StartsWith("t.yaml:1:27: runtime.stats_interval: must be between 10ms and 1m, " + says));
  }
  for (const char* interval : {"10ms", "1m"}) {
    const auto report = parse_config(std::string("runtime: {stats_interval: ") + interval + "}\nlayers: [{name: a, plugin: p}]\n",
                                     "t.yaml");
    REQUIRE(report.effective);
    for (const auto& line : error_lines(strata::validate(*report.effective)))
      CHECK_THAT(line, !Catch::Contains("stats_interval"));
  }
}

TEST_CASE("every error in a file is reported, each at its value or key", "[config]") {
  const auto report = parse_config(R"(runtime:
  threads: 65
  loader_threads: abc
  loader_timeout: 0s
  shutdown_timeout: {a: 1}
  thread: 2
plugins:
  path: {x: 1}
layers:
  - name: hot
    plugin: predictive
    write: sideways
    promote: maybe
    deadline: fast
    config:
      max_bytes: [1, 2]
  - name: hot
    plugin: sqlite
    colour: blue
  - plugin: x
  - name: bad name!
    plugin: y
)",
                                   "t.yaml");
  CHECK_FALSE(report.effective);
  CHECK(error_lines(report) ==
        std::vector<std::string>{
          "t.yaml:2:12: runtime.threads: expected an integer from 0 to 64, got '65'",
          "t.yaml:3:19: runtime.loader_threads: expected an integer from 1 to 64, got 'abc'",
          "t.yaml:4:19: runtime.loader_timeout: expected a duration greater than 0, such as 250ms or 5s, at most 106481d, got '0s'",
          "t.yaml:5:21: runtime.shutdown_timeout: expected a duration such as 250ms or 5s, at most 106481d, got a mapping",
          "t.yaml:6:3: runtime.thread: unknown key 'thread'; allowed here: threads, loader_threads, "
          "loader_timeout, shutdown_timeout, metrics, stats_interval",
          "t.yaml:8:9: plugins.path: expected a path or a sequence of paths, got a mapping",
          "t.yaml:12:12: layers[0].write: expected one of through, behind, around, got 'sideways'",
          "t.yaml:13:14: layers[0].promote: "
          "expected true, yes or on, or false, no or off, each in lower case, capitalised or upper case "
          "(True, TRUE), got 'maybe'",
          "t.yaml:14:15: layers[0].deadline: expected a duration greater than 0, such as 250ms or 5s, at most 106481d, got 'fast'",
          "t.yaml:16:18: layers[0].config.max_bytes: expected a scalar, got a sequence",
          "t.yaml:17:11: layers[1].name: duplicate layer name 'hot' (first used at line 10)",
          "t.yaml:19:5: layers[1].colour: unknown key 'colour'; allowed here: name, plugin, promote, write, "
          "deadline, detached, config, embedder",
          "t.yaml:20:5: layers[2]: missing required key 'name'",
          "t.yaml:21:11: layers[3].name: expected a layer name of letters, digits, '_' and '-', got 'bad name!'",
        });
}

TEST_CASE("structural errors: layers missing, empty or malformed", "[config]") {
  CHECK(error_lines(parse_config("runtime:\n  threads: 2\n", "t.yaml")) ==
        std::vector<std::string>{"t.yaml:1:1: missing required key 'layers'"});
  CHECK(error_lines(parse_config("", "t.yaml")) ==
        std::vector<std::string>{"t.yaml: the configuration is empty; it needs at least 'layers'"});
  CHECK(error_lines(parse_config("- a\n", "t.yaml")) ==
        std::vector<std::string>{"t.yaml:1:1: expected a mapping (runtime, plugins, layers), got a sequence"});
  CHECK(error_lines(parse_config("layers: []\n", "t.yaml")) ==
        std::vector<std::string>{"t.yaml:1:9: layers: expected at least one layer, got an empty sequence"});
  CHECK(error_lines(parse_config("layers:\n  - hot\n", "t.yaml")) ==
        std::vector<std::string>{
          "t.yaml:2:5: layers[0]: expected a mapping (a layer with name and plugin), got 'hot'"});
  CHECK(error_lines(parse_config("layers:\n  - name: a\n", "t.yaml")) ==
        std::vector<std::string>{"t.yaml:2:5: layers[0]: missing required key 'plugin'"});
  CHECK(error_lines(parse_config("layers:\n  - {name: a, plugin: p}\nrunway: 1\nlayers: []\n", "t.yaml")) ==
        std::vector<std::string>{"t.yaml:3:1: runway: unknown key 'runway'; allowed here: runtime, plugins, layers, "
                                 "exporters, embedders, alerts, health, logging, server",
                                 "t.yaml:4:1: layers: duplicate key 'layers' (first at line 1)"});
  CHECK(error_lines(parse_config("layers:\n  - name: a\n    plugin:\n", "t.yaml")) ==
        std::vector<std::string>{"t.yaml:3:5: layers[0].plugin: expected a plugin name of letters, digits, '_' and "
                                 "'-', got nothing"});
}

TEST_CASE("a boolean is any case form of true, yes, on or their opposites, the error lists them", "[config]") {
  const auto cfg = parse_valid("layers:\n  - {name: a, plugin: p, promote: Yes, detached: OFF}\n"
                               "server:\n  http: {enabled: On}\n");
  CHECK(cfg.layers[0].promote);
  CHECK(cfg.layers[0].detached == false);
  CHECK(cfg.server.http.enabled);
  CHECK(error_lines(parse_config("layers:\n  - {name: a, plugin: p, promote: 1}\n", "t.yaml")) ==
        std::vector<std::string>{"t.yaml:2:35: layers[0].promote: expected true, yes or on, or false, no or off, "
                                 "each in lower case, capitalised or upper case (True, TRUE), got '1'"});
}

TEST_CASE("a plugin name is refused at its key before a file name is made of it", "[config]") {
  // The loader looks for libstrata_<name>.so: "x/y" named a file in another directory.
  CHECK(error_lines(parse_config("layers:\n  - {name: a, plugin: x/y}\nexporters:\n  - {name: e, plugin: ../j}\n",
                                 "t.yaml")) ==
        std::vector<std::string>{
          "t.yaml:2:23: layers[0].plugin: expected a plugin name of letters, digits, '_' and '-', got 'x/y'",
          "t.yaml:4:23: exporters[0].plugin: expected a plugin name of letters, digits, '_' and '-', got '../j'"});
  // A config built in code is refused by validate(), at the same place, without looking for a file.
  auto cfg = parse_valid("layers:\n  - {name: a, plugin: predictive}\n");
  cfg.layers[0].plugin = "x/y";
  CHECK(error_lines(strata::validate(cfg)) ==
        std::vector<std::string>{
          "t.yaml:2:23: layers[0].plugin: expected a plugin name of letters, digits, '_' and '-', got 'x/y'"});
}

TEST_CASE("a write policy of none of the enum's names, built in code, is refused at its key", "[config]") {
  // It was accepted: a put answered ok and no layer kept the value.
  auto cfg = parse_valid("layers:\n  - {name: a, plugin: predictive}\n");
  cfg.layers[0].write = static_cast<strata::write_policy>(17);
  CHECK(error_lines(strata::validate(cfg)) ==
        std::vector<std::string>{"t.yaml:2:5: layers[0].write: expected through, behind or around, got the value 17"});
}

TEST_CASE("a value with a line break is shown escaped in an error, on the error's line", "[config]") {
  CHECK(error_lines(parse_config("layers: [{name: a, plugin: p}]\nalerts:\n  rules:\n"
                                 "    - {name: \"low\\nrate\", value: hit_rate, comparison: \"<\", threshold: 1}\n",
                                 "t.yaml")) ==
        std::vector<std::string>{
          "t.yaml:4:14: alerts.rules[0].name: expected a name of letters, digits, '_' and '-', got 'low\\nrate'"});
}

TEST_CASE("${ENV} references are expanded in every scalar", "[config]") {
  scoped_env threads("STRATA_TEST_THREADS", "8");
  scoped_env unset("STRATA_TEST_UNSET", nullptr);
  scoped_env empty("STRATA_TEST_EMPTY", "");
  const auto cfg = parse_valid(R"(runtime:
  threads: ${STRATA_TEST_THREADS}
  loader_threads: ${STRATA_TEST_UNSET:-3}
layers:
  - name: n${STRATA_TEST_EMPTY:-x}
    plugin: p
    config:
      price: $$5
      literal: a$b
      joined: ${STRATA_TEST_THREADS}-${STRATA_TEST_THREADS}
      empty: x${STRATA_TEST_EMPTY}y
      nested: ${STRATA_TEST_UNSET:-127.0.0.1:${STRATA_TEST_THREADS:-1}}
      nested_unused: ${STRATA_TEST_THREADS:-127.0.0.1:${STRATA_TEST_UNSET}}
)");
  CHECK(cfg.runtime.threads == 8);
  CHECK(cfg.runtime.loader_threads == 3);
  REQUIRE(cfg.layers.size() == 1);
  CHECK(cfg.layers[0].name == "nx");
  CHECK(cfg.layers[0].settings == std::map<std::string, std::string>{
                                    {"price", "$5"}, {"literal", "a$b"}, {"joined", "8-8"}, {"empty", "xy"},
                                    // The set variable's value, not it and the nested reference's '}'.
                                    {"nested", "127.0.0.1:8"}, {"nested_unused", "8"}});
}

TEST_CASE("an unset variable without default is an error at its scalar", "[config]") {
  scoped_env unset("STRATA_TEST_UNSET", nullptr);
  const auto report = parse_config(R"(layers:
  - name: hot
    plugin: ${STRATA_TEST_UNSET}
    config:
      dir: ${STRATA_TEST_UNSET
)",
                                   "t.yaml");
  CHECK(error_lines(report) ==
        std::vector<std::string>{
          "t.yaml:3:13: layers[0].plugin: environment variable STRATA_TEST_UNSET is not set",
          "t.yaml:5:12: layers[0].config.dir: unterminated '${' in '${STRATA_TEST_UNSET' (expected '}')"});
}

TEST_CASE("references nest in defaults eight deep at most", "[config]") {
  // Each level read the rest of the text again: a scalar nesting ten thousand took a second.
  scoped_env unset("STRATA_TEST_UNSET", nullptr);
  const auto nested = [](int levels) {
    std::string text = "x";
    for (int i = 0; i < levels; ++i)
      text = "${STRATA_TEST_UNSET:-" + text + "}";
    return "layers: [{name: hot, plugin: p, config: {dir: \"" + text + "\"}}]\n";
  };
  CHECK(parse_valid(nested(8)).layers.at(0).settings.at("dir") == "x");
  CHECK(error_lines(parse_config(nested(9), "t.yaml")) ==
        std::vector<std::string>{"t.yaml:1:47: layers[0].config.dir: references nested more than 8 deep in defaults"});
}

TEST_CASE("to_yaml renders every key and round-trips", "[config]") {
  const auto report = strata::parse_config_file(config_dir + "/valid.yaml");
  REQUIRE(report.ok());
  config cfg = *report.effective;
  cfg.layers[1].settings["price"] = "$5 ${NOT_A_REFERENCE}";
  cfg.layers[1].settings["empty"] = "";
  cfg.layers[1].settings["null_text"] = "null";

  const std::string yaml = strata::to_yaml(cfg);
  INFO(yaml);
  for (const char* expected : {"threads: 4", "loader_threads: 3", "loader_timeout: 2s", "shutdown_timeout: 0ms",
                               "deadline: 250ms", "write: behind", "write: through",
                               "promote: false", "detached: true", "max_bytes: 64MiB"})
    CHECK(yaml.find(expected) != std::string::npos);
  CHECK(yaml.find("detached") == yaml.rfind("detached")); // only the layer that sets it
  CHECK(yaml.find("deadline") == yaml.rfind("deadline")); // the other's is its plugin's, known once loaded

  const auto again = parse_valid(yaml);
  check_same_values(cfg, again);
}

TEST_CASE("to_yaml writes a threshold in the fewest digits that read back as it", "[config]") {
  // It wrote 0.10000000000000001 for 0.1.
  const auto parsed = parse_config("layers: [{name: a, plugin: p}]\nalerts:\n  rules:\n"
                                   "    - {name: r, value: hit_rate, comparison: '<', threshold: 0.1}\n"
                                   "    - {name: s, value: rss_bytes, comparison: '>', threshold: 3e+20}\n",
                                   "t.yaml");
  REQUIRE(parsed.ok());
  const auto yaml = strata::to_yaml(*parsed.effective);
  CHECK_THAT(yaml, Catch::Contains("threshold: 0.1\n") && Catch::Contains("threshold: 3e+20\n"));
  const auto again = parse_config(yaml, "again.yaml");
  REQUIRE(again.ok());
  CHECK(again.effective->alerts.rules.at(0).threshold == 0.1);
  CHECK(again.effective->alerts.rules.at(1).threshold == 3e20);
}

TEST_CASE("to_yaml of the struct defaults round-trips", "[config]") {
  config cfg;
  cfg.layers.push_back({});
  cfg.layers[0].name = "only";
  cfg.layers[0].plugin = "p";
  cfg.layers[0].deadline = 1500ms;
  cfg.layers[0].detached = false;
  check_same_values(cfg, parse_valid(strata::to_yaml(cfg)));
}

TEST_CASE("a config built in code gets no longer durations than a file may give", "[config]") {
  // INT64_MAX ms overflowed the clock's count: every miss timed out at once, a layer's answer was
  // late at once, shutdown did not wait.
  config cfg;
  cfg.layers.push_back({});
  cfg.layers[0].name = "only";
  cfg.layers[0].plugin = "predictive";
  cfg.runtime.loader_timeout = std::chrono::milliseconds::max();
  cfg.runtime.shutdown_timeout = std::chrono::milliseconds::max();
  cfg.layers[0].deadline = strata::units::max_ttl + 1ms;
  const auto why = [](const char* got) {
    return std::string("must be at most 106481d (9199958400000 ms), got ") + got + " ms";
  };
  CHECK(error_lines(strata::validate(cfg)) ==
        std::vector<std::string>{"<config>: runtime.loader_timeout: " + why("9223372036854775807"),
                                 "<config>: runtime.shutdown_timeout: " + why("9223372036854775807"),
                                 "<config>: layers[0].deadline: " + why("9199958400001")});
  cfg.runtime.loader_timeout = cfg.runtime.shutdown_timeout = strata::units::max_ttl;
  cfg.layers[0].deadline = strata::units::max_ttl;
  CHECK(strata::validate(cfg).ok()); // the longest a file may give
}

TEST_CASE("default_plugin_path splits STRATA_PLUGIN_PATH on ':'", "[config]") {
  scoped_env path("STRATA_PLUGIN_PATH", "/a::/b/c:");
  CHECK(strata::default_plugin_path() == std::vector<std::string>{"/a", "/b/c"});
}

TEST_CASE("config_error text omits what is unknown", "[config]") {
  strata::config_error error{"f.yaml", {3, 7}, "layers[0].name", "bad"};
  CHECK(error.to_string() == "f.yaml:3:7: layers[0].name: bad");
  error.path.clear();
  CHECK(error.to_string() == "f.yaml:3:7: bad");
  error.position = {};
  CHECK(error.to_string() == "f.yaml: bad");
}

namespace {

// A hand-written plugin schema: {key, type, default (NULL: required), description, bounds}.
const strata_config_key demo_schema[] = {
  {"max_bytes", STRATA_VALUE_SIZE, "64MiB", "memory budget", 1, 1024, 1, 1073741824.0},
  {"ttl", STRATA_VALUE_DURATION, "30s", "time to live", 1, 10, 0, 0},
  {"ratio", STRATA_VALUE_DOUBLE, "0.5", "", 1, 0, 1, 1},
  {"shards", STRATA_VALUE_INT, "4", "", 1, 1, 1, 64},
  {"dsn", STRATA_VALUE_STRING, nullptr, "connection string", 0, 0, 0, 0},
  {"verbose", STRATA_VALUE_BOOL, "false", "", 0, 0, 0, 0},
};
constexpr std::size_t demo_schema_size = sizeof demo_schema / sizeof demo_schema[0];

/// Every layer's settings against one schema (the demo's unless given), as error lines.
std::vector<std::string> validate_all(config& cfg, const strata_config_key* keys = demo_schema,
                                      std::size_t n = demo_schema_size, strata::detail::key_conditions conditions = {}) {
  std::vector<strata::config_error> errors;
  for (std::size_t i = 0; i < cfg.layers.size(); ++i)
    strata::detail::validate_settings(cfg, "layers[" + std::to_string(i) + "]", cfg.layers[i].plugin, {},
                                      cfg.layers[i].settings, keys, n, errors, conditions);
  std::vector<std::string> lines;
  for (const auto& error : errors) lines.push_back(error.to_string());
  return lines;
}

} // namespace

TEST_CASE("validate_settings reports each problem at the setting and fills defaults", "[config][schema]") {
  config cfg = parse_valid(R"(layers:
  - name: hot
    plugin: demo
    config:
      max_bytes: lots
      ttl: 5ms
      shards: 65
      colour: blue
  - name: warm
    plugin: demo
  - name: cold
    plugin: demo
    config:
      dsn: sqlite://x
      ratio: 0.25
      verbose: maybe
      max_bytes: 512
)");
  CHECK(validate_all(cfg) ==
        std::vector<std::string>{
          "t.yaml:8:7: layers[0].config.colour: unknown key 'colour' for plugin 'demo'; allowed: max_bytes, "
          "ttl, ratio, shards, dsn, verbose",
          "t.yaml:5:18: layers[0].config.max_bytes: expected a size such as 64MiB, got 'lots'",
          "t.yaml:7:15: layers[0].config.shards: '65' is above the maximum of 64",
          "t.yaml:6:12: layers[0].config.ttl: '5ms' is below the minimum of 10 ms",
          "t.yaml:5:7: layers[0].config: missing required key 'dsn' of plugin 'demo' (connection string)",
          "t.yaml:9:5: layers[1]: missing required key 'dsn' of plugin 'demo' (connection string)",
          "t.yaml:17:18: layers[2].config.max_bytes: '512' is below the minimum of 1024 bytes",
          "t.yaml:16:16: layers[2].config.verbose: "
          "expected true, yes or on, or false, no or off, each in lower case, capitalised or upper case "
          "(True, TRUE), got 'maybe'",
        });
  // Absent keys get their defaults; written ones keep their text.
  CHECK(cfg.layers[2].settings == std::map<std::string, std::string>{{"dsn", "sqlite://x"},
                                                                     {"ratio", "0.25"},
                                                                     {"verbose", "maybe"},
                                                                     {"max_bytes", "512"},
                                                                     {"ttl", "30s"},
                                                                     {"shards", "4"}});
}

TEST_CASE("validate_settings accepts valid values and fills every default", "[config][schema]") {
  config cfg = parse_valid("layers:\n  - name: a\n    plugin: demo\n    config: {dsn: x, ratio: 1, ttl: 10ms}\n");
  CHECK(validate_all(cfg).empty());
  CHECK(cfg.layers[0].settings == std::map<std::string, std::string>{{"dsn", "x"},
                                                                     {"ratio", "1"},
                                                                     {"ttl", "10ms"},
                                                                     {"max_bytes", "64MiB"},
                                                                     {"shards", "4"},
                                                                     {"verbose", "false"}});
}

TEST_CASE("make_error falls back to the nearest recorded parent", "[config][schema]") {
  config cfg;
  cfg.origin = "f.yaml";
  cfg.positions["layers[1]"] = source_position{7, 5};
  const auto nested = strata::detail::make_error(cfg, "layers[1].config.max_bytes", "m");
  CHECK(nested.to_string() == "f.yaml:7:5: layers[1].config.max_bytes: m");
  const auto unknown = strata::detail::make_error(cfg, "runtime.threads", "m");
  CHECK(unknown.to_string() == "f.yaml: runtime.threads: m");
}

TEST_CASE("check_schema accepts a good schema and says what is wrong with a bad one", "[config][schema]") {
  using strata::detail::check_schema;
  CHECK(check_schema(demo_schema, demo_schema_size).empty());
  CHECK(check_schema(nullptr, 0).empty());

  const strata_config_key bad_default[] = {{"max_bytes", STRATA_VALUE_SIZE, "lots", "", 0, 0, 0, 0}};
  CHECK(check_schema(bad_default, 1) ==
        "schema key 'max_bytes': bad default: expected a size such as 64MiB, got 'lots'");
  const strata_config_key default_out_of_bounds[] = {{"shards", STRATA_VALUE_INT, "100", "", 1, 1, 1, 64}};
  CHECK(check_schema(default_out_of_bounds, 1) ==
        "schema key 'shards': bad default: '100' is above the maximum of 64");
  const strata_config_key min_above_max[] = {{"ttl", STRATA_VALUE_DURATION, nullptr, "", 1, 100, 1, 10}};
  CHECK(check_schema(min_above_max, 1) == "schema key 'ttl': min 100 ms is greater than max 10 ms");
  const strata_config_key duplicate[] = {{"a", STRATA_VALUE_INT, "1", "", 0, 0, 0, 0},
                                         {"a", STRATA_VALUE_INT, "2", "", 0, 0, 0, 0}};
  CHECK(check_schema(duplicate, 2) == "schema key 'a' is declared twice");
  const strata_config_key unnamed[] = {{nullptr, STRATA_VALUE_INT, "1", "", 0, 0, 0, 0}};
  CHECK(check_schema(unnamed, 1) == "schema key #0 has no name");
  const strata_config_key unknown_type[] = {{"a", static_cast<strata_value_type>(99), "1", "", 0, 0, 0, 0}};
  CHECK(check_schema(unknown_type, 1) == "schema key 'a' has an unknown type 99");
  const strata_config_key nan_bound[] = {{"ratio", STRATA_VALUE_DOUBLE, "0.5", "", 1, std::nan(""), 0, 0}};
  CHECK(check_schema(nan_bound, 1) == "schema key 'ratio': a bound is NaN (no value would compare with it)");
  // Bounds a string or bool key would ignore, and names a path could not hold, were taken.
  const strata_config_key bounded_string[] = {{"mode", STRATA_VALUE_STRING, "fast", "", 1, 5, 1, 1}};
  CHECK(check_schema(bounded_string, 1) ==
        "schema key 'mode': a string, bool, file or address key takes no min or max (they would be ignored)");
  const strata_config_key bounded_bool[] = {{"on", STRATA_VALUE_BOOL, "true", "", 0, 0, 1, 1}};
  CHECK(check_schema(bounded_bool, 1) ==
        "schema key 'on': a string, bool, file or address key takes no min or max (they would be ignored)");
  const strata_config_key bounded_file[] = {{"out", STRATA_VALUE_FILE, "", "", 1, 1, 0, 0}};
  CHECK(check_schema(bounded_file, 1) ==
        "schema key 'out': a string, bool, file or address key takes no min or max (they would be ignored)");
  // A file or address key is a type of ABI 1.6: a plugin built for 1.5 declaring one was refused, and still is.
  const strata_config_key file_key[] = {{"out", STRATA_VALUE_FILE, "", "", 0, 0, 0, 0}};
  CHECK(check_schema(file_key, 1, 6).empty());
  CHECK(check_schema(file_key, 1, 5) == "schema key 'out' has an unknown type 7 for a plugin built for ABI 1.5");
  // A timeout key is one of ABI 1.7, a duration with bounds in milliseconds.
  const strata_config_key timeout_key[] = {{"wait", STRATA_VALUE_TIMEOUT, "5s", "", 1, 1, 1, 10000}};
  CHECK(check_schema(timeout_key, 1, 7).empty());
  CHECK(check_schema(timeout_key, 1, 6) == "schema key 'wait' has an unknown type 9 for a plugin built for ABI 1.6");
  const strata_config_key wide_timeout[] = {{"wait", STRATA_VALUE_TIMEOUT, "20s", "", 1, 1, 1, 10000}};
  CHECK(check_schema(wide_timeout, 1) == "schema key 'wait': bad default: '20s' is above the maximum of 10000 ms");
  const strata_config_key bad_address[] = {{"listen", STRATA_VALUE_LISTEN_ADDRESS, "9464", "", 0, 0, 0, 0}};
  CHECK(check_schema(bad_address, 1) == "schema key 'listen': bad default: expected host:port such as 127.0.0.1:9464 "
                                        "(port 0: any free port), got '9464'");
  const strata_config_key dotted[] = {{"my key.x", STRATA_VALUE_INT, "1", "", 0, 0, 0, 0}};
  CHECK(check_schema(dotted, 1) == "schema key 'my key.x': a name is letters, digits, '_' and '-' only");
}

namespace {

/// A schema whose keys apply only with some values of others (ABI 1.8).
const strata_config_key backend_schema[] = {
  {"backend", STRATA_VALUE_STRING, "sqlite", "", 0, 0, 0, 0},
  {"pool_size", STRATA_VALUE_INT, "2", "", 1, 1, 0, 0},
  {"wait", STRATA_VALUE_DURATION, "2s", "", 0, 0, 0, 0},
  {"path", STRATA_VALUE_FILE, "a.db", "", 0, 0, 0, 0},
  {"pretty", STRATA_VALUE_BOOL, "false", "", 0, 0, 0, 0},
  {"lines", STRATA_VALUE_BOOL, "false", "", 0, 0, 0, 0},
  {"dsn", STRATA_VALUE_STRING, nullptr, "", 0, 0, 0, 0},
};
const strata_key_condition backend_conditions[] = {
  {"pool_size", "backend", "postgres"}, {"pool_size", "backend", "mysql"}, {"wait", "backend", "postgres"},
  {"path", "backend", "sqlite"},        {"pretty", "lines", "false"},     {"wait", "lines", "true"},
};
constexpr strata::detail::key_conditions backend_rules{backend_conditions, 6};

std::vector<std::string> validate_backends(config& cfg) { return validate_all(cfg, backend_schema, 7, backend_rules); }

} // namespace

TEST_CASE("a key set where its conditions do not hold is refused at the key, one at its default is taken", "[config][schema]") {
  config cfg = parse_valid(R"(layers:
  - name: a
    plugin: demo
    config:
      dsn: x
      pool_size: 8
      path: b.db
      pretty: on
      lines: yes
  - name: b
    plugin: demo
    config: {dsn: x, backend: postgres, pool_size: 2, wait: 2000ms, path: a.db, lines: true}
  - name: c
    plugin: demo
    config: {dsn: x, backend: mysql, pool_size: 4, wait: 1s, lines: on, pretty: no}
)");
  CHECK(validate_backends(cfg) ==
        std::vector<std::string>{
          "t.yaml:6:7: layers[0].config.pool_size: 'pool_size' applies only with backend: postgres or mysql, and "
          "backend is 'sqlite' here (the default): leave pool_size out, or set backend: postgres or mysql",
          "t.yaml:8:7: layers[0].config.pretty: 'pretty' applies only with lines: false, and lines is 'yes' here: "
          "leave pretty out, or set lines: false",
          // Both of wait's keys must hold: backend does, lines does not.
          "t.yaml:15:52: layers[2].config.wait: 'wait' applies only with backend: postgres, and backend is 'mysql' "
          "here: leave wait out, or set backend: postgres",
        });
  // b: pool_size, wait ("2000ms" is its "2s") and path are at their defaults: they change nothing.
}

TEST_CASE("a key whose value is wrong is told so, not also that it does nothing", "[config][schema]") {
  config cfg = parse_valid("layers:\n  - name: a\n    plugin: demo\n    config: {pool_size: lots, pretty: true, lines: true}\n"
                           "  - name: b\n    plugin: demo\n    config: {dsn: x, pretty: true, lines: maybe}\n");
  const auto errors = validate_backends(cfg);
  REQUIRE(errors.size() == 4);
  CHECK_THAT(errors[0], Catch::Contains("pool_size: expected an integer, got 'lots'"));
  CHECK_THAT(errors[1], Catch::Contains("missing required key 'dsn'"));
  CHECK_THAT(errors[2], Catch::Contains("pretty: 'pretty' applies only with lines: false"));
  // A when_key whose value is wrong is told so; what pretty does there is not known.
  CHECK_THAT(errors[3], Catch::Contains("layers[1].config.lines: expected true, yes or on"));
}

TEST_CASE("check_conditions says what is wrong with a plugin's key conditions", "[config][schema]") {
  using strata::detail::check_conditions;
  using strata::detail::key_conditions;
  CHECK(check_conditions(backend_schema, 7, backend_rules).empty());
  CHECK(check_conditions(backend_schema, 7, {}).empty());
  CHECK(check_conditions(backend_schema, 7, key_conditions{nullptr, 2}) ==
        "the descriptor declares 2 key conditions but no array");
  const auto refusal = [](strata_key_condition c) { return check_conditions(backend_schema, 7, key_conditions{&c, 1}); };
  CHECK(refusal({"colour", "backend", "x"}) == "key condition #0 ('colour' when backend is 'x'): the schema has no key 'colour'");
  CHECK(refusal({"pool_size", "mode", "x"}) == "key condition #0 ('pool_size' when mode is 'x'): the schema has no key 'mode'");
  CHECK(refusal({"backend", "backend", "x"}) == "key condition #0 ('backend' when backend is 'x'): a key cannot depend on itself");
  CHECK(refusal({"dsn", "backend", "x"}) ==
        "key condition #0 ('dsn' when backend is 'x'): 'dsn' is required, so it cannot apply only sometimes");
  CHECK(refusal({"backend", "pool_size", "3"}) ==
        "key condition #0 ('backend' when pool_size is '3'): 'pool_size' is neither a string nor a bool key");
  CHECK_THAT(refusal({"pretty", "lines", "maybe"}),
             Catch::StartsWith("key condition #0 ('pretty' when lines is 'maybe'): expected true, yes or on"));
  CHECK(refusal({nullptr, "lines", "true"}) == "key condition #0 lacks its key, its when_key or its when_value");
}

TEST_CASE("telemetry sections parse, with every error at its value", "[config][telemetry]") {
  const auto good = parse_config(R"(
layers:
  - {name: hot, plugin: predictive}
exporters:
  - {name: prom, plugin: prometheus, config: {address: "127.0.0.1:9464"}}
alerts:
  history: 50
  rules:
    - {name: cold, value: hit_rate, layer: hot, window: hour, comparison: "<", threshold: 0.5, for: 1m,
       severity: info, cooldown: 5m, escalate_after: 10m, escalate_to: warning}
    - {name: faults, value: strata_cache_layer_errors_total, labels: {type: timeout}, comparison: ">", threshold: 0}
  handlers:
    - {name: ops, plugin: webhook, config: {url: "http://127.0.0.1:9/x"}}
health: {max_rss: 2GiB, data_dir: /var/lib/strata, min_free_disk: 1GiB}
logging: {level: debug, format: json, output: stdout}
)", "t.yaml");
  REQUIRE(good.ok());
  const auto& cfg = *good.effective;
  REQUIRE(cfg.exporters.size() == 1);
  CHECK(cfg.exporters[0].settings.at("address") == "127.0.0.1:9464");
  CHECK(cfg.alerts.history == 50);
  REQUIRE(cfg.alerts.rules.size() == 2);
  const auto& cold = cfg.alerts.rules[0];
  CHECK(cold.window == stats_window::hour);
  CHECK(cold.threshold == 0.5);
  CHECK(cold.for_duration == std::chrono::minutes(1));
  CHECK(cold.severity == alert_severity::info);
  CHECK(cold.escalate_to == alert_severity::warning);
  CHECK(cfg.alerts.rules[1].labels == std::map<std::string, std::string>{{"type", "timeout"}});
  CHECK(cfg.alerts.handlers.at(0).plugin == "webhook");
  CHECK(cfg.health.max_rss == 2ull << 30);
  CHECK(cfg.health.min_free_disk == 1ull << 30);
  CHECK(cfg.logging.format == log_format::json);
  CHECK(cfg.logging.output == "stdout");
  // And back: the effective configuration reads as the same thing.
  const auto again = parse_config(to_yaml(cfg), "again.yaml");
  REQUIRE(again.ok());
  CHECK(to_yaml(*again.effective) == to_yaml(cfg));

  CHECK(error_lines(parse_config(R"(layers: [{name: a, plugin: p}]
exporters: {name: x}
alerts:
  rules:
    - {name: r, value: hit_rate, comparison: "<", threshold: low, severity: loud}
    - {value: hit_rate}
health: {max_rss: lots}
logging: {format: xml}
)", "t.yaml")) == std::vector<std::string>{
          "t.yaml:2:12: exporters: expected a sequence of exporters, got a mapping",
          "t.yaml:5:62: alerts.rules[0].threshold: expected a number, got 'low'",
          "t.yaml:5:77: alerts.rules[0].severity: expected one of info, warning, critical, got 'loud'",
          "t.yaml:6:7: alerts.rules[1]: missing required key 'name'",
          "t.yaml:6:7: alerts.rules[1]: missing required key 'comparison'",
          "t.yaml:6:7: alerts.rules[1]: missing required key 'threshold'",
          "t.yaml:7:19: health.max_rss: expected a size such as 512MiB or 2GiB, got 'lots'",
          "t.yaml:8:19: logging.format: expected one of text, json, got 'xml'"});

  // A name that is there but not a name is one error, not also a missing one.
  CHECK(error_lines(parse_config(R"(layers: [{name: a, plugin: p}]
alerts:
  rules: [{name: low.rate x, value: hit_rate, comparison: "<", threshold: 1}]
  handlers: [{name: "my log", plugin: log}]
)", "t.yaml")) == std::vector<std::string>{
          "t.yaml:3:18: alerts.rules[0].name: expected a name of letters, digits, '_' and '-', got 'low.rate x'",
          "t.yaml:4:21: alerts.handlers[0].name: expected a name of letters, digits, '_' and '-', got 'my log'"});
}

TEST_CASE("alert rules and instances are checked against the deployment", "[config][telemetry]") {
  auto parsed = parse_config(R"(
layers: [{name: hot, plugin: predictive}]
exporters:
  - {name: twice, plugin: test_exporter, config: {path: /dev/null}}
  - {name: twice, plugin: test_exporter, config: {path: /dev/null}}
alerts:
  history: 10
  rules:
    - {name: r, value: hit_rate, layer: cold, comparison: "<", threshold: 1}
    - {name: r, value: strata_x_total, layer: hot, comparison: ">", threshold: 1, severity: critical,
       escalate_after: 1m, escalate_to: warning}
    - {name: s, value: strata_cache_entries, labels: {cache_layer: nope}, comparison: ">", threshold: 1}
    - {name: t, value: rss_bytes, layer: hot, comparison: ">", threshold: 1}
    - {name: u, value: strata_cache_entries, window: hour, comparison: ">", threshold: 1}
    - {name: v, value: strata_alert_handler_errors_total, labels: {handler: nope}, comparison: ">", threshold: 0}
    - {name: w, value: strata_exporter_errors_total, labels: {exporter: thrice}, comparison: ">", threshold: 0}
    - {name: x, value: strata_alerts_firing, labels: {rule: ghost}, comparison: ">", threshold: 0}
    - {name: y, value: rss_bytes, comparison: ">", threshold: 1, escalate_to: warning}
logging: {level: info}
)", "t.yaml");
  REQUIRE(parsed.ok());
  // The parser refuses these two too (below); validate() refuses them in a config built in code.
  parsed.effective->logging.level = "chatty";
  parsed.effective->alerts.rules[0].comparison = "=";
  const auto report = strata::validate(*parsed.effective);
  CHECK(error_lines(report) == std::vector<std::string>{
          "t.yaml:19:18: logging.level: expected one of debug, info, warn, error, off, got 'chatty'",
          "t.yaml:5:12: exporters[1].name: duplicate name 'twice'",
          "t.yaml:9:41: alerts.rules[0].layer: no layer named 'cold' in this deployment",
          "t.yaml:9:59: alerts.rules[0].comparison: expected one of <, <=, >, >=, got '='",
          "t.yaml:10:14: alerts.rules[1].name: duplicate rule name 'r'",
          "t.yaml:10:47: alerts.rules[1].layer: 'layer' applies to the derived values (hit_rate, miss_rate, "
          "error_rate, throughput, p50_latency, p95_latency, p99_latency), and 'strata_x_total' is none of them; for a "
          "metric family, select the layer with labels: {cache_layer: ...}",
          "t.yaml:11:41: alerts.rules[1].escalate_to: must be above the rule's severity (critical)",
          "t.yaml:12:68: alerts.rules[2].labels.cache_layer: no layer named 'nope' in this deployment",
          "t.yaml:13:42: alerts.rules[3].layer: 'rss_bytes' is the process's, not a layer's: it takes no 'layer'",
          "t.yaml:14:54: alerts.rules[4].window: 'window' applies to the derived values only; a metric rule compares "
          "the family's current value",
          "t.yaml:15:77: alerts.rules[5].labels.handler: no alert handler named 'nope' in this deployment",
          "t.yaml:16:73: alerts.rules[6].labels.exporter: no exporter named 'thrice' in this deployment",
          "t.yaml:17:61: alerts.rules[7].labels.rule: no rule named 'ghost' in this deployment",
          "t.yaml:18:79: alerts.rules[8].escalate_to: applies only with escalate_after, which is 0 here (never): leave "
          "escalate_to out, or set escalate_after"});
}

TEST_CASE("the log and an exporter's file on one path, or both on standard output, are refused",
          "[config][telemetry]") {
  // A snapshot's rename replaced the log file; log lines broke the JSON stream on stdout.
  auto same_file = parse_config(R"(layers: [{name: hot, plugin: predictive}]
exporters:
  - {name: j, plugin: test_exporter, config: {path: /tmp/strata-x/../strata-x/same.json}}
logging: {output: /tmp/strata-x/same.json}
)", "t.yaml");
  REQUIRE(same_file.ok());
  CHECK(error_lines(strata::validate(*same_file.effective)) ==
        std::vector<std::string>{"t.yaml:3:53: exporters[0].config.path: '/tmp/strata-x/../strata-x/same.json' is also "
                                 "logging.output: each would overwrite the other"});
  auto both_stdout = parse_config(R"(layers: [{name: hot, plugin: predictive}]
exporters:
  - {name: j, plugin: test_exporter, config: {path: "-"}}
logging: {output: stdout}
)", "t.yaml");
  REQUIRE(both_stdout.ok());
  CHECK(error_lines(strata::validate(*both_stdout.effective)) ==
        std::vector<std::string>{"t.yaml:3:53: exporters[0].config.path: writes to standard output, as logging.output "
                                 "does: the log's lines would break its stream (log to stderr or a file)"});
  auto apart = parse_config(R"(layers: [{name: hot, plugin: predictive}]
exporters:
  - {name: j, plugin: test_exporter, config: {path: "-"}}
logging: {output: /tmp/strata-x/log.txt}
)", "t.yaml");
  REQUIRE(apart.ok());
  CHECK(strata::validate(*apart.effective).ok());
}

TEST_CASE("two parts of a deployment on one file or one port are refused by the validation", "[config][telemetry]") {
  // Plugins' file and address keys (ABI 1.6): two exporters overwrote one file without a word; two
  // SQLite layers on one file, or an exporter on the HTTP API's port, were refused only by the start.
  auto files = parse_config(R"(layers:
  - {name: meaning, plugin: semantic, config: {sqlite_path: /tmp/strata-x/one.sqlite3}}
  - {name: vectors, plugin: vector, config: {sqlite_path: /tmp/strata-x/sub/../one.sqlite3}}
exporters:
  - {name: a, plugin: test_exporter, config: {path: /tmp/strata-x/out.json}}
  - {name: b, plugin: test_exporter, config: {path: /tmp/strata-x/out.json}}
  - {name: c, plugin: json}
  - {name: d, plugin: json, config: {path: "-"}}
)", "t.yaml");
  REQUIRE(files.ok());
  CHECK(error_lines(strata::validate(*files.effective)) ==
        std::vector<std::string>{
          "t.yaml:3:59: layers[1].config.sqlite_path: '/tmp/strata-x/sub/../one.sqlite3' is also "
          "layers[0].config.sqlite_path ('/tmp/strata-x/one.sqlite3'): each would overwrite the other",
          "t.yaml:6:53: exporters[1].config.path: '/tmp/strata-x/out.json' is also exporters[0].config.path "
          "('/tmp/strata-x/out.json'): each would overwrite the other",
          "t.yaml:8:44: exporters[3].config.path: writes to standard output, as exporters[2].config.path does: the "
          "two would interleave"});
  auto ports = parse_config(R"(layers: [{name: hot, plugin: predictive}]
server:
  http: {address: "127.0.0.1:18099"}
  resp: {enabled: false, address: "127.0.0.1:18098"}
exporters:
  - {name: a, plugin: prometheus, config: {address: "0.0.0.0:18099"}}
  - {name: b, plugin: prometheus, config: {address: "127.0.0.1:18098"}}
  - {name: c, plugin: prometheus, config: {address: "127.0.0.1:18098"}}
  - {name: d, plugin: prometheus, config: {address: "127.0.0.1:0"}}
  - {name: e, plugin: prometheus, config: {address: "127.0.0.1:0"}}
  - {name: f, plugin: prometheus, config: {address: "9464"}}
)", "t.yaml");
  REQUIRE(ports.ok());
  const auto port_errors = error_lines(strata::validate(*ports.effective));
  CHECK(port_errors ==
        std::vector<std::string>{
          "t.yaml:11:53: exporters[5].config.address: expected host:port such as 127.0.0.1:9464 (port 0: any free "
          "port), got '9464'",
          "t.yaml:6:53: exporters[0].config.address: '0.0.0.0:18099' is where server.http.address listens too "
          "('127.0.0.1:18099'): give each its own port",
          "t.yaml:8:53: exporters[2].config.address: '127.0.0.1:18098' is where exporters[1].config.address listens "
          "too ('127.0.0.1:18098'): give each its own port"});
  // Without a server section (a host that embeds the runtime serves neither front end), an
  // exporter on the HTTP API's default port is no clash; 0.0.0.0 takes 127.0.0.1's port too.
  auto embedded = parse_config(R"(layers: [{name: hot, plugin: predictive}]
exporters:
  - {name: a, plugin: prometheus, config: {address: "127.0.0.1:8080"}}
  - {name: b, plugin: prometheus, config: {address: "0.0.0.0:18097"}}
  - {name: c, plugin: prometheus, config: {address: "127.0.0.1:18097"}}
)", "t.yaml");
  REQUIRE(embedded.ok());
  CHECK(error_lines(strata::validate(*embedded.effective)) ==
        std::vector<std::string>{"t.yaml:5:53: exporters[2].config.address: '127.0.0.1:18097' is where "
                                 "exporters[1].config.address listens too ('0.0.0.0:18097'): give each its own port"});
  // A relative path is the file under the working directory; /dev/null may be written by any number.
  auto relative = parse_config("layers: [{name: hot, plugin: predictive}]\nexporters:\n"
                               "  - {name: a, plugin: test_exporter, config: {path: strata-x-out.json}}\n"
                               "  - {name: b, plugin: test_exporter, config: {path: " +
                                 (std::filesystem::current_path() / "strata-x-out.json").string() + "}}\n"
                               "  - {name: c, plugin: test_exporter, config: {path: /dev/null}}\n"
                               "  - {name: d, plugin: test_exporter, config: {path: /dev/null}}\n"
                               "logging: {output: /dev/null}\n",
                               "t.yaml");
  REQUIRE(relative.ok());
  const auto relative_errors = error_lines(strata::validate(*relative.effective));
  REQUIRE(relative_errors.size() == 1);
  CHECK_THAT(relative_errors[0], Catch::StartsWith("t.yaml:4:53: exporters[1].config.path: '") &&
                                   Catch::Contains("' is also exporters[0].config.path ('strata-x-out.json')"));
}

TEST_CASE("the global layer's and the diary's SQLite files are claimed, their defaults too, but not by two defaults",
          "[config][telemetry]") {
  // They were plain strings: a json exporter on the global layer's database replaced it with a
  // snapshot, and the log appended to the diary's, both accepted by check-config (audit).
  auto taken = parse_config(R"(layers:
  - {name: shared, plugin: global}
  - {name: diary, plugin: diary, config: {sqlite_path: /tmp/strata-x/diary.sqlite3}}
exporters:
  - {name: snap, plugin: json, config: {path: strata-data/global.sqlite3}}
logging: {output: /tmp/strata-x/diary.sqlite3}
)", "t.yaml");
  REQUIRE(taken.ok());
  const auto taken_errors = error_lines(strata::validate(*taken.effective));
  REQUIRE(taken_errors.size() == 2);
  CHECK(taken_errors[0] == "t.yaml:3:56: layers[1].config.sqlite_path: '/tmp/strata-x/diary.sqlite3' is also "
                           "logging.output: each would overwrite the other");
  CHECK_THAT(taken_errors[1], Catch::StartsWith("t.yaml:5:47: exporters[0].config.path: 'strata-data/global.sqlite3' "
                                                "is also layers[0].config.sqlite_path ('strata-data/global.sqlite3')"));
  // Two instances on their plugin's default, which backend postgres does not use: no clash (on
  // SQLite the start refuses the second, naming the file).
  auto defaults = parse_config(R"(layers:
  - {name: hot, plugin: predictive}
  - {name: one, plugin: global, config: {backend: postgres, channel: one}}
  - {name: two, plugin: global, config: {backend: postgres, channel: two}}
)", "t.yaml");
  REQUIRE(defaults.ok());
  CHECK(error_lines(strata::validate(*defaults.effective)).empty());
  // Nor is a path given where another's default goes unused: it was refused as "each would
  // overwrite the other", while the global layer on postgres opens no file.
  auto unused = parse_config(R"(layers:
  - {name: one, plugin: global, config: {backend: postgres}}
  - {name: diary, plugin: diary, config: {sqlite_path: strata-data/global.sqlite3}}
)", "t.yaml");
  REQUIRE(unused.ok());
  CHECK(error_lines(strata::validate(*unused.effective)).empty());
}

TEST_CASE("the errors' text lists them in the file's order, whatever pass found each", "[config]") {
  strata::config_report report;
  report.errors = {{"t.yaml", {15, 18}, "logging.level", "late"},
                   {"t.yaml", {0, 0}, "", "nowhere"},
                   {"t.yaml", {5, 12}, "exporters[1].name", "early"},
                   {"other.yaml", {1, 1}, "x", "another file"},
                   {"t.yaml", {5, 3}, "exporters[1]", "earlier on its line"}};
  CHECK(report.errors_text() == "t.yaml:5:3: exporters[1]: earlier on its line\n"
                                "t.yaml:5:12: exporters[1].name: early\n"
                                "t.yaml:15:18: logging.level: late\n"
                                "t.yaml: nowhere\n"
                                "other.yaml:1:1: x: another file\n");
}

TEST_CASE("a log level and a rule's comparison are refused with the file's other errors", "[config][telemetry]") {
  CHECK(error_lines(parse_config(R"(layers: [{name: hot, plugin: predictive}]
alerts:
  rules: [{name: r, value: hit_rate, comparison: "==", threshold: 1, window: week}]
logging: {level: trace, format: xml}
)", "t.yaml")) == std::vector<std::string>{
          "t.yaml:3:50: alerts.rules[0].comparison: expected one of <, <=, >, >=, got '=='",
          "t.yaml:3:78: alerts.rules[0].window: expected one of minute, hour, day, got 'week'",
          "t.yaml:4:18: logging.level: expected one of debug, info, warn, error, off, got 'trace'",
          "t.yaml:4:33: logging.format: expected one of text, json, got 'xml'"});
}

TEST_CASE("the server section parses, round-trips, and is checked at its positions", "[config][server]") {
  scoped_env token("STRATA_TEST_TOKEN", "s3cret");
  const auto cfg = parse_valid(R"(layers: [{name: hot, plugin: predictive}]
server:
  http: {enabled: false, address: "[::1]:0", max_body: 64KiB, token: "${STRATA_TEST_TOKEN:-}"}
)");
  CHECK_FALSE(cfg.server.http.enabled);
  CHECK(cfg.server.http.address == "[::1]:0");
  CHECK(cfg.server.http.max_body == 64 * 1024);
  CHECK(cfg.server.http.token == "s3cret");
  check_position(cfg, "server.http.max_body", 3, 56);
  check_same_values(cfg, parse_valid(strata::to_yaml(cfg)));

  const auto defaults = parse_valid("layers: [{name: hot, plugin: predictive}]\n");
  CHECK(defaults.server.http.enabled);
  CHECK(defaults.server.http.address == "127.0.0.1:8080");
  CHECK(defaults.server.http.max_body == 1024 * 1024);
  CHECK(defaults.server.http.token.empty());
  CHECK(strata::to_yaml(defaults).find("token: \"\"") != std::string::npos);

  CHECK(error_lines(parse_config(R"(layers: [{name: hot, plugin: predictive}]
server:
  http: {enabled: maybe, max_body: huge, token: [a], port: 80}
  redis: {}
)", "t.yaml")) == std::vector<std::string>{
          "t.yaml:3:19: server.http.enabled: "
          "expected true, yes or on, or false, no or off, each in lower case, capitalised or upper case "
          "(True, TRUE), got 'maybe'",
          "t.yaml:3:36: server.http.max_body: expected a size such as 512MiB or 2GiB, got 'huge'",
          "t.yaml:3:49: server.http.token: expected a token, got a sequence",
          "t.yaml:3:54: server.http.port: unknown key 'port'; allowed here: enabled, address, max_body, token",
          "t.yaml:4:3: server.redis: unknown key 'redis'; allowed here: http, resp"});

  // An address's form is the value's own: reported with the file's other errors (it came only once
  // they were mended), and checked again for a config built in code.
  CHECK(error_lines(parse_config(R"(layers: [{name: hot, plugin: test_map}]
server:
  http: {address: "localhost", max_body: huge}
)", "t.yaml")) == std::vector<std::string>{
          "t.yaml:3:19: server.http.address: expected host:port such as 127.0.0.1:8080 or [::1]:8080 (port 0: any "
          "free port), got 'localhost'",
          "t.yaml:3:42: server.http.max_body: expected a size such as 512MiB or 2GiB, got 'huge'"});
  auto parsed = parse_config(R"(layers: [{name: hot, plugin: test_map}]
server:
  http:
    address: "127.0.0.1:8080"
    max_body: 0
    token: "abc\r\nX-Injected: yes"
)", "t.yaml");
  REQUIRE(parsed.ok());
  parsed.effective->server.http.address = "localhost";
  CHECK(error_lines(strata::validate(*parsed.effective)) == std::vector<std::string>{
          "t.yaml:4:14: server.http.address: expected host:port such as 127.0.0.1:8080 or [::1]:8080 (port 0: any "
          "free port), got 'localhost'",
          "t.yaml:5:15: server.http.max_body: must be greater than 0",
          "t.yaml:6:12: server.http.token: expected a token of visible ASCII characters, without spaces or control "
          "characters (a client sends it in a header line)"});
}

TEST_CASE("a plugin directory that is not there, or not a directory, is an error at its item", "[config]") {
  // Skipped without a word, it let the default plugins load in place of the ones meant.
  const std::string file = (std::filesystem::temp_directory_path() / "strata_not_a_plugin_dir.txt").string();
  std::ofstream(file) << "text";
  auto parsed = parse_config("plugins:\n  path:\n    - /no/such/strata/plugins\n    - " + file +
                               "\nlayers: [{name: hot, plugin: test_map}]\n", "t.yaml");
  REQUIRE(parsed.ok());
  const auto errors = error_lines(strata::validate(*parsed.effective));
  std::filesystem::remove(file);
  REQUIRE(errors.size() >= 2);
  CHECK(errors[0] == "t.yaml:3:7: plugins.path[0]: '/no/such/strata/plugins' is not there; expected a directory of plugins");
  CHECK(errors[1] == "t.yaml:4:7: plugins.path[1]: '" + file + "' is not a directory; expected a directory of plugins");
}

namespace shape_plugin {

const strata_config_key keys[] = {{"shape", STRATA_VALUE_STRING, "round", "a shape", 0, 0, 0, 0}};
void* create(const strata_plugin_context*, char*, size_t) { return nullptr; }
void destroy(void*) {}
/// Refuses what the schema cannot: a square with a reason naming its key, a triangle without.
int only_round(const void* config, char* error, size_t size) {
  const auto& shape = static_cast<const strata::plugin_config*>(config)->get_string("shape");
  if (shape == "square")
    std::snprintf(error, size, "shape: '%s' has corners", shape.c_str());
  else if (shape == "triangle")
    std::snprintf(error, size, "three corners are too many");
  return shape == "square" || shape == "triangle" ? 0 : 1;
}
const strata_plugin_descriptor checked = {STRATA_ABI_MAJOR, 3, "checked_shape", "1.0", STRATA_PLUGIN_LAYER, 0,
                                          keys, 1, &create, &destroy, &only_round, 0, nullptr, 0};
/// The same function behind a 1.2 descriptor, which has no `check` field: the host must not read it.
const strata_plugin_descriptor older = {STRATA_ABI_MAJOR, 2, "older_shape", "1.0", STRATA_PLUGIN_LAYER, 0,
                                        keys, 1, &create, &destroy, &only_round, 0, nullptr, 0};

} // namespace shape_plugin

TEST_CASE("a plugin's own check refuses what its schema lets through, at the key it names (ABI 1.3)", "[config][abi]") {
  auto parsed = parse_config(R"(layers:
  - {name: a, plugin: checked_shape, config: {shape: square}}
  - {name: b, plugin: checked_shape, config: {shape: triangle}}
  - {name: c, plugin: checked_shape}
  - {name: d, plugin: older_shape, config: {shape: square}}
)", "t.yaml");
  REQUIRE(parsed.ok());
  CHECK(error_lines(strata::validate(*parsed.effective, {&shape_plugin::checked, &shape_plugin::older})) ==
        std::vector<std::string>{"t.yaml:2:54: layers[0].config.shape: plugin 'checked_shape': 'square' has corners",
                                 "t.yaml:3:5: layers[1]: plugin 'checked_shape': three corners are too many"});
}

namespace waiting_plugin {

const strata_config_key keys[] = {{"wait", STRATA_VALUE_TIMEOUT, "50ms", "how long a request waits", 0, 0, 0, 0}};
void* create(const strata_plugin_context*, char*, size_t) { return nullptr; }
void destroy(void*) {}
/// A 1.7 layer with a timeout key and no default deadline of its own: the runtime's 100 ms.
const strata_plugin_descriptor waiting = {STRATA_ABI_MAJOR, 7, "waiting", "1.0", STRATA_PLUGIN_LAYER, 0,
                                          keys, 1, &create, &destroy, nullptr, 0, nullptr, 0};
/// The same as an observer, whose requests are commands: 5 s at least.
const strata_plugin_descriptor observing = {STRATA_ABI_MAJOR, 7, "observing", "1.0", STRATA_PLUGIN_LAYER,
                                            STRATA_PLUGIN_FLAG_OBSERVER, keys, 1, &create, &destroy, nullptr, 0, nullptr, 0};

} // namespace waiting_plugin

TEST_CASE("a layer's timeout keys are checked against the deadline it waits with (ABI 1.7)", "[config][abi]") {
  auto parsed = parse_config(R"(layers:
  - {name: a, plugin: waiting, config: {wait: 200ms}}
  - {name: b, plugin: waiting, deadline: 250ms, config: {wait: 200ms}}
  - {name: c, plugin: waiting, deadline: 150ms, config: {wait: 149.5ms}}
  - {name: d, plugin: observing, deadline: 1s, config: {wait: 4s}}
  - {name: e, plugin: observing, deadline: 1s, config: {wait: 5s}}
)", "t.yaml");
  REQUIRE(parsed.ok());
  const std::vector<const strata_plugin_descriptor*> plugins{&waiting_plugin::waiting, &waiting_plugin::observing};
  CHECK(error_lines(strata::validate(*parsed.effective, plugins)) ==
        std::vector<std::string>{
          "t.yaml:2:47: layers[0].config.wait: '200ms' is not below the layer's deadline (100ms, the runtime's "
          "default): a request that waits so long would be answered `timeout` by the coordinator before the layer "
          "could answer; give layers[0].deadline more than it, or this less",
          "t.yaml:4:64: layers[2].config.wait: '149.5ms' is not below the layer's deadline (150ms): a request that "
          "waits so long would be answered `timeout` by the coordinator before the layer could answer; give "
          "layers[2].deadline more than it, or this less", // rounded up as the plugin reads it
          "t.yaml:6:63: layers[4].config.wait: '5s' is not below the layer's commands' deadline (5000ms, at least "
          "5 s): a request that waits so long would be answered `timeout` by the coordinator before the layer could "
          "answer; give layers[4].deadline more than it, or this less"});
  // A deadline refused on its own is not compared: one error, at it.
  parsed.effective->layers[1].deadline = std::chrono::milliseconds(0);
  const auto lines = error_lines(strata::validate(*parsed.effective, plugins));
  INFO(lines.size() << " errors");
  CHECK(std::count_if(lines.begin(), lines.end(), [](const std::string& l) {
          return l.find("layers[1]") != std::string::npos;
        }) == 1);
  CHECK(std::count_if(lines.begin(), lines.end(), [](const std::string& l) {
          return l.find("layers[1].deadline: must be greater than 0") != std::string::npos;
        }) == 1);
}

TEST_CASE("embedders parse, round-trip, and a layer's embedder must name one", "[config][embedders]") {
  const auto cfg = parse_valid(R"(layers:
  - {name: meaning, plugin: semantic, embedder: lexical}
embedders:
  - {name: lexical, plugin: lexical_hash, config: {dimension: 128}}
)");
  REQUIRE(cfg.embedders.size() == 1);
  CHECK(cfg.embedders[0].name == "lexical");
  CHECK(cfg.embedders[0].plugin == "lexical_hash");
  CHECK(cfg.embedders[0].settings.at("dimension") == "128");
  CHECK(cfg.layers[0].embedder == "lexical");
  check_position(cfg, "layers[0].embedder", 2, 49);
  check_same_values(cfg, parse_valid(strata::to_yaml(cfg)));

  CHECK(error_lines(parse_config(R"(layers: [{name: a, plugin: p, embedder: [x]}]
embedders:
  - {plugin: lexical_hash}
  - 3
)", "t.yaml")) == std::vector<std::string>{
          "t.yaml:1:41: layers[0].embedder: expected an embedder's name, got a sequence",
          "t.yaml:3:5: embedders[0]: missing required key 'name'",
          "t.yaml:4:5: embedders[1]: expected a mapping (an embedder with name and plugin), got '3'"});

  auto parsed = parse_config(R"(layers: [{name: hot, plugin: test_map, embedder: nowhere}]
)", "t.yaml");
  REQUIRE(parsed.ok());
  CHECK(error_lines(strata::validate(*parsed.effective)) == std::vector<std::string>{
          "t.yaml:1:50: layers[0].embedder: no embedder named 'nowhere' in 'embedders' (none is configured)"});
}

TEST_CASE("the server.resp section parses, round-trips, and its limits are checked", "[config][server][resp]") {
  const auto cfg = parse_valid(R"(layers: [{name: hot, plugin: predictive}]
server:
  resp: {enabled: false, address: "127.0.0.1:0", max_bulk: 1MiB, max_inline: 4KiB, max_clients: 7,
         max_pipeline: 8MiB, max_in_flight: 16, threads: 2}
)");
  CHECK_FALSE(cfg.server.resp.enabled);
  CHECK(cfg.server.resp.address == "127.0.0.1:0");
  CHECK(cfg.server.resp.max_bulk == 1024 * 1024);
  CHECK(cfg.server.resp.max_inline == 4096);
  CHECK(cfg.server.resp.max_clients == 7);
  CHECK(cfg.server.resp.max_pipeline == 8 * 1024 * 1024);
  CHECK(cfg.server.resp.max_in_flight == 16);
  CHECK(cfg.server.resp.threads == 2);
  check_same_values(cfg, parse_valid(strata::to_yaml(cfg)));

  const auto defaults = parse_valid("layers: [{name: hot, plugin: predictive}]\n");
  CHECK(defaults.server.resp.enabled);
  CHECK(defaults.server.resp.address == "127.0.0.1:6380");
  CHECK(defaults.server.resp.threads == 1);
  CHECK(defaults.server.resp.max_in_flight == 1024);

  CHECK(error_lines(parse_config(R"(layers: [{name: hot, plugin: predictive}]
server:
  resp: {max_clients: 0, threads: many, max_bulk: big, port: 6379, max_in_flight: 0}
)", "t.yaml")) == std::vector<std::string>{
          "t.yaml:3:23: server.resp.max_clients: expected an integer from 1 to 1000000, got '0'",
          "t.yaml:3:35: server.resp.threads: expected an integer from 1 to 64, got 'many'",
          "t.yaml:3:51: server.resp.max_bulk: expected a size such as 512MiB or 2GiB, got 'big'",
          "t.yaml:3:56: server.resp.port: unknown key 'port'; allowed here: enabled, address, max_bulk, max_inline, "
          "max_clients, max_pipeline, max_in_flight, threads",
          "t.yaml:3:83: server.resp.max_in_flight: expected an integer from 1 to 1000000, got '0'"});

  CHECK(error_lines(parse_config("layers: [{name: hot, plugin: test_map}]\nserver: {resp: {address: \"6379\"}}\n",
                                 "t.yaml")) ==
        std::vector<std::string>{"t.yaml:2:26: server.resp.address: expected host:port such as 127.0.0.1:6380 or "
                                 "[::1]:6380 (port 0: any free port), got '6379'"});
  auto parsed = parse_config(R"(layers: [{name: hot, plugin: test_map}]
server:
  resp:
    address: "127.0.0.1:6380"
    max_bulk: 1MiB
    max_pipeline: 1MiB
)", "t.yaml");
  REQUIRE(parsed.ok());
  parsed.effective->server.resp.address = "6379"; // as a config built in code may hold it
  CHECK(error_lines(strata::validate(*parsed.effective)) == std::vector<std::string>{
          "t.yaml:4:14: server.resp.address: expected host:port such as 127.0.0.1:6380 or [::1]:6380 (port 0: any "
          "free port), got '6379'",
          "t.yaml:6:19: server.resp.max_pipeline: must be at least max_bulk + max_inline (1114112 bytes), so that a "
          "request within the other limits fits"});
}

TEST_CASE("the HTTP and Redis front ends on one port are refused before either binds", "[config][server]") {
  // check-config passed them; serve then failed on its own second bind as if another process held the port.
  const auto errors = [](const std::string& http, const std::string& resp) {
    return error_lines(strata::validate(*parse_config("layers: [{name: hot, plugin: test_map}]\nserver: {http: "
                                                      "{address: \"" + http + "\"}, resp: {address: \"" + resp +
                                                      "\"}}\n", "t.yaml").effective));
  };
  const std::vector<std::string> clash{"t.yaml:2:61: server.resp.address: '127.0.0.1:7000' is where "
                                       "server.http.address listens too ('127.0.0.1:7000'): give each its own port"};
  CHECK(errors("127.0.0.1:7000", "127.0.0.1:7000") == clash);
  CHECK(errors("0.0.0.0:7000", "127.0.0.1:7000").size() == 1); // every address takes that port on each
  CHECK(errors("[::1]:7000", "[::]:7000").size() == 1);
  CHECK(errors("127.0.0.1:7000", "[::]:7000").size() == 1); // "::" takes IPv4's port too
  CHECK(errors("0.0.0.0:7000", "[::1]:7000").empty());      // another family
  CHECK(errors("127.0.0.1:7000", "127.0.0.1:7001").empty());
  CHECK(errors("127.0.0.1:0", "127.0.0.1:0").empty()); // each gets a free port of its own
  CHECK(errors("127.0.0.1:7000", "127.0.0.2:7000").empty());
  // check-config passed these, and serve refused the second bind.
  CHECK(errors("localhost:7000", "127.0.0.1:7000").size() == 1);
  CHECK(errors("[::1]:7000", "LocalHost:7000").size() == 1); // where localhost is ::1 first
  CHECK(errors("0.0.0.0:7000", "localhost:7000").size() == 1);
  CHECK(errors("localhost:7000", "localhost:7001").empty());
  CHECK(errors("localhost:7000", "127.0.0.2:7000").empty());
}

TEST_CASE("parse_host_port takes host:port with a bracketed IPv6 host and refuses the rest", "[config][server]") {
  using strata::units::parse_host_port;
  const auto v4 = parse_host_port("127.0.0.1:8080");
  REQUIRE(v4);
  CHECK(v4->host == "127.0.0.1");
  CHECK(v4->port == 8080);
  const auto v6 = parse_host_port("[::1]:0");
  REQUIRE(v6);
  CHECK(v6->host == "::1");
  CHECK(v6->port == 0);
  CHECK(parse_host_port("localhost:65535"));
  for (const char* bad : {"", "localhost", ":8080", "::1:8080", "[::1]", "[]:80", "host:", "host:-1", "host:65536",
                          "host:80x", "host:+80", "a b:80", "host:123456"}) {
    INFO(bad);
    CHECK_FALSE(parse_host_port(bad));
  }
}

TEST_CASE("a password is hidden in a connection string and a URL, '@' and all", "[config][secrets]") {
  CHECK(strata::without_password("host=db password='a b' user=x") == "host=db password=(hidden) user=x");
  CHECK(strata::without_password("postgresql://bob:pw@db/strata") == "postgresql://bob:(hidden)@db/strata");
  // An '@' written unencoded in the password: hidden to the authority's last '@'.
  CHECK(strata::without_password("postgresql://bob:hun@ter2pw@127.0.0.1/db?x=a@b") ==
        "postgresql://bob:(hidden)@127.0.0.1/db?x=a@b");
  CHECK(strata::without_password("postgresql://bob:pa?ss@db/x") == "postgresql://bob:(hidden)@db/x");
  CHECK(strata::without_password("postgresql://bob:pa#ss@db/x") == "postgresql://bob:(hidden)@db/x");
  CHECK(strata::without_password("see https://alice:s3cret@example.com/ and more") ==
        "see https://alice:(hidden)@example.com/ and more");
  // In a URL's query, up to the next parameter, which stays.
  CHECK(strata::without_password("postgresql://u@h/db?sslmode=require&password=s3&connect_timeout=5") ==
        "postgresql://u@h/db?sslmode=require&password=(hidden)&connect_timeout=5");
  CHECK(strata::without_password("postgresql://u@h/db?PassWord=s3 and more") ==
        "postgresql://u@h/db?PassWord=(hidden) and more");
  CHECK(strata::without_password("dsn: 'password=s3 host=x'") == "dsn: 'password=(hidden) host=x'");
  CHECK(strata::without_password("host=x password=a&b") == "host=x password=(hidden)");
  // A name that ends in password: libpq's sslpassword (for an encrypted client key), an application's.
  CHECK(strata::without_password("host=x sslpassword=k3y db_password=p") == "host=x sslpassword=(hidden) db_password=(hidden)");
  CHECK(strata::without_password("postgresql://h/db?sslpassword=k3y&y=1") == "postgresql://h/db?sslpassword=(hidden)&y=1");
}

TEST_CASE("YAML merge keys bring a mapping's keys in, the mapping's own winning, x- keys hold anchors", "[config]") {
  const auto cfg = parse_valid(R"(x-hot: &hot {plugin: predictive, config: &small {max_entries: 100, shards: 2}}
layers:
  - <<: *hot
    name: a
  - <<: [*hot]
    name: b
    config:
      <<: *small
      shards: 4
)");
  REQUIRE(cfg.layers.size() == 2);
  CHECK(cfg.layers[0].plugin == "predictive");
  CHECK(cfg.layers[0].settings.at("shards") == "2");
  CHECK(cfg.layers[1].plugin == "predictive");
  CHECK(cfg.layers[1].settings.at("max_entries") == "100");
  CHECK(cfg.layers[1].settings.at("shards") == "4");
  // A merged mapping that merges in turn, in a layer and in plugin settings.
  const auto nested = parse_valid(R"(x-base: &base {plugin: predictive, config: &base_cfg {shards: 2}}
x-hot: &hot {<<: *base, promote: false, config: {<<: *base_cfg, max_entries: 7}}
layers:
  - {<<: *hot, name: a}
)");
  REQUIRE(nested.layers.size() == 1);
  CHECK(nested.layers[0].plugin == "predictive");
  CHECK_FALSE(nested.layers[0].promote);
  CHECK(nested.layers[0].settings.at("shards") == "2");
  CHECK(nested.layers[0].settings.at("max_entries") == "7");
  CHECK(error_lines(parse_config("layers:\n  - {<<: {plugin: predictive}, <<: {name: a}}\n", "d.yaml")) ==
        std::vector<std::string>{"d.yaml:2:32: layers[0].<<: duplicate key '<<' (first at line 2)",
                                 "d.yaml:2:5: layers[0]: missing required key 'name'"});
  CHECK(error_lines(parse_config(R"(layers:
  - {name: a, plugin: predictive, '<<': {promote: false}}
  - <<: 5
    name: b
    plugin: predictive
xhot: 1
)", "m.yaml")) == std::vector<std::string>{
          "m.yaml:2:35: layers[0].<<: unknown key '<<'; allowed here: name, plugin, promote, write, deadline, detached, "
          "config, embedder",
          "m.yaml:3:5: layers[1].<<: a merge key ('<<') takes a mapping or a sequence of mappings, got '5'",
          "m.yaml:6:1: xhot: unknown key 'xhot'; allowed here: runtime, plugins, layers, exporters, embedders, alerts, "
          "health, logging, server"});
  // Past 64 merged mappings the rest were left out without a word (shards: 4 here, the last).
  std::string many = "x-many:\n";
  std::string aliases;
  for (int i = 0; i < 70; ++i) {
    many += "  - &e" + std::to_string(i) + " {max_entries: " + std::to_string(100 + i) + "}\n";
    aliases += "*e" + std::to_string(i) + ", ";
  }
  many += "  - &s {shards: 4}\nlayers:\n  - name: a\n    plugin: predictive\n    config: {<<: [" + aliases + "*s]}\n";
  CHECK(error_lines(parse_config(many, "many.yaml")) ==
        std::vector<std::string>{"many.yaml:76:14: layers[0].config.<<: more than 64 mappings are merged here ('<<', "
                                 "with those they merge in turn), and the rest would be left out: merge fewer"});
  // One mapping reached again and again (anchors in a diamond, an alias repeated) counts once.
  std::string diamond = "x-base: &base {shards: 2}\nx-a: &a {<<: *base}\nx-b: &b {<<: *base}\n"
                        "x-m: &m {<<: [*a, *b]}\nlayers:\n  - name: a\n    plugin: predictive\n    config: {<<: [*m";
  for (int i = 0; i < 70; ++i)
    diamond += ", *m";
  diamond += "]}\n";
  CHECK(parse_valid(diamond).layers.at(0).settings.at("shards") == "2");
}
