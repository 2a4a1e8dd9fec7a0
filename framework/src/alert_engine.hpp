#pragma once
// Alert rules evaluated against values: pending → firing → (escalated) → resolved, with `for`,
// cooldown and escalation; the active alerts, a bounded history and acknowledgements. Pure logic:
// the caller supplies the time and the values, and delivers the events it returns.

#include <strata/alerts.hpp>
#include <strata/config.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace strata::detail {

class alert_engine {
public:
  using clock = std::chrono::steady_clock;
  /// The rule's current value; nullopt when there is none yet (the condition then does not hold).
  using value_fn = std::function<std::optional<double>(const alert_rule&)>;

  alert_engine(std::vector<alert_rule> rules, std::size_t history);

  /// The rules now (a copy: `replace_rules` may change them meanwhile).
  std::vector<alert_rule> rules() const;

  /// Replaces the rules. A rule of the same name and the same definition keeps its state (pending,
  /// firing, acknowledged); any other starts afresh. The alert of a rule removed or changed while
  /// firing ends: its resolved event, with the latest value evaluated for the rule, is returned,
  /// for the caller to deliver, and kept in the history. Thread-safe.
  std::vector<alert_event> replace_rules(std::vector<alert_rule> rules, std::chrono::system_clock::time_point wall);

  /// One `strata_alerts_firing` series: a rule at a severity it can fire at.
  struct firing_series {
    std::string rule;
    alert_severity severity;
    bool firing; ///< the rule fires at this severity now
  };
  /// Every severity each rule can fire at, and those of the rules replaced since the start at 0:
  /// a series that stopped at 1 would read 1 for ever where the last value is kept (a StatsD
  /// gauge). Thread-safe.
  std::vector<firing_series> firing() const;

  /// Evaluates every rule at `now`; returns the events to deliver, in rule order. Thread-safe.
  std::vector<alert_event> evaluate(clock::time_point now, std::chrono::system_clock::time_point wall,
                                    const value_fn& value_of);

  std::vector<active_alert> active() const;
  /// Oldest first, at most `history` events.
  std::vector<alert_event> history() const;
  /// Marks the firing alert of `rule` acknowledged; false if it is not firing.
  bool acknowledge(const std::string& rule);

private:
  struct rule_state {
    std::optional<clock::time_point> holding_since; ///< the condition has held since then
    bool firing = false;
    bool escalated = false;
    bool acknowledged = false;
    clock::time_point fired_at{};
    std::chrono::system_clock::time_point fired_wall{};
    std::optional<clock::time_point> resolved_at;
    alert_event last; ///< its firing or escalation event
    /// The latest value evaluated (a firing alert has one), for the event that ends the alert at a
    /// reload.
    double latest_value = 0;
  };

  alert_event make_event(const alert_rule& rule, alert_transition transition, alert_severity severity, double value,
                         std::chrono::system_clock::time_point wall) const;
  void remember(const alert_event& event);

  std::vector<alert_rule> rules_;
  std::uint64_t generation_ = 0; ///< counts replacements, so that an evaluation across one is dropped
  std::size_t history_limit_;
  mutable std::mutex mutex_;
  std::vector<rule_state> states_;
  std::deque<alert_event> history_;
  std::set<std::pair<std::string, alert_severity>> retired_series_; ///< of the rules replaced so far
};

/// Whether `value comparison threshold` holds (<, <=, >, >=).
bool compare(double value, const std::string& comparison, double threshold);

} // namespace strata::detail
