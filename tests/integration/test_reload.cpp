// runtime::reload and reload_alert_rules: what a SIGHUP to `strata serve` applies.
#include "runtime_fixture.hpp"

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <mutex>

using namespace strata;
using strata::testing::eventually;
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
  CHECK(report.needs_restart == std::vector<std::string>{"layers[0].deadline"}); // named down to the key
  // The new rule is evaluated: its counters exist in the exposition.
  CHECK(rt->prometheus_text().find("strata_alert_events_total{rule=\"b\"") != std::string::npos);

  // The same file again changes nothing more.
  const auto again = rt->reload(file.path.string());
  CHECK(again.valid);
  CHECK(again.applied.empty());
  CHECK(again.needs_restart == std::vector<std::string>{"layers[0].deadline"});
}

TEST_CASE("a rule that gains or loses a key, or a layer a setting, is compared key by key", "[runtime][reload]") {
  // A key on one side only was an invalid node on the other, which threw out of the reload (and
  // out of `strata serve`'s SIGHUP).
  temp_file file;
  auto rt = start_yaml(deployment("info", rule_a));
  const std::string labelled =
    "    - {name: a, value: strata_cache_hits_total, labels: {cache_layer: hot}, comparison: '>', threshold: 0.99}\n";
  file.write(deployment("info", labelled, ", config: {max_entries: 10}"));
  const auto gained = rt->reload(file.path.string());
  CHECK(gained.valid);
  CHECK(gained.applied == std::vector<std::string>{"alerts.rules: a -> a"});
  CHECK(gained.needs_restart == std::vector<std::string>{"layers[0].config.max_entries"});
  file.write(deployment("info", rule_a));
  const auto lost = rt->reload(file.path.string());
  CHECK(lost.valid);
  CHECK(lost.applied == std::vector<std::string>{"alerts.rules: a -> a"});
  CHECK(lost.needs_restart.empty());
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

  // Each error on its own, at its place in the file being reloaded (lines 7 and 8).
  file.write(deployment("debug", rule_a + "    - {name: c, value: strata_no_such_family, comparison: '>', threshold: 1}\n" +
                                   "    - {name: d, value: strata_cache_operation_duration_seconds, comparison: '>', "
                                   "threshold: 1}\n"));
  report = rt->reload(file.path.string());
  CHECK_FALSE(report.valid);
  REQUIRE(report.errors.size() == 2);
  CHECK_THAT(report.errors[0], Catch::StartsWith(file.path.string() + ":7:24: alerts.rules[1].value: no metric family "
                                                                      "named 'strata_no_such_family'"));
  CHECK_THAT(report.errors[1], Catch::StartsWith(file.path.string() + ":8:24: alerts.rules[2].value: "
                                                                      "'strata_cache_operation_duration_seconds' is a histogram"));
  CHECK(report.applied.empty()); // the level did not change either

  // Refused rules beside a setting that needs a restart: only why it was refused is said.
  file.write(deployment("info", "    - {name: c, value: strata_no_such_family, comparison: '>', threshold: 1}\n",
                        ", deadline: 250ms"));
  report = rt->reload(file.path.string());
  CHECK_FALSE(report.valid);
  CHECK(report.errors.size() == 1);
  CHECK(report.needs_restart.empty());

  // In the file's order, as check-config lists them: a plugin's keys were checked by name.
  file.write(plugins + "layers:\n  - name: hot\n    plugin: predictive\n    config:\n      window: 7\n"
                       "      extra: 1\nlogging: {level: info}\n");
  report = rt->reload(file.path.string());
  REQUIRE(report.errors.size() == 2);
  CHECK_THAT(report.errors[0], Catch::StartsWith(file.path.string() + ":6:15: layers[0].config.window: "));
  CHECK_THAT(report.errors[1], Catch::StartsWith(file.path.string() + ":7:7: layers[0].config.extra: "));

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

  // A log file the next start could not open.
  file.write(deployment("debug, output: /nonexistent-strata-dir/strata.log", rule_a));
  report = rt->reload(file.path.string());
  CHECK_FALSE(report.valid);
  REQUIRE(report.errors.size() == 1);
  CHECK_THAT(report.errors[0], Catch::Contains("logging.output: cannot open '/nonexistent-strata-dir/strata.log': its "
                                               "directory '/nonexistent-strata-dir' does not exist"));
  CHECK(report.applied.empty());
  CHECK(report.needs_restart.empty());

  file.write(deployment("info", rule_a));
  CHECK(rt->reload(file.path.string()).applied.empty()); // still rule a at info

  CHECK_FALSE(rt->reload("/nonexistent/strata.yaml").valid);
}

