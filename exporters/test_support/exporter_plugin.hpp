#pragma once
// Loads an exporter plugin from STRATA_PLUGIN_DIR the way the runtime does (dlopen, then
// strata_plugin_entry) and creates instances through its descriptor.

#include <strata/sdk.hpp>

#include <dlfcn.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>

namespace strata::testing {

/// The descriptor of libstrata_<name>.so. The library stays loaded, as in the runtime.
inline const strata_plugin_descriptor& load_plugin(const std::string& name) {
  const std::string path = std::string(STRATA_PLUGIN_DIR) + "/libstrata_" + name + ".so";
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr)
    throw std::runtime_error("dlopen " + path + ": " + dlerror());
  auto entry = reinterpret_cast<strata_plugin_entry_fn>(dlsym(handle, STRATA_PLUGIN_ENTRY_SYMBOL));
  if (entry == nullptr)
    throw std::runtime_error(path + " has no " STRATA_PLUGIN_ENTRY_SYMBOL);
  return *entry();
}

/// The configuration the loader would build: every schema default, then the overrides.
inline plugin_config config_of(const strata_plugin_descriptor& d, const std::map<std::string, std::string>& overrides) {
  std::map<std::string, std::string> values;
  for (std::size_t i = 0; i < d.config_schema_size; ++i)
    values[d.config_schema[i].key] = d.config_schema[i].default_value;
  for (const auto& [k, v] : overrides)
    values[k] = v;
  return plugin_config{std::move(values)};
}

/// An instance destroyed through its descriptor, as the runtime does.
struct exporter_deleter {
  const strata_plugin_descriptor* descriptor = nullptr;
  void operator()(exporter* e) const { descriptor->destroy(e); }
};
using exporter_ptr = std::unique_ptr<exporter, exporter_deleter>;

/// What `create` gave: an instance, or none and the reason.
struct created {
  exporter_ptr instance;
  std::string error;
};

/// Creates instance `name` with a context as a 1.1 host builds it; `host` may be null (standalone).
inline created create_exporter(const strata_plugin_descriptor& d, const std::string& name, const plugin_config& config,
                               const telemetry_source& source, const strata_host_api* host = nullptr) {
  strata_plugin_context ctx{STRATA_ABI_MAJOR, STRATA_ABI_MINOR, name.c_str(), &config, host,
                            const_cast<telemetry_source*>(&source)};
  char error[512] = {};
  void* instance = d.create(&ctx, error, sizeof error);
  return {exporter_ptr(static_cast<exporter*>(instance), exporter_deleter{&d}), error};
}

} // namespace strata::testing
