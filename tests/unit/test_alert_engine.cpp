// The alert state machine on a clock the test moves: `for`, cooldown, escalation, resolution,
// acknowledgement and the bounded history.
#include "alert_engine.hpp"

#include <catch2/catch.hpp>

#include <limits>

using namespace strata;
using strata::detail::alert_engine;
using namespace std::chrono_literals;

namespace {

alert_rule rule(std::chrono::milliseconds for_duration = 0ms) {
  alert_rule r;
  r.name = "slow";
  r.value = "p95_latency";
  r.comparison = ">";
  r.threshold = 0.01;
  r.for_duration = for_duration;
  return r;
}

struct driver {
  alert_engine engine;
  alert_engine::clock::time_point now{};
  double value = 0;
  bool has_value = true;

  explicit driver(std::vector<alert_rule> rules, std::size_t history = 100) : engine(std::move(rules), history) {}

  std::vector<alert_event> at(std::chrono::milliseconds t, double v) {
    now = alert_engine::clock::time_point{} + t;
    value = v;
    return engine.evaluate(now, std::chrono::system_clock::now(), [this](const alert_rule&) {
      return has_value ? std::optional<double>(value) : std::nullopt;
    });
  }
};

} // namespace

TEST_CASE("an alert fires only once its condition has held for `for`", "[alerts]") {
  driver d({rule(100ms)});
  CHECK(d.at(0ms, 0.5).empty());   // holds, pending
  CHECK(d.at(50ms, 0.5).empty());
  CHECK(d.at(60ms, 0.001).empty()); // broke: the wait starts again
  CHECK(d.at(70ms, 0.5).empty());
  CHECK(d.at(160ms, 0.5).empty());  // 90 ms held
  const auto fired = d.at(170ms, 0.5);
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].transition == alert_transition::firing);
  CHECK(fired[0].value == 0.5);
  CHECK(fired[0].summary == "p95_latency of the runtime is 500 ms > 10 ms for 100ms");
  CHECK(d.at(200ms, 0.5).empty()); // firing: no repeat
  const auto resolved = d.at(300ms, 0.001);
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].transition == alert_transition::resolved);
  CHECK(resolved[0].summary == "p95_latency of the runtime is 1 ms, no longer > 10 ms");
}

TEST_CASE("a rule without `for` fires at the first value, and its summary names no wait", "[alerts]") {
  driver d({rule()});
  const auto fired = d.at(0ms, 0.5);
  REQUIRE(fired.size() == 1);
  CHECK(fired[0].summary == "p95_latency of the runtime is 500 ms > 10 ms");
}

TEST_CASE("no value is not a breach", "[alerts]") {
  driver d({rule()});
  d.has_value = false;
  CHECK(d.at(0ms, 0).empty());
  CHECK(d.engine.active().empty());
}

TEST_CASE("no value does not resolve a firing alert either: only a value that breaks the condition does",
          "[alerts]") {
  // A gauge that is not exported any more (the free space of a data_dir that went away) is no
  // evidence that things got better.
  auto r = rule();
  r.escalate_after = 100ms;
  driver d({r});
  REQUIRE(d.at(0ms, 0.5).size() == 1);
  d.has_value = false;
  CHECK(d.at(50ms, 0).empty());
  CHECK(d.at(500ms, 0).empty()); // nor escalates on no evidence
  REQUIRE(d.engine.active().size() == 1);
  d.has_value = true;
  const auto resolved = d.at(600ms, 0.001);
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].transition == alert_transition::resolved);
  CHECK(resolved[0].summary == "p95_latency of the runtime is 1 ms, no longer > 10 ms");
}

TEST_CASE("after resolving, a rule waits out its cooldown before firing again", "[alerts]") {
  auto r = rule();
  r.cooldown = 1000ms;
  driver d({r});
  REQUIRE(d.at(0ms, 1).size() == 1);
  REQUIRE(d.at(10ms, 0).size() == 1); // resolved at 10 ms
  CHECK(d.at(500ms, 1).empty());
  CHECK(d.at(1009ms, 1).empty());
  const auto again = d.at(1010ms, 1);
  REQUIRE(again.size() == 1);
  CHECK(again[0].transition == alert_transition::firing);
}

