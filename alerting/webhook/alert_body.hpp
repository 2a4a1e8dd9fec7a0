#pragma once
/// @file alert_body.hpp
/// What the webhook posts for one alert event.

#include <strata/alerts.hpp>

#include <chrono>
#include <string>

namespace strata::webhook {

/// RFC 3339 in UTC with milliseconds, e.g. 2026-09-21T08:30:00.250Z.
std::string rfc3339_utc(std::chrono::system_clock::time_point at);

/// The JSON object {rule, transition, severity, subject, value_name, value, comparison, threshold,
/// at, summary}. Never throws for odd text: invalid UTF-8 becomes U+FFFD, a non-finite value null.
std::string alert_body(const alert_event& event);

} // namespace strata::webhook
