// The plugin libstrata_prometheus.so: a Prometheus pull endpoint over the runtime's telemetry.

#include "exposer_start.hpp"
#include "snapshot_collectable.hpp"

#include <strata/sdk.hpp>
#include <strata/units.hpp>

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace strata::exporters {

namespace {

/// `address` (host:port, as checked) as bound: a requested port 0 replaced by the port the kernel
/// chose, so that the log says where to scrape.
std::string bound_address(const std::string& address, const std::vector<int>& ports) {
  if (ports.size() != 1)
    return address;
  return address.substr(0, address.rfind(':') + 1) + std::to_string(ports.front());
}

const std::string& checked_path(const std::string& path) {
  if (path.empty() || path.front() != '/')
    throw std::invalid_argument("path: must start with '/', got '" + path + "'");
  return path;
}

} // namespace

/// Serves the source's metrics at http://<address><path>. Pull only: `push_interval` stays zero
/// and `publish` does nothing.
class prometheus_exporter final : public exporter {
public:
  /// What the schema cannot say: IPv6, and the path's form. (The schema's type checks the
  /// address's form; whether the port is free is known only when it listens.)
  static void check_config(const plugin_config& config) {
    config_refusals refused;
    refused.check([&] {
      const auto& address = config.get_string("address");
      // Debian's civetweb, which prometheus-cpp serves through, is built without IPv6: it would
      // refuse the address only when the server starts, as "invalid port spec".
      if (!address.empty() && address.front() == '[')
        throw std::invalid_argument("address: IPv6 is not supported (the civetweb behind prometheus-cpp is built "
                                    "without it): use an IPv4 address such as 127.0.0.1:9464 or 0.0.0.0:9464, "
                                    "got '" + address + "'");
    });
    refused.check([&] { checked_path(config.get_string("path")); });
    refused.done();
  }

  explicit prometheus_exporter(const exporter_context& ctx)
    : host_(ctx.host),
      // The host adds the `exporter` label naming this instance.
      errors_(host_.counter("strata_exporter_errors_total", "Exports that failed.")),
      collectable_(std::make_shared<snapshot_collectable>(ctx.source, host_, errors_)) {
    check_config(ctx.config);
    const std::string& address = ctx.config.get_string("address");
    const std::string& path = ctx.config.get_string("path");
    try {
      exposer_ = start_exposer(address);
    } catch (const std::runtime_error& e) {
      throw std::runtime_error(std::string("address: ") + e.what()); // the runtime places it at that key
    }
    exposer_->RegisterCollectable(collectable_, path);
    host_.log(log_level::info, "serving " + path + " on " + bound_address(address, exposer_->GetListeningPorts()));
  }

private:
  plugin_host host_;
  instruments::counter& errors_;
  std::shared_ptr<snapshot_collectable> collectable_;
  /// Last, so that it is destroyed first: its destructor joins the threads that scrape.
  std::unique_ptr<prometheus::Exposer> exposer_;
};

} // namespace strata::exporters

static const strata_config_key prometheus_schema[] = {
  {"address", STRATA_VALUE_LISTEN_ADDRESS, "127.0.0.1:9464",
   "host:port to listen on (loopback by default; 0.0.0.0:9464 for every interface, port 0 for any free port)",
   0, 0, 0, 0},
  {"path", STRATA_VALUE_STRING, "/metrics", "URL path that serves the metrics", 0, 0, 0, 0},
};

STRATA_EXPORTER_PLUGIN("prometheus", "0.1.0", strata::exporters::prometheus_exporter, prometheus_schema)
