#pragma once
// A telemetry snapshot as JSON: what the json exporter writes and what `strata dashboard` reads.
//
// # Format 1
//
//     {
//       "format": 1,
//       "taken": "2026-09-21T14:13:20.000Z",          RFC 3339, UTC, for people; ignored on read
//       "taken_unix_ms": 1790000000000,               the instant, read back (ms since 1970, UTC)
//       "stats": {
//         "window": "minute",                         minute | hour | day
//         "covered_seconds": 60,
//         "overall": WINDOW_STATS,                    what hosts asked of the runtime ("all")
//         "layers": [WINDOW_STATS, ...]               in chain order
//       },
//       "health": {
//         "overall": "warning",                       healthy | warning | critical
//         "layers": [{"name", "level", "detail", "failures", "restarts", "last_error"}, ...],
//         "system": [{"name", "level", "detail", "value", "limit"}, ...]
//       },
//       "metrics": [                                  sorted by name
//         {"name", "help", "type": "counter" | "gauge" | "histogram",
//          "bounds": [0.001, 0.01],                   histograms: upper bounds; [] otherwise
//          "samples": [
//            {"labels": {"cache_layer": "hot"}, "value": 3},              counters, gauges
//            {"labels": {...}, "buckets": [6, 3, 1], "count": 10, "sum": 0.02}  histograms
//          ]}
//       ]
//     }
//
// WINDOW_STATS is {"name", "requests", "gets", "hits", "misses", "errors", "hit_rate",
// "miss_rate", "error_rate", "throughput", "p50_seconds", "p95_seconds", "p99_seconds"}: every
// field of strata::window_stats, under its own name. Rates are fractions (0.75, not 75). A window
// without gets has hit_rate, miss_rate and p50..p99_seconds 0, one without requests error_rate 0:
// `gets` and `requests` tell "none" from "zero" (the dashboard shows a dash). p50..p99_seconds are
// 0 with gets too when none of them was timed (the first layer's read-view gets are timed only
// when they hit, one in 64: see strata::window_stats); the dashboard shows a dash for any 0.
//
// Numbers. Counts are non-negative integers (above 2^53 a JavaScript reader loses precision).
// `buckets` holds one count per bucket, not cumulative: one per bound, then the +Inf bucket, so
// it is one longer than `bounds`. JSON has no infinity or NaN, so a non-finite value (a gauge set
// to NaN, say) is written as the string "NaN", "+Inf" or "-Inf" (Prometheus's spelling), and read
// back wherever a number is expected. Every finite double is written so that it reads back equal.
// Labels keep the family's order. A string that is not valid UTF-8 is written with U+FFFD in
// place of the bad bytes. `taken_unix_ms` drops anything finer than a millisecond.
//
// # Versions
//
// `format` changes only when an old reader would misread a new file:
// - adding a field keeps the version: readers ignore fields they do not know, and a field added
//   later must be optional on read (files written before it lack it);
// - renaming or removing a field, or changing what one means or how it is written, bumps it.
// A reader refuses a file whose format is newer than its own, and says so.

#include <strata/expected.hpp>
#include <strata/telemetry_snapshot.hpp>

#include <string>
#include <string_view>

namespace strata::telemetry {

/// The version `to_json_text` writes and the newest `snapshot_from_json` reads.
inline constexpr int snapshot_format_version = 1;

/// The snapshot as JSON: one line without a trailing newline, or indented when `pretty`.
std::string to_json_text(const telemetry_snapshot& snapshot, bool pretty = false);

/// The snapshot's "stats" member alone, one line: what `GET /v1/stats` answers.
std::string to_json_text(const runtime_stats& stats);

/// The snapshot's "health" member alone, one line: what `GET /v1/health` answers.
std::string to_json_text(const health_report& health);

/// Reads what `to_json_text` wrote. An error (status::invalid) names what is wrong and where, e.g.
/// "metrics[3].samples[0].buckets: expected an array of integers".
expected<telemetry_snapshot> snapshot_from_json(std::string_view text);

} // namespace strata::telemetry
