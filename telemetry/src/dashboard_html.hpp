#pragma once
// A telemetry snapshot as one self-contained HTML page: health, per-layer figures, system checks.

#include <strata/telemetry_snapshot.hpp>

#include <string>

namespace strata::telemetry {

/// The page: inline CSS, no script, nothing fetched, so it can be written to a file, mailed or
/// served as it is. Every string from the snapshot is escaped. Shows the overall health, a row
/// per layer (hit rate with a bar, miss and error rates, throughput, p50/p95/p99 latency, health
/// and its detail) and one for the runtime as a whole, the system checks, and when the snapshot
/// was taken.
std::string render_dashboard(const telemetry_snapshot& snapshot);

} // namespace strata::telemetry
