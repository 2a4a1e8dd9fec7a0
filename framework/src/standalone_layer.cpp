#include <strata/standalone_layer.hpp>

#include "config_schema.hpp"
#include "instance_host.hpp"
#include "plugin_instance.hpp"
#include "plugin_loader.hpp"
#include "validate.hpp"

namespace strata {

struct standalone_layer::impl {
  detail::plugin_loader loader;
  std::string name;
  std::string version;
  std::string origin;
  /// Declared before the instance, which may hold references into it until it is destroyed.
  std::unique_ptr<detail::instance_host> host;
  std::unique_ptr<detail::layer_instance> instance;
};

expected<std::unique_ptr<standalone_layer>> standalone_layer::create(config cfg) {
  if (cfg.layers.size() != 1 || !cfg.exporters.empty() || !cfg.alerts.handlers.empty())
    return error{status::invalid, cfg.origin + ": a standalone layer needs a deployment of exactly one layer and no "
                                               "exporter or alert handler"};
  auto state = std::make_unique<impl>();
  detail::resolved_plugins plugins;
  auto report = detail::validate_with(std::move(cfg), state->loader, {}, plugins);
  if (!report.ok())
    return error{status::invalid, report.message()};
  const config& effective = *report.effective;
  const layer_config& layer = effective.layers.front();
  const detail::loaded_plugin& plugin = *plugins.layers.front();
  // No registry: what the instance registers is kept by its host and never exported.
  state->host = std::make_unique<detail::instance_host>("cache_layer", layer.name, nullptr,
                                                        detail::instance_host::health_fn{}, nullptr);
  auto instance = detail::create_instance<strata::layer>(
    plugin, detail::instance_request{"layer '" + layer.name + "'", layer.name, &layer.settings, state->host->api()});
  if (!instance)
    return error{instance.err().code,
                 detail::instance_refusal(effective, "layers[0]", layer.settings, instance.err().message).to_string()};
  state->instance = std::move(*instance);
  state->name = plugin.descriptor->name;
  state->version = plugin.descriptor->version != nullptr ? plugin.descriptor->version : "";
  state->origin = plugin.origin;
  return std::unique_ptr<standalone_layer>(new standalone_layer(std::move(state)));
}

standalone_layer::standalone_layer(std::unique_ptr<impl> state) : impl_(std::move(state)) {}

standalone_layer::~standalone_layer() = default;

strata::layer& standalone_layer::layer() noexcept { return impl_->instance->get(); }

const std::string& standalone_layer::plugin_name() const noexcept { return impl_->name; }

const std::string& standalone_layer::plugin_version() const noexcept { return impl_->version; }

const std::string& standalone_layer::plugin_origin() const noexcept { return impl_->origin; }

} // namespace strata
