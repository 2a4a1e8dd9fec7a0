#pragma once
/// @file exporter.hpp
/// The interface of an exporter plugin (kind STRATA_PLUGIN_EXPORTER). A pushing exporter (StatsD,
/// JSON) returns its period from `push_interval` and the runtime calls `publish` on that period,
/// on a thread of its own (one per configured exporter: one that blocks delays no other), never on
/// a request path. A pulling exporter (Prometheus) returns zero and reads the `telemetry_source`
/// it was given whenever it is asked. A `publish` that never returns holds the shutdown (and
/// `runtime::export_now`): bound what it waits for.

#include <strata/telemetry_snapshot.hpp>

#include <chrono>

namespace strata {

class exporter {
public:
  virtual ~exporter() = default;
  /// How often `publish` is called; zero: never on a schedule.
  virtual std::chrono::milliseconds push_interval() const { return std::chrono::milliseconds{0}; }
  /// Sends or writes `snapshot`. Called on the period above, on demand (`runtime::export_now`),
  /// and once more at shutdown. Exceptions are logged and counted, and the exporter stays.
  virtual void publish(const telemetry_snapshot& /*snapshot*/) {}
};

} // namespace strata
