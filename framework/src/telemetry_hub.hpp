#pragma once
// What the runtime shows of itself: the exported metrics plus the families derived when they are
// read (hits and misses from the request counts, health levels, memory, free disk, firing alerts),
// the health report, and the values alert rules are evaluated on. Deriving at read time keeps the
// request path to one counter increment.

#include "alert_engine.hpp"
#include "shared_state.hpp"
#include "telemetry_actor.hpp"

#include <strata/config.hpp>
#include <strata/metrics_registry.hpp>
#include <strata/telemetry_snapshot.hpp>

#include <functional>
#include <memory>
#include <optional>

namespace strata::detail {

/// Whether `name` is a family the hub derives when metrics are read; no instance may register it.
bool is_derived_family(const std::string& name);

/// Whether `name` is a family the runtime itself records into (requests, durations, faults,
/// restarts, alert events): no instance may register it, which would let a plugin count into the
/// runtime's own series or, registered first with another type, stop the runtime's start.
bool is_runtime_family(const std::string& name);

class telemetry_hub : public telemetry_source {
public:
  /// `metrics` and `stats` are null when runtime.metrics is off; `alerts` may be null.
  telemetry_hub(health_settings health, telemetry::registry* metrics, std::shared_ptr<stats_board> stats,
                std::shared_ptr<shared_state> shared, const alert_engine* alerts);

  telemetry_snapshot snapshot() const override;
  health_report health() const;
  /// Every family, sorted by name; empty when metrics are off.
  std::vector<metric_family> metrics() const;
  runtime_stats stats(stats_window window) const;
  /// The value `rule` is evaluated on; nullopt while there is none. A metric rule reads the
  /// families `metrics_now` returns, so that one evaluation of every rule collects them once.
  std::optional<double> alert_value(const alert_rule& rule,
                                    const std::function<const std::vector<metric_family>&()>& metrics_now) const;

private:
  /// The registry's families and the derived ones for `health`, sorted by name.
  std::vector<metric_family> families(const health_report& health) const;
  void add_derived(std::vector<metric_family>& families, const health_report& health) const;

  health_settings health_settings_;
  telemetry::registry* metrics_;
  std::shared_ptr<stats_board> stats_;
  std::shared_ptr<shared_state> shared_;
  const alert_engine* alerts_;
};

} // namespace strata::detail
