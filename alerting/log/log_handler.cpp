// The alert handler plugin "log": each event becomes one line of the runtime's log.

#include "alert_line.hpp"

#include <strata/sdk.hpp>

#include <set>
#include <stdexcept>
#include <string>

namespace {

using strata::alert_event;
using strata::alert_severity;
using strata::alert_transition;

alert_severity parse_severity(const std::string& text) {
  if (text == "info")
    return alert_severity::info;
  if (text == "warning")
    return alert_severity::warning;
  if (text == "critical")
    return alert_severity::critical;
  throw std::invalid_argument("min_severity: must be info, warning or critical, not '" + text + "'");
}

/// Firing and escalation are problems, told at the level of their severity; a resolution is news.
strata::log_level level_of(const alert_event& event) {
  if (event.transition == alert_transition::resolved)
    return strata::log_level::info;
  switch (event.severity) {
  case alert_severity::critical: return strata::log_level::error;
  case alert_severity::warning: return strata::log_level::warn;
  default: return strata::log_level::info;
  }
}

/// Writes each event, unless below `min_severity`, as one line of the runtime's log.
class log_handler : public strata::alert_handler {
public:
  /// What the schema cannot say: the severity's name.
  static void check_config(const strata::plugin_config& config) { parse_severity(config.get_string("min_severity")); }

  explicit log_handler(const strata::alert_handler_context& ctx)
    : host_(ctx.host), min_severity_(parse_severity(ctx.config.get_string("min_severity"))) {}

  void handle(const alert_event& event) override {
    if (wanted(event))
      host_.log(level_of(event), strata::alert_log::alert_line(event));
  }

private:
  /// A resolution is logged when its alert's firing or escalation was, whatever severity the
  /// resolution carries, so that the log never shows a resolution without its problem, nor a
  /// problem left open. The dispatcher calls `handle` one event at a time: no lock needed.
  bool wanted(const alert_event& event) {
    const std::string alert = event.rule + '\0' + event.subject;
    if (event.transition == alert_transition::resolved) {
      if (logged_.erase(alert) != 0)
        return true;
      return event.severity >= min_severity_; // its firing came before this handler existed
    }
    if (event.severity < min_severity_)
      return false;
    logged_.insert(alert);
    return true;
  }

  strata::plugin_host host_;
  alert_severity min_severity_;
  std::set<std::string> logged_; ///< alerts (rule, subject) whose firing or escalation was logged
};

const strata_config_key log_schema[] = {
  {"min_severity", STRATA_VALUE_STRING, "info",
   "info, warning or critical: events of a lower severity are not logged", 0, 0, 0, 0},
};

} // namespace

STRATA_ALERT_HANDLER_PLUGIN("log", "1.0.0", log_handler, log_schema)