TEST_CASE("a reload refused for a plugin's reason that quotes credentials neither reports nor logs them",
          "[runtime][reload]") {
  temp_file file, log_file;
  const auto logged_to = plugins + "logging: {level: info, output: \"" + log_file.path.string() + "\"}\n";
  auto rt = start_yaml(logged_to + "layers: [{name: hot, plugin: predictive}]\n");
  file.write(logged_to + "layers: [{name: hot, plugin: predictive, config: {policy: 'https://alice:hunter2@example.com/'}}]\n");
  const auto report = rt->reload(file.path.string());
  CHECK_FALSE(report.valid);
  REQUIRE(report.errors.size() == 1);
  CHECK(report.errors[0].find("'https://alice:(hidden)@example.com/'") != std::string::npos);
  const auto log_text = [&] {
    std::ifstream in(log_file.path);
    return std::string{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  };
  // The log is written by a thread of its own.
  CHECK(eventually([&] { return log_text().find("alice:(hidden)@example.com") != std::string::npos; }));
  CHECK(log_text().find("hunter2") == std::string::npos);
}

namespace {

/// The alert events the runtime delivers, as its host callback sees them.
struct alert_log {
  std::mutex mutex;
  std::vector<alert_event> events;
  runtime_options options() {
    runtime_options o;
    o.on_alert = [this](const alert_event& e) {
      std::lock_guard<std::mutex> guard(mutex);
      events.push_back(e);
    };
    return o;
  }
  std::vector<alert_event> seen() {
    std::lock_guard<std::mutex> guard(mutex);
    return events;
  }
};

alert_rule resident_memory_above_zero(const std::string& name) {
  alert_rule rule;
  rule.name = name;
  rule.value = "rss_bytes";
  rule.comparison = ">";
  rule.threshold = 0;
  return rule;
}

bool has_line(const std::string& text, const std::string& line) {
  return ("\n" + text).find("\n" + line + "\n") != std::string::npos;
}

} // namespace

TEST_CASE("alert rules can be added to a deployment that started without any", "[runtime][reload]") {
  // Its handlers (a plugin that writes each event as a line) wait for rules a reload brings.
  temp_file recorded;
  alert_log log;
  auto rt = start_yaml(plugins + "runtime: {stats_interval: 20ms}\nlayers: [{name: hot, plugin: predictive}]\n" +
                         "alerts:\n  handlers:\n    - {name: recorder, plugin: test_alert_recorder, config: {path: \"" +
                         recorded.path.string() + "\"}}\n",
                       log.options());
  CHECK(rt->prometheus_text().find("strata_alerts_firing") == std::string::npos); // no rule, no series
  REQUIRE(rt->reload_alert_rules({resident_memory_above_zero("resident")}) == std::nullopt);
  REQUIRE(eventually([&] { return !log.seen().empty(); }));
  CHECK(log.seen()[0].rule == "resident");
  CHECK(log.seen()[0].transition == alert_transition::firing);
  REQUIRE(rt->alerts().size() == 1);
  CHECK(has_line(rt->prometheus_text(), R"(strata_alerts_firing{rule="resident",severity="warning"} 1)"));
  REQUIRE(eventually([&] {
    std::ifstream in(recorded.path);
    std::string line;
    return std::getline(in, line) && line == "resident firing warning";
  }));
}

TEST_CASE("a rule removed or changed by a reload while firing resolves, and its series reads 0", "[runtime][reload]") {
  alert_log log;
  auto rt = start_yaml(plugins + "runtime: {stats_interval: 20ms}\nlayers: [{name: hot, plugin: predictive}]\n" +
                         "alerts:\n  rules:\n    - {name: resident, value: rss_bytes, comparison: '>', threshold: 0}\n",
                       log.options());
  REQUIRE(eventually([&] { return log.seen().size() == 1; }));

  // Changed: its alert ends, and the new definition fires afresh at its own severity.
  auto changed = resident_memory_above_zero("resident");
  changed.severity = alert_severity::critical;
  REQUIRE(rt->reload_alert_rules({changed}) == std::nullopt);
  REQUIRE(eventually([&] { return log.seen().size() >= 2; }));
  auto events = log.seen();
  CHECK(events[1].rule == "resident");
  CHECK(events[1].transition == alert_transition::resolved);
  CHECK(events[1].severity == alert_severity::warning);
  CHECK(events[1].summary == "rss_bytes of system: the rule was changed by a reload");
  REQUIRE(eventually([&] { return log.seen().size() == 3; }));
  CHECK(log.seen()[2].transition == alert_transition::firing);
  CHECK(log.seen()[2].severity == alert_severity::critical);

  // Removed: its alert ends, and every series it had reads 0 rather than vanishing at 1.
  REQUIRE(rt->reload_alert_rules({}) == std::nullopt);
  REQUIRE(eventually([&] { return log.seen().size() == 4; }));
  events = log.seen();
  CHECK(events[3].transition == alert_transition::resolved);
  CHECK(events[3].summary == "rss_bytes of system: the rule was removed by a reload");
  CHECK(rt->alerts().empty());
  CHECK(rt->alert_history().back().summary == events[3].summary);
  const auto text = rt->prometheus_text();
  CHECK(has_line(text, R"(strata_alerts_firing{rule="resident",severity="critical"} 0)"));
  CHECK(has_line(text, R"(strata_alerts_firing{rule="resident",severity="warning"} 0)"));
  CHECK(has_line(text, R"(strata_alert_events_total{rule="resident",transition="resolved"} 2)"));
}

TEST_CASE("a rule on a family of the runtime's that has no series yet is accepted", "[runtime][reload]") {
  // No rule has fired and no event has been counted: strata_alerts_firing and
  // strata_alert_events_total have no series yet, but will.
  auto rt = start_yaml(plugins + "layers: [{name: hot, plugin: predictive}]\n");
  alert_rule firing;
  firing.name = "many";
  firing.value = "strata_alerts_firing";
  firing.comparison = ">";
  firing.threshold = 3;
  CHECK(rt->reload_alert_rules({firing}) == std::nullopt);
}

TEST_CASE("a reload cannot add alert rules to a runtime without runtime.metrics", "[runtime][reload]") {
  auto rt = start_yaml(plugins + "runtime: {metrics: false}\nlayers: [{name: hot, plugin: predictive}]\n");
  const auto refused = rt->reload_alert_rules({resident_memory_above_zero("resident")});
  REQUIRE(refused);
  CHECK(refused->message == "alerts.rules: alert rules need runtime.metrics: true, which needs a restart");
  // From a file that turns metrics on as well: placed in it, as every other refusal of a reload.
  temp_file file;
  file.write(plugins + "runtime: {metrics: true}\nlayers: [{name: hot, plugin: predictive}]\nalerts:\n  rules:\n" + rule_a);
  const auto report = rt->reload(file.path.string());
  CHECK_FALSE(report.errors.empty());
  CHECK(report.errors == std::vector<std::string>{
          file.path.string() + ":6:5: alerts.rules: alert rules need runtime.metrics: true, which needs a restart"});
}

TEST_CASE("reload_alert_rules refuses a rule on a layer outside the running chain", "[runtime][reload]") {
  auto rt = start_yaml(deployment("info", rule_a));
  alert_rule rule;
  rule.name = "x";
  rule.value = "hit_rate";
  rule.layer = "cold";
  const auto refused = rt->reload_alert_rules({rule});
  REQUIRE(refused);
  CHECK(refused->message == "alerts.rules[0].layer: no layer named 'cold' in this deployment");
  CHECK(rt->reload_alert_rules({}) == std::nullopt); // no rules at all is allowed
}

TEST_CASE("reload_alert_rules refuses what a deployment's validation refuses in a rule", "[runtime][reload]") {
  auto rt = start_yaml(deployment("info", rule_a));
  auto equal = resident_memory_above_zero("eq");
  equal.comparison = "=="; // taken as '>' by the engine: it never fired as meant
  auto not_a_number = resident_memory_above_zero("eq");
  not_a_number.threshold = std::nan("");
  auto negative = resident_memory_above_zero("late");
  negative.for_duration = std::chrono::milliseconds(-1);
  auto never = resident_memory_above_zero("never"); // INT64_MAX overflowed: it escalated at once
  never.escalate_after = std::chrono::milliseconds::max();
  never.escalate_to = alert_severity::critical;
  const auto refused = rt->reload_alert_rules({equal, not_a_number, negative, never});
  REQUIRE(refused);
  CHECK(refused->message == "alerts.rules[0].comparison: expected one of <, <=, >, >=, got '=='\n"
                            "alerts.rules[1].name: duplicate rule name 'eq'\n"
                            "alerts.rules[1].threshold: expected a finite number\n"
                            "alerts.rules[2].for: must not be negative\n"
                            "alerts.rules[3].escalate_after: must be at most 106481d (9199958400000 ms), got "
                            "9223372036854775807 ms");
  CHECK(rt->alerts().empty());
  // Its name labels the rule's series: not UTF-8 (Latin-1 here), the registry threw out of the reload.
  const auto latin1 = rt->reload_alert_rules({resident_memory_above_zero("\xdc" "berlast")});
  REQUIRE(latin1);
  CHECK(latin1->message == "alerts.rules[0].name: is not valid UTF-8");
}

TEST_CASE("a deployment built in code is held to the names a file may give", "[runtime][reload]") {
  auto parsed = parse_config("layers: [{name: hot, plugin: predictive}]\n", "x.yaml");
  REQUIRE(parsed.ok());
  auto cfg = *parsed.effective;
  cfg.layers[0].name = "h\xffot"; // a label value of every layer metric: the registry threw out of the start
  auto refused = runtime::from_config(cfg);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.err().message, Catch::Contains("layers[0].name: expected a layer name of letters, digits"));
}