TEST_CASE("a firing alert escalates once, and resolves at its raised severity", "[alerts]") {
  auto r = rule();
  r.severity = alert_severity::warning;
  r.escalate_after = 200ms;
  r.escalate_to = alert_severity::critical;
  driver d({r});
  REQUIRE(d.at(0ms, 1).size() == 1);
  CHECK(d.at(199ms, 1).empty());
  const auto escalated = d.at(200ms, 1);
  REQUIRE(escalated.size() == 1);
  CHECK(escalated[0].transition == alert_transition::escalated);
  CHECK(escalated[0].severity == alert_severity::critical);
  CHECK(d.at(1000ms, 1).empty()); // once
  REQUIRE(d.engine.active().size() == 1);
  CHECK(d.engine.active()[0].last.severity == alert_severity::critical);
  const auto resolved = d.at(1010ms, 0);
  REQUIRE(resolved.size() == 1);
  CHECK(resolved[0].severity == alert_severity::critical);
}

TEST_CASE("acknowledging marks the firing alert until it fires anew", "[alerts]") {
  driver d({rule()});
  CHECK_FALSE(d.engine.acknowledge("slow")); // not firing
  d.at(0ms, 1);
  CHECK(d.engine.acknowledge("slow"));
  CHECK(d.engine.active().at(0).acknowledged);
  d.at(10ms, 0);
  d.at(20ms, 1);
  CHECK_FALSE(d.engine.active().at(0).acknowledged);
}

TEST_CASE("the history keeps the newest events", "[alerts]") {
  driver d({rule()}, 3);
  for (int i = 0; i < 4; ++i) {
    d.at(std::chrono::milliseconds(20 * i), 1);
    d.at(std::chrono::milliseconds(20 * i + 10), 0);
  }
  const auto history = d.engine.history();
  REQUIRE(history.size() == 3);
  CHECK(history[0].transition == alert_transition::resolved);
  CHECK(history[2].transition == alert_transition::resolved);
}

TEST_CASE("replacing the rules keeps an unchanged rule's state and resolves a firing one that changed or went",
          "[alerts]") {
  auto other = rule();
  other.name = "other";
  other.escalate_after = 100ms;
  other.escalate_to = alert_severity::critical;
  driver d({rule(), other});
  REQUIRE(d.at(0ms, 1).size() == 2); // both fire
  CHECK(d.engine.acknowledge("slow"));

  // "slow" unchanged keeps firing, acknowledged; "other" changed (a new threshold) ends.
  auto changed = other;
  changed.threshold = 0.5;
  auto ended = d.engine.replace_rules({rule(), changed}, std::chrono::system_clock::now());
  REQUIRE(ended.size() == 1);
  CHECK(ended[0].rule == "other");
  CHECK(ended[0].transition == alert_transition::resolved);
  CHECK(ended[0].summary == "p95_latency of the runtime: the rule was changed by a reload");
  REQUIRE(d.engine.active().size() == 1);
  CHECK(d.engine.active()[0].last.rule == "slow");
  CHECK(d.engine.active()[0].acknowledged);
  CHECK(d.engine.history().back().summary == ended[0].summary);

  // Removing a rule that is not firing ends nothing; its series stay, at 0.
  ended = d.engine.replace_rules({rule()}, std::chrono::system_clock::now());
  CHECK(ended.empty());
  const auto series = d.engine.firing();
  REQUIRE(series.size() == 3);
  CHECK((series[0].rule == "slow" && series[0].severity == alert_severity::warning && series[0].firing));
  CHECK((series[1].rule == "other" && series[1].severity == alert_severity::warning && !series[1].firing));
  CHECK((series[2].rule == "other" && series[2].severity == alert_severity::critical && !series[2].firing));

  // Removed while firing: it resolves at the severity it fired at.
  ended = d.engine.replace_rules({}, std::chrono::system_clock::now());
  REQUIRE(ended.size() == 1);
  CHECK(ended[0].summary == "p95_latency of the runtime: the rule was removed by a reload");
  CHECK(ended[0].severity == alert_severity::warning);
  CHECK(d.engine.active().empty());
  CHECK(d.engine.firing().size() == 3);
}

