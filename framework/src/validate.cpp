#include "validate.hpp"

#include "config_schema.hpp"

#include <strata/runtime.hpp>

#include <set>

namespace strata::detail {

namespace {

/// Checks what the YAML parser checks for a file, for a config built in code.
void check_framework_settings(const config& cfg, std::vector<config_error>& errors) {
  auto fail = [&](const std::string& path, std::string message) {
    errors.push_back(make_error(cfg, path, std::move(message)));
  };
  if (cfg.runtime.threads < 0 || cfg.runtime.threads > 64)
    fail("runtime.threads", "must be between 0 (auto) and 64, got " + std::to_string(cfg.runtime.threads));
  if (cfg.runtime.loader_threads < 1 || cfg.runtime.loader_threads > 64)
    fail("runtime.loader_threads", "must be between 1 and 64, got " + std::to_string(cfg.runtime.loader_threads));
  if (cfg.runtime.loader_timeout.count() <= 0)
    fail("runtime.loader_timeout", "must be greater than 0");
  if (cfg.runtime.stats_interval.count() <= 0)
    fail("runtime.stats_interval", "must be greater than 0");
  if (cfg.runtime.shutdown_timeout.count() < 0)
    fail("runtime.shutdown_timeout", "must not be negative");
  if (cfg.layers.empty())
    fail("layers", "a deployment needs at least one layer");
  std::set<std::string> names;
  for (std::size_t i = 0; i < cfg.layers.size(); ++i) {
    const auto& layer = cfg.layers[i];
    const auto path = "layers[" + std::to_string(i) + "]";
    if (layer.name.empty())
      fail(path + ".name", "a layer needs a name");
    else if (!names.insert(layer.name).second)
      fail(path + ".name", "duplicate layer name '" + layer.name + "'");
    if (layer.plugin.empty())
      fail(path + ".plugin", "a layer needs a plugin");
    if (layer.deadline.count() <= 0)
      fail(path + ".deadline", "must be greater than 0");
  }
}

} // namespace

config_report validate_with(config cfg, plugin_loader& loader,
                            const std::vector<const strata_plugin_descriptor*>& static_plugins,
                            std::vector<const loaded_plugin*>& plugins_out) {
  config_report report;
  auto& errors = report.errors;
  check_framework_settings(cfg, errors);
  for (const auto* descriptor : static_plugins)
    if (auto added = loader.add_static(descriptor); !added)
      errors.push_back(config_error{cfg.origin, {}, "", added.err().message});
  for (std::size_t i = 0; i < cfg.plugin_files.size(); ++i)
    if (auto loaded = loader.load_file(cfg.plugin_files[i]); !loaded)
      errors.push_back(make_error(cfg, "plugins.files[" + std::to_string(i) + "]", loaded.err().message));
  auto search_path = cfg.plugin_path;
  for (auto& dir : default_plugin_path())
    search_path.push_back(dir);
  plugins_out.assign(cfg.layers.size(), nullptr);
  for (std::size_t i = 0; i < cfg.layers.size(); ++i) {
    const auto& layer = cfg.layers[i];
    if (layer.plugin.empty())
      continue;
    const auto path = "layers[" + std::to_string(i) + "].plugin";
    auto plugin = loader.resolve(layer.plugin, search_path);
    if (!plugin) {
      errors.push_back(make_error(cfg, path, plugin.err().message));
      continue;
    }
    const auto* d = (*plugin)->descriptor;
    if (d->kind != STRATA_PLUGIN_LAYER) {
      errors.push_back(make_error(cfg, path, "plugin '" + layer.plugin + "' (" + (*plugin)->origin +
                                                 ") is not a layer plugin"));
      continue;
    }
    plugins_out[i] = *plugin;
    validate_settings(cfg, i, d->config_schema, d->config_schema_size, errors);
  }
  if (errors.empty())
    report.effective = std::move(cfg);
  return report;
}

} // namespace strata::detail

namespace strata {

config_report validate(config cfg, const std::vector<const strata_plugin_descriptor*>& static_plugins) {
  detail::plugin_loader loader;
  std::vector<const detail::loaded_plugin*> plugins;
  return detail::validate_with(std::move(cfg), loader, static_plugins, plugins);
}

config_report check_config_file(const std::string& path) {
  auto parsed = parse_config_file(path);
  if (!parsed.ok())
    return parsed;
  return validate(std::move(*parsed.effective));
}

} // namespace strata