TEST_CASE("a plugin whose check or factory throws is refused, at start and at a reload", "[runtime][reload]") {
  const auto layer = [](const std::string& where) {
    return plugins + "layers: [{name: odd, plugin: test_throwing_factory, config: {throw_in: " + where + "}}]\n";
  };
  auto created = runtime::from_config(*parse_config(layer("create"), "c.yaml").effective);
  REQUIRE_FALSE(created);
  CHECK_THAT(created.err().message, Catch::EndsWith("its factory failed: threw: create exploded"));
  auto checked = runtime::from_config(*parse_config(layer("check"), "c.yaml").effective);
  REQUIRE_FALSE(checked);
  CHECK_THAT(checked.err().message, Catch::Contains("plugin 'test_throwing_factory': check threw: check exploded"));

  // A running deployment is left alone by a file whose check throws.
  temp_file file;
  auto rt = start_yaml(deployment("info", rule_a));
  file.write(plugins + "layers: [{name: hot, plugin: predictive}, {name: odd, plugin: test_throwing_factory, "
                       "config: {throw_in: check}}]\nlogging: {level: info}\nalerts:\n  rules:\n" + rule_a);
  const auto report = rt->reload(file.path.string());
  CHECK_FALSE(report.valid);
  REQUIRE(report.errors.size() == 1);
  CHECK_THAT(report.errors[0], Catch::Contains("check threw: check exploded"));
  CHECK(rt->put("k", "v") == status::ok); // still serving
}