TEST_CASE("an alert a reload ends carries the latest value evaluated, not the firing one", "[alerts]") {
  // The webhook's `value` is "the value when the event happened".
  driver d({rule(), [] { auto r = rule(); r.name = "other"; return r; }()});
  REQUIRE(d.at(0ms, 0.5).size() == 2);
  CHECK(d.at(10ms, 0.7).empty()); // still firing
  auto ended = d.engine.replace_rules({rule()}, std::chrono::system_clock::now());
  REQUIRE(ended.size() == 1);
  CHECK(ended[0].rule == "other");
  CHECK(ended[0].value == 0.7);
  CHECK(ended[0].summary == "p95_latency of the runtime: the rule was removed by a reload");
  // An evaluation without a value leaves the latest one there was.
  d.has_value = false;
  CHECK(d.at(20ms, 0).empty());
  ended = d.engine.replace_rules({}, std::chrono::system_clock::now());
  REQUIRE(ended.size() == 1);
  CHECK(ended[0].value == 0.7);
  CHECK(d.engine.history().back().value == 0.7);
}

TEST_CASE("comparisons", "[alerts]") {
  using strata::detail::compare;
  CHECK(compare(1, "<", 2));
  CHECK_FALSE(compare(2, "<", 2));
  CHECK(compare(2, "<=", 2));
  CHECK(compare(3, ">", 2));
  CHECK(compare(2, ">=", 2));
}

TEST_CASE("a summary gives bytes in binary units, latencies in ms and counts whole", "[alerts]") {
  // Read before: "rss_bytes of system is 6.873e+10 > 5e+10", "... of all is 1.235e+05".
  auto memory = rule();
  memory.value = "rss_bytes";
  memory.threshold = 50.0 * 1024 * 1024 * 1024;
  CHECK(driver({memory}).at(0ms, 68730000000.0).at(0).summary == "rss_bytes of system is 64.01 GiB > 50 GiB");
  memory.threshold = 100;
  CHECK(driver({memory}).at(0ms, 512).at(0).summary == "rss_bytes of system is 512 bytes > 100 bytes");
  auto errors = rule();
  errors.value = "strata_cache_layer_errors_total";
  errors.threshold = 0;
  CHECK(driver({errors}).at(0ms, 123456).at(0).summary ==
        "strata_cache_layer_errors_total of all its series is 123456 > 0");
  errors.labels = {{"cache_layer", "hot"}};
  CHECK(driver({errors}).at(0ms, 2.5).at(0).summary == "strata_cache_layer_errors_total of cache_layer=hot is 2.5 > 0");
  auto slow = rule();
  slow.layer = "hot";
  slow.threshold = 2;
  CHECK(driver({slow}).at(0ms, 3.25).at(0).summary == "p95_latency of hot is 3.25 s > 2 s");
  slow.threshold = 0.5;
  CHECK(driver({slow}).at(0ms, 0.99999).at(0).summary == "p95_latency of hot is 1 s > 500 ms"); // not 1000 ms
  slow.threshold = 2;
  slow.layer = "all"; // a layer's name, whatever it is
  CHECK(driver({slow}).at(0ms, 3.25).at(0).summary == "p95_latency of all is 3.25 s > 2 s");
  memory.threshold = 0;
  CHECK(driver({memory}).at(0ms, std::numeric_limits<double>::infinity()).at(0).summary ==
        "rss_bytes of system is inf > 0 bytes");
}
