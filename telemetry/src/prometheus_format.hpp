#pragma once
// Metric families in the Prometheus text exposition format (0.0.4), through prometheus-cpp.

#include <strata/telemetry_snapshot.hpp>

#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace strata::telemetry {

/// The families as prometheus-cpp models them (cumulative buckets, +Inf last).
std::vector<prometheus::MetricFamily> to_prometheus(const std::vector<metric_family>& families);

/// The families as Prometheus scrapes them.
std::string prometheus_text(const std::vector<metric_family>& families);

} // namespace strata::telemetry
