// runtime::reload and reload_alert_rules: what a SIGHUP to `strata serve` applies.
#include "runtime_fixture.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace strata;
using strata::testing::start_yaml;

namespace {

const std::string plugins = std::string("plugins: {path: [\"") + STRATA_TEST_PLUGIN_DIR + "\"]}\n";

std::string deployment(const std::string& level, const std::string& rules, const std::string& extra = "") {
  return plugins + "layers: [{name: hot, plugin: predictive" + extra + "}]\nlogging: {level: " + level +
         "}\nalerts:\n  rules:\n" + rules;
}

const std::string rule_a = "    - {name: a, value: hit_rate, comparison: '<', threshold: 0.5}\n";
const std::string rule_b = "    - {name: b, value: strata_cache_requests_total, comparison: '>', threshold: 1e9}\n";

struct temp_file {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               ("strata_reload_" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".yaml");
  static inline int counter = 0;
  void write(const std::string& text) const { std::ofstream(path) << text; }
  ~temp_file() { std::filesystem::remove(path); }
};

} // namespace

TEST_CASE("reload applies a new log level and new alert rules and lists the rest as needing a restart",
          "[runtime][reload]") {
  temp_file file;
  file.write(deployment("info", rule_a));
  auto rt = start_yaml(deployment("info", rule_a));
  file.write(deployment("debug", rule_a + rule_b, ", deadline: 250ms"));
  const auto report = rt->reload(file.path.string());
  CHECK(report.valid);
  CHECK(report.errors.empty());
  CHECK(report.applied == std::vector<std::string>{"alerts.rules: a -> a, b", "logging.level: info -> debug"});
  CHECK(report.needs_restart == std::vector<std::string>{"layers"});
  // The new rule is evaluated: its counters exist in the exposition.
  CHECK(rt->prometheus_text().find("strata_alert_events_total{rule=\"b\"") != std::string::npos);

  // The same file again changes nothing more.
  const auto again = rt->reload(file.path.string());
  CHECK(again.valid);
  CHECK(again.applied.empty());
  CHECK(again.needs_restart == std::vector<std::string>{"layers"});
}

TEST_CASE("an invalid file, or rules the running deployment cannot evaluate, change nothing", "[runtime][reload]") {
  temp_file file;
  auto rt = start_yaml(deployment("info", rule_a));
  file.write(deployment("verbose", "    - {name: a, value: hit_rate, comparison: '=', threshold: 1}\n"));
  auto report = rt->reload(file.path.string());
  CHECK_FALSE(report.valid);
  REQUIRE(report.errors.size() == 2);
  CHECK(report.errors[0].find("logging.level") != std::string::npos);
  CHECK(report.errors[1].find("alerts.rules[0].comparison") != std::string::npos);

  file.write(deployment("debug", "    - {name: c, value: strata_no_such_family, comparison: '>', threshold: 1}\n"));
  report = rt->reload(file.path.string());
  CHECK_FALSE(report.valid);
  REQUIRE(report.errors.size() == 1);
  CHECK(report.errors[0].find("no metric family named 'strata_no_such_family'") != std::string::npos);
  CHECK(report.applied.empty()); // the level did not change either

  // A value only the plugin knows to refuse: refused now, not listed as needing a restart that
  // would then fail.
  file.write(deployment("debug", rule_a, ", config: {policy: mru}"));
  report = rt->reload(file.path.string());
  CHECK_FALSE(report.valid);
  REQUIRE(report.errors.size() == 1);
  CHECK(report.errors[0].find("layers[0].config.policy: plugin 'predictive': 'mru' is neither lru nor predictive") !=
        std::string::npos);
  CHECK(report.applied.empty());
  CHECK(report.needs_restart.empty());

  file.write(deployment("info", rule_a));
  CHECK(rt->reload(file.path.string()).applied.empty()); // still rule a at info

  CHECK_FALSE(rt->reload("/nonexistent/strata.yaml").valid);
}

TEST_CASE("alert rules cannot be added to a deployment that started without any", "[runtime][reload]") {
  auto rt = start_yaml(plugins + "layers: [{name: hot, plugin: predictive}]\n");
  alert_rule rule;
  rule.name = "a";
  rule.value = "hit_rate";
  const auto refused = rt->reload_alert_rules({rule});
  REQUIRE(refused);
  CHECK(refused->message.find("needs a restart") != std::string::npos);
}

TEST_CASE("reload_alert_rules refuses a rule on a layer outside the running chain", "[runtime][reload]") {
  auto rt = start_yaml(deployment("info", rule_a));
  alert_rule rule;
  rule.name = "x";
  rule.value = "hit_rate";
  rule.layer = "cold";
  const auto refused = rt->reload_alert_rules({rule});
  REQUIRE(refused);
  CHECK(refused->message == "alerts.rules[0].layer: no layer named 'cold' in the running chain");
  CHECK(rt->reload_alert_rules({}) == std::nullopt); // no rules at all is allowed
}
