#pragma once
/// @file snapshot_collectable.hpp
/// What prometheus-cpp scrapes: the telemetry source's metrics at the moment of the scrape.

#include <strata/instruments.hpp>
#include <strata/plugin_host.hpp>
#include <strata/telemetry_snapshot.hpp>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <vector>

namespace strata::exporters {

/// Takes a snapshot on every scrape, so a scrape never sees stale values and nothing runs between
/// scrapes. Called on civetweb's threads.
class snapshot_collectable : public prometheus::Collectable {
public:
  /// `source`, `host` and `errors` outlive the collectable.
  snapshot_collectable(const telemetry_source& source, plugin_host& host, instruments::counter& errors);

  /// The source's metric families; none, after logging and counting, when the source fails.
  std::vector<prometheus::MetricFamily> Collect() const override;

private:
  const telemetry_source& source_;
  plugin_host& host_;
  instruments::counter& errors_;
};

} // namespace strata::exporters
