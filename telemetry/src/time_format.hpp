#pragma once
// How snapshots state their time to people: RFC 3339 in UTC, to the millisecond.

#include <chrono>
#include <string>

namespace strata::telemetry {

/// E.g. "2026-09-21T14:13:20.000Z". Sub-millisecond parts are dropped (rounded towards the past).
std::string to_rfc3339(std::chrono::system_clock::time_point t);

} // namespace strata::telemetry
