#include "snapshot_collectable.hpp"

#include "prometheus_format.hpp"

#include <exception>
#include <string>

namespace strata::exporters {

snapshot_collectable::snapshot_collectable(const telemetry_source& source, plugin_host& host,
                                           instruments::counter& errors)
  : source_(source), host_(host), errors_(errors) {}

std::vector<prometheus::MetricFamily> snapshot_collectable::Collect() const {
  // civetweb calls this from C code: an exception escaping here would terminate the process.
  try {
    return telemetry::to_prometheus(source_.snapshot().metrics);
  } catch (const std::exception& e) {
    errors_.inc();
    host_.log(log_level::error, std::string("scrape without metrics: the telemetry snapshot failed: ") + e.what());
  } catch (...) {
    errors_.inc();
    host_.log(log_level::error, "scrape without metrics: the telemetry snapshot failed");
  }
  return {};
}

} // namespace strata::exporters
