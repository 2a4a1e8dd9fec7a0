// Loads libstrata_log.so as the runtime does and watches what it writes through the host's log.

#include "support/plugin_library.hpp"
#include "support/recording_host.hpp"

#include <strata/sdk.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using namespace strata;
using strata::testing::recorded_log;

namespace {

const strata_plugin_descriptor& log_plugin() {
  static const auto& d = testing::load_plugin("log");
  return d;
}

alert_event event(alert_transition transition, alert_severity severity, std::string rule = "low_hit_rate") {
  alert_event e;
  e.rule = std::move(rule);
  e.transition = transition;
  e.severity = severity;
  e.subject = "hot";
  e.value_name = "hit_rate";
  e.value = 0.31;
  e.comparison = "<";
  e.threshold = 0.5;
  e.at = std::chrono::system_clock::now();
  e.summary = "hit_rate of hot is 0.31 < 0.5 for 1m";
  return e;
}

/// A log handler named "ops" writing into `host`.
struct fixture {
  explicit fixture(const std::string& min_severity = "info")
    : handler(testing::create_instance<alert_handler>(log_plugin(), "ops", {{"min_severity", min_severity}},
                                                      host.api())) {}

  testing::recording_host host{STRATA_PLUGIN_ALERT_HANDLER, "ops"};
  testing::plugin_ptr<alert_handler> handler;
};

std::vector<std::string> messages(const std::vector<recorded_log>& logs) {
  std::vector<std::string> out;
  for (const auto& line : logs)
    out.push_back(line.message);
  return out;
}

} // namespace

TEST_CASE("the log plugin describes itself", "[alerting][log]") {
  const auto& d = log_plugin();
  CHECK(d.abi_major == STRATA_ABI_MAJOR);
  CHECK(d.abi_minor == STRATA_ABI_MINOR);
  CHECK(std::string(d.name) == "log");
  CHECK(d.kind == STRATA_PLUGIN_ALERT_HANDLER);
  REQUIRE(d.config_schema_size == 1);
  CHECK(std::string(d.config_schema[0].key) == "min_severity");
  CHECK(d.config_schema[0].type == STRATA_VALUE_STRING);
  CHECK(std::string(d.config_schema[0].default_value) == "info");
}

TEST_CASE("each event is one line, at the level its severity or resolution calls for", "[alerting][log]") {
  fixture f;
  f.handler->handle(event(alert_transition::firing, alert_severity::warning));
  f.handler->handle(event(alert_transition::escalated, alert_severity::critical));
  f.handler->handle(event(alert_transition::resolved, alert_severity::critical));
  f.handler->handle(event(alert_transition::firing, alert_severity::info, "cold_start"));

  const auto logs = f.host.logs();
  REQUIRE(logs.size() == 4);
  CHECK(logs[0].message == "alert low_hit_rate firing (warning): hit_rate of hot is 0.31 < 0.5 for 1m");
  CHECK(logs[0].level == STRATA_LOG_WARN);
  CHECK(logs[1].message == "alert low_hit_rate escalated (critical): hit_rate of hot is 0.31 < 0.5 for 1m");
  CHECK(logs[1].level == STRATA_LOG_ERROR);
  CHECK(logs[2].message == "alert low_hit_rate resolved (critical): hit_rate of hot is 0.31 < 0.5 for 1m");
  CHECK(logs[2].level == STRATA_LOG_INFO);
  CHECK(logs[3].level == STRATA_LOG_INFO);
  CHECK(f.host.health().empty());
}

TEST_CASE("an event without a summary is described from its value and threshold", "[alerting][log]") {
  fixture f;
  auto e = event(alert_transition::firing, alert_severity::critical);
  e.summary.clear();
  e.value_name = "p95_latency";
  e.value = 0.0125;
  e.comparison = ">";
  e.threshold = 0.01;
  f.handler->handle(e);
  REQUIRE(f.host.logs().size() == 1);
  CHECK(f.host.logs()[0].message == "alert low_hit_rate firing (critical): p95_latency of hot is 0.0125 > 0.01");
}

TEST_CASE("min_severity drops lower events and the resolutions of dropped firings", "[alerting][log]") {
  fixture f("critical");
  // Dropped, and so is its resolution.
  f.handler->handle(event(alert_transition::firing, alert_severity::warning, "slow"));
  f.handler->handle(event(alert_transition::resolved, alert_severity::warning, "slow"));
  // Kept, with its resolution.
  f.handler->handle(event(alert_transition::firing, alert_severity::critical, "down"));
  f.handler->handle(event(alert_transition::resolved, alert_severity::critical, "down"));
  // A warning that escalates is logged from its escalation on, whatever its resolution carries.
  f.handler->handle(event(alert_transition::firing, alert_severity::warning, "low_hit_rate"));
  f.handler->handle(event(alert_transition::escalated, alert_severity::critical, "low_hit_rate"));
  f.handler->handle(event(alert_transition::resolved, alert_severity::warning, "low_hit_rate"));

  const auto logged = messages(f.host.logs());
  REQUIRE(logged.size() == 4);
  CHECK(logged[0].rfind("alert down firing (critical)", 0) == 0);
  CHECK(logged[1].rfind("alert down resolved (critical)", 0) == 0);
  CHECK(logged[2].rfind("alert low_hit_rate escalated (critical)", 0) == 0);
  CHECK(logged[3].rfind("alert low_hit_rate resolved (warning)", 0) == 0);
}

TEST_CASE("min_severity keeps a resolution whose firing this handler never saw, by its severity",
          "[alerting][log]") {
  fixture f("warning");
  f.handler->handle(event(alert_transition::resolved, alert_severity::info, "quiet"));
  f.handler->handle(event(alert_transition::resolved, alert_severity::warning, "known"));
  REQUIRE(f.host.logs().size() == 1);
  CHECK(f.host.logs()[0].message.rfind("alert known resolved", 0) == 0);
}

TEST_CASE("an unknown min_severity is refused when the handler is created", "[alerting][log]") {
  testing::recording_host host{STRATA_PLUGIN_ALERT_HANDLER, "ops"};
  CHECK_THROWS_WITH(testing::create_instance<alert_handler>(log_plugin(), "ops", {{"min_severity", "severe"}},
                                                            host.api()),
                    "min_severity: must be info, warning or critical, not 'severe'");
}

TEST_CASE("without a host table the handler still runs, and logs nowhere", "[alerting][log]") {
  auto handler = testing::create_instance<alert_handler>(log_plugin(), "ops", {}, nullptr);
  handler->handle(event(alert_transition::firing, alert_severity::critical));
}
