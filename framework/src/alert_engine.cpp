#include "alert_engine.hpp"
#include "validate.hpp"

#include <strata/units.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>

namespace strata::detail {

namespace {

/// Four significant digits; from a thousand up, whole (a count of 123456 read `1.235e+05`), up to
/// 1e15, beyond which a double's digits are not all known.
std::string format_number(double v) {
  char text[48];
  if (std::fabs(v) >= 1000 && std::fabs(v) < 1e15)
    std::snprintf(text, sizeof text, "%.0f", v);
  else
    std::snprintf(text, sizeof text, "%.4g", v);
  return text;
}

bool ends_with(const std::string& text, const std::string& end) {
  return text.size() >= end.size() && text.compare(text.size() - end.size(), end.size(), end) == 0;
}

/// `v` of the value named `name` as an operator reads it: bytes in binary units (rss_bytes read
/// `6.873e+10`), below 1000 of each, latencies (seconds) in ms below a second.
std::string format_value(const std::string& name, double v) {
  if (!std::isfinite(v)) // a plugin's gauge may be: no unit says more
    return format_number(v);
  if (ends_with(name, "_bytes")) {
    static const char* const units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB"};
    std::size_t unit = 0;
    while (std::fabs(v) >= 1000 && unit + 1 < std::size(units)) {
      v /= 1024;
      ++unit;
    }
    return format_number(v) + ' ' + units[unit];
  }
  if (name == "p50_latency" || name == "p95_latency" || name == "p99_latency") // 0.99995 s is not "1000 ms"
    return std::fabs(v) < 0.9995 ? format_number(v * 1000) + " ms" : format_number(v) + " s";
  return format_number(v);
}

/// What the value was measured on: a layer, the system, the samples a metric rule's labels select
/// (`cache_layer=hot`, comma-separated), or all of them.
std::string subject_of(const alert_rule& rule) {
  if (rule.value == "rss_bytes") return "system";
  if (!rule.layer.empty()) return rule.layer;
  std::string selected;
  for (const auto& [name, value] : rule.labels)
    selected += (selected.empty() ? "" : ",") + name + "=" + value;
  return selected.empty() ? "all" : selected;
}

/// The subject as a summary says it: "all" alone read as a name. A derived value without a layer
/// is the runtime's own figure (what hosts asked, the loader's time included).
std::string subject_in_words(const alert_rule& rule, const std::string& subject) {
  if (subject != "all" || !rule.labels.empty() || !rule.layer.empty())
    return subject;
  return is_derived_alert_value(rule.value) ? "the runtime" : "all its series";
}

} // namespace

bool compare(double value, const std::string& comparison, double threshold) {
  if (comparison == "<") return value < threshold;
  if (comparison == "<=") return value <= threshold;
  if (comparison == ">=") return value >= threshold;
  return value > threshold;
}

alert_engine::alert_engine(std::vector<alert_rule> rules, std::size_t history)
  : rules_(std::move(rules)), history_limit_(history), states_(rules_.size()) {}

alert_event alert_engine::make_event(const alert_rule& rule, alert_transition transition, alert_severity severity,
                                     double value, std::chrono::system_clock::time_point wall) const {
  alert_event e;
  e.rule = rule.name;
  e.transition = transition;
  e.severity = severity;
  e.subject = subject_of(rule);
  e.value_name = rule.value;
  e.value = value;
  e.comparison = rule.comparison;
  e.threshold = rule.threshold;
  e.at = wall;
  const auto threshold = format_value(rule.value, rule.threshold);
  e.summary = rule.value + " of " + subject_in_words(rule, e.subject) + " is " + format_value(rule.value, value);
  if (transition == alert_transition::resolved)
    e.summary += ", no longer " + rule.comparison + " " + threshold;
  else if (transition == alert_transition::escalated)
    e.summary += " " + rule.comparison + " " + threshold + ", still after " + units::format_duration(rule.escalate_after);
  else {
    e.summary += " " + rule.comparison + " " + threshold;
    if (rule.for_duration.count() > 0) // without `for`, it fired at the first value: "for 0s" says nothing
      e.summary += " for " + units::format_duration(rule.for_duration);
  }
  return e;
}

void alert_engine::remember(const alert_event& event) {
  history_.push_back(event);
  while (history_.size() > history_limit_)
    history_.pop_front();
}

std::vector<alert_event> alert_engine::evaluate(clock::time_point now, std::chrono::system_clock::time_point wall,
                                                const value_fn& value_of) {
  // Values first, without the lock: reading them may read this engine (the firing-alerts gauge).
  std::vector<alert_rule> rules;
  std::uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    rules = rules_;
    generation = generation_;
  }
  std::vector<std::optional<double>> values;
  for (const auto& rule : rules)
    values.push_back(value_of(rule));
  std::vector<alert_event> events;
  std::lock_guard<std::mutex> guard(mutex_);
  if (generation != generation_)
    return events; // the rules changed meanwhile: the next sample evaluates the new ones
  for (std::size_t i = 0; i < rules_.size(); ++i) {
    const auto& rule = rules_[i];
    auto& st = states_[i];
    const auto& value = values[i];
    if (!value) {
      // Nothing says the condition broke: a gauge that is not exported (the free space of a
      // data_dir that went away, which is worse), a rate without gets in its window. A firing
      // alert stays firing (without escalating on no evidence); a pending one starts again.
      st.holding_since.reset();
      continue;
    }
    st.latest_value = *value;
    if (!compare(*value, rule.comparison, rule.threshold)) {
      st.holding_since.reset();
      if (st.firing) {
        st.firing = false;
        st.escalated = false;
        st.resolved_at = now;
        events.push_back(make_event(rule, alert_transition::resolved, st.last.severity, *value, wall));
      }
      continue;
    }
    if (!st.holding_since)
      st.holding_since = now;
    if (!st.firing) {
      const bool held_long_enough = now - *st.holding_since >= rule.for_duration;
      const bool cooled_down = !st.resolved_at || now - *st.resolved_at >= rule.cooldown;
      if (held_long_enough && cooled_down) {
        st.firing = true;
        st.acknowledged = false;
        st.fired_at = now;
        st.fired_wall = wall;
        st.last = make_event(rule, alert_transition::firing, rule.severity, *value, wall);
        events.push_back(st.last);
      }
    } else if (rule.escalate_after.count() > 0 && !st.escalated && now - st.fired_at >= rule.escalate_after) {
      st.escalated = true;
      st.last = make_event(rule, alert_transition::escalated, rule.escalate_to, *value, wall);
      events.push_back(st.last);
    }
  }
  for (const auto& e : events)
    remember(e);
  return events;
}

