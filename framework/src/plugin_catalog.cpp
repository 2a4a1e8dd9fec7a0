/// @file plugin_catalog.cpp
/// Lists the plugins of a search path through the same loader a deployment uses.

#include <strata/plugin_catalog.hpp>

#include "abi_value.hpp"
#include "config_schema.hpp"
#include "plugin_loader.hpp"

#include <strata/config.hpp>

#include <algorithm>
#include <filesystem>
#include <map>
#include <tuple>

namespace strata {
namespace {

std::string kind_name(const strata_plugin_kind& kind) {
  switch (detail::abi_value(kind)) {
  case STRATA_PLUGIN_LAYER: return "layer";
  case STRATA_PLUGIN_EMBEDDER: return "embedder";
  case STRATA_PLUGIN_EXPORTER: return "exporter";
  case STRATA_PLUGIN_ALERT_HANDLER: return "alert_handler";
  default: return "unknown";
  }
}

std::string type_name(const strata_value_type& type) {
  switch (detail::abi_value(type)) {
  case STRATA_VALUE_INT: return "int";
  case STRATA_VALUE_DOUBLE: return "double";
  case STRATA_VALUE_BOOL: return "bool";
  case STRATA_VALUE_DURATION: return "duration";
  case STRATA_VALUE_SIZE: return "size";
  case STRATA_VALUE_FILE: return "file";
  case STRATA_VALUE_LISTEN_ADDRESS: return "address";
  case STRATA_VALUE_TIMEOUT: return "timeout";
  default: return "string";
  }
}

plugin_info describe(const detail::loaded_plugin& plugin) {
  const auto* d = plugin.descriptor;
  plugin_info info{d->name, d->version ? d->version : "", kind_name(d->kind), plugin.origin,
                   d->abi_major, d->abi_minor, {}, std::nullopt};
  for (std::size_t i = 0; i < d->config_schema_size; ++i) {
    const auto& k = d->config_schema[i];
    config_key_info key{k.key, type_name(k.type), std::nullopt, k.description ? k.description : "",
                        std::nullopt, std::nullopt, {}};
    if (k.default_value != nullptr)
      key.default_value = k.default_value;
    const bool bounded = detail::has_bounds(k.type);
    if (bounded && k.has_min)
      key.min = k.min;
    if (bounded && k.has_max)
      key.max = k.max;
    key.applies_with = detail::applies_with(key.key, detail::conditions_of(*d));
    info.schema.push_back(std::move(key));
  }
  if (detail::abi_value(d->kind) == STRATA_PLUGIN_LAYER)
    info.default_deadline = detail::default_deadline(*d);
  return info;
}

} // namespace

plugin_catalog list_plugins(const std::vector<std::string>& directories) {
  const auto dirs = directories.empty() ? default_plugin_path() : directories;
  // Sorted, a directory named twice counts once; each with the name a deployment would look for
  // it by (libstrata_<name>.so), which the plugin must declare, as there.
  std::map<std::filesystem::path, std::string> files;
  plugin_catalog catalog;
  for (const auto& dir : dirs) {
    std::error_code ec;
    std::filesystem::directory_iterator it(dir, ec), end;
    if (ec) // a plugin path that names nothing would list no plugins, and look like an empty one
      catalog.errors.push_back("plugin directory '" + dir + "' cannot be read: " + ec.message());
    for (; !ec && it != end; it.increment(ec))
      if (auto name = detail::plugin_name_of_file(it->path().filename().string()); !name.empty())
        files.emplace(std::filesystem::weakly_canonical(it->path(), ec), std::move(name));
  }
  detail::plugin_loader loader;
  for (const auto& [file, name] : files) {
    auto loaded = loader.load_file(file.string(), &name);
    if (!loaded) {
      catalog.errors.push_back(loaded.err().message);
      continue;
    }
    catalog.plugins.push_back(describe(**loaded));
  }
  std::sort(catalog.plugins.begin(), catalog.plugins.end(), [](const plugin_info& a, const plugin_info& b) {
    return std::tie(a.kind, a.name) < std::tie(b.kind, b.name);
  });
  return catalog;
}

} // namespace strata
