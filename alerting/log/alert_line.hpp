#pragma once
/// @file alert_line.hpp
/// How the log handler writes one alert event.

#include <strata/alerts.hpp>

#include <string>

namespace strata::alert_log {

/// `alert RULE TRANSITION (SEVERITY): SUMMARY`, e.g.
/// `alert low_hit_rate firing (warning): hit_rate of hot is 0.31 < 0.5 for 1m`. An event without a
/// summary gets one built from its value, comparison and threshold.
std::string alert_line(const alert_event& event);

} // namespace strata::alert_log