std::vector<alert_rule> alert_engine::rules() const {
  std::lock_guard<std::mutex> guard(mutex_);
  return rules_;
}

namespace {

bool same_rule(const alert_rule& a, const alert_rule& b) {
  return a.name == b.name && a.value == b.value && a.layer == b.layer && a.labels == b.labels && a.window == b.window &&
         a.comparison == b.comparison && a.threshold == b.threshold && a.for_duration == b.for_duration &&
         a.severity == b.severity && a.cooldown == b.cooldown && a.escalate_after == b.escalate_after &&
         a.escalate_to == b.escalate_to;
}

/// The severities `rule` can fire at: its own, and the one it escalates to.
std::vector<alert_severity> severities_of(const alert_rule& rule) {
  std::vector<alert_severity> severities{rule.severity};
  if (rule.escalate_after.count() > 0 && rule.escalate_to != rule.severity)
    severities.push_back(rule.escalate_to);
  return severities;
}

} // namespace

std::vector<alert_event> alert_engine::replace_rules(std::vector<alert_rule> rules,
                                                     std::chrono::system_clock::time_point wall) {
  std::lock_guard<std::mutex> guard(mutex_);
  std::vector<rule_state> states(rules.size());
  std::vector<alert_event> ended;
  for (std::size_t j = 0; j < rules_.size(); ++j) {
    const auto kept = std::find_if(rules.begin(), rules.end(), [&](const alert_rule& r) { return same_rule(r, rules_[j]); });
    if (kept != rules.end()) {
      states[static_cast<std::size_t>(kept - rules.begin())] = states_[j];
      continue;
    }
    for (const auto severity : severities_of(rules_[j]))
      retired_series_.emplace(rules_[j].name, severity);
    if (!states_[j].firing)
      continue;
    const bool renamed_away =
      std::none_of(rules.begin(), rules.end(), [&](const alert_rule& r) { return r.name == rules_[j].name; });
    // The value when the event happened, as for any event: the latest one evaluated (the firing
    // one's may be long past).
    auto resolved =
      make_event(rules_[j], alert_transition::resolved, states_[j].last.severity, states_[j].latest_value, wall);
    resolved.summary = rules_[j].value + " of " + subject_in_words(rules_[j], resolved.subject) + ": the rule was " +
                       (renamed_away ? "removed" : "changed") + " by a reload";
    remember(resolved);
    ended.push_back(std::move(resolved));
  }
  rules_ = std::move(rules);
  states_ = std::move(states);
  ++generation_;
  return ended;
}

std::vector<alert_engine::firing_series> alert_engine::firing() const {
  std::lock_guard<std::mutex> guard(mutex_);
  std::vector<firing_series> out;
  std::set<std::pair<std::string, alert_severity>> current;
  for (std::size_t i = 0; i < rules_.size(); ++i)
    for (const auto severity : severities_of(rules_[i])) {
      current.emplace(rules_[i].name, severity);
      out.push_back({rules_[i].name, severity, states_[i].firing && states_[i].last.severity == severity});
    }
  for (const auto& [rule, severity] : retired_series_)
    if (current.count({rule, severity}) == 0)
      out.push_back({rule, severity, false});
  return out;
}

std::vector<active_alert> alert_engine::active() const {
  std::lock_guard<std::mutex> guard(mutex_);
  std::vector<active_alert> out;
  for (const auto& st : states_)
    if (st.firing)
      out.push_back(active_alert{st.last, st.fired_wall, st.acknowledged});
  return out;
}

std::vector<alert_event> alert_engine::history() const {
  std::lock_guard<std::mutex> guard(mutex_);
  return {history_.begin(), history_.end()};
}

bool alert_engine::acknowledge(const std::string& rule) {
  std::lock_guard<std::mutex> guard(mutex_);
  for (std::size_t i = 0; i < rules_.size(); ++i)
    if (rules_[i].name == rule && states_[i].firing) {
      states_[i].acknowledged = true;
      return true;
    }
  return false;
}

} // namespace strata::detail
