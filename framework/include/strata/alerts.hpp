#pragma once
/// @file alerts.hpp
/// Alert events, the alerts that are active, and the interface of an alert handler plugin.

#include <chrono>
#include <string>

namespace strata {

enum class alert_severity { info = 0, warning = 1, critical = 2 };

/// "info", "warning" or "critical".
inline const char* to_string(alert_severity severity) noexcept {
  switch (severity) {
  case alert_severity::warning: return "warning";
  case alert_severity::critical: return "critical";
  default: return "info";
  }
}

/// What happened to an alert.
enum class alert_transition {
  firing,    ///< the condition held for the rule's `for` duration
  escalated, ///< it kept firing for `escalate_after`: the severity rose
  resolved,  ///< the condition no longer holds
};

inline const char* to_string(alert_transition transition) noexcept {
  switch (transition) {
  case alert_transition::escalated: return "escalated";
  case alert_transition::resolved: return "resolved";
  default: return "firing";
  }
}

/// One event, as handlers receive it and the history keeps it.
struct alert_event {
  std::string rule;          ///< the rule's name
  alert_transition transition = alert_transition::firing;
  alert_severity severity = alert_severity::warning;
  std::string subject;       ///< what the value was measured on: a layer's name, "all", "system"
  std::string value_name;    ///< e.g. hit_rate, p95_latency, or a metric's name
  double value = 0;          ///< the measured value when the event happened
  std::string comparison;    ///< <, <=, >, >=
  double threshold = 0;
  std::chrono::system_clock::time_point at;
  std::string summary;       ///< one readable sentence, e.g. "hit_rate of hot is 0.31 < 0.5 for 1m"
};

/// An alert that is firing now.
struct active_alert {
  alert_event last;  ///< its firing or escalation event
  std::chrono::system_clock::time_point since;
  bool acknowledged = false;
};

/// A plugin of kind STRATA_PLUGIN_ALERT_HANDLER. `handle` runs on a thread of its own (one per
/// configured handler), one event at a time, never on a request path; it may block (a webhook
/// does), delaying only its own later events, but should bound how long: one that never returns
/// holds the shutdown, and the events still queued for it are then not reported as undelivered.
class alert_handler {
public:
  virtual ~alert_handler() = default;
  virtual void handle(const alert_event& event) = 0;
};

} // namespace strata
