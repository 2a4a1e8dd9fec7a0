#include "alert_line.hpp"

#include <cstdio>

namespace strata::alert_log {

namespace {

/// Six significant digits: enough for a rate or a latency, short enough for a log line.
std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%g", value);
  return text;
}

std::string summary_of(const alert_event& event) {
  if (!event.summary.empty())
    return event.summary;
  return event.value_name + " of " + event.subject + " is " + number(event.value) + ' ' + event.comparison + ' ' +
         number(event.threshold);
}

} // namespace

std::string alert_line(const alert_event& event) {
  return "alert " + event.rule + ' ' + to_string(event.transition) + " (" + to_string(event.severity) +
         "): " + summary_of(event);
}

} // namespace strata::alert_log
