#pragma once
// Shared test helper: opens a built plugin .so the way the runtime's loader does (dlopen with
// RTLD_NOW | RTLD_LOCAL, then strata_plugin_entry) and builds the configuration the loader would
// pass (schema defaults, then the test's values), then creates instances through the descriptor.
// Link ${CMAKE_DL_LIBS}.

#include <strata/plugin_abi.h>
#include <strata/plugin_config.hpp>

#include <dlfcn.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>

namespace strata::testing {

/// The descriptor of the plugin at `path`. The library is never closed, as in the runtime.
inline const strata_plugin_descriptor& load_plugin(const std::string& path) {
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr)
    throw std::runtime_error("dlopen " + path + ": " + ::dlerror());
  auto entry = reinterpret_cast<strata_plugin_entry_fn>(::dlsym(handle, STRATA_PLUGIN_ENTRY_SYMBOL));
  if (entry == nullptr)
    throw std::runtime_error(path + " has no " STRATA_PLUGIN_ENTRY_SYMBOL);
  return *entry();
}

/// Every default of the schema (required keys have none), then `values`. Unlike the loader, it
/// does not validate: a test may pass what the loader would refuse, to reach the plugin's own checks.
inline plugin_config config_of(const strata_plugin_descriptor& d, const std::map<std::string, std::string>& values) {
  std::map<std::string, std::string> effective;
  for (std::size_t i = 0; i < d.config_schema_size; ++i)
    if (d.config_schema[i].default_value != nullptr)
      effective[d.config_schema[i].key] = d.config_schema[i].default_value;
  for (const auto& [key, value] : values)
    effective[key] = value;
  return plugin_config{std::move(effective)};
}

/// Gives an instance back to its plugin's `destroy`.
template <class T>
struct plugin_deleter {
  const strata_plugin_descriptor* descriptor;
  void operator()(T* instance) const { descriptor->destroy(instance); }
};

template <class T>
using plugin_ptr = std::unique_ptr<T, plugin_deleter<T>>;

/// An instance of `T` (the interface the plugin's kind returns: strata::layer, strata::alert_handler
/// ...) created as a 1.1 host does; throws std::runtime_error with the factory's reason.
/// `config` and `host` must outlive the instance.
template <class T>
plugin_ptr<T> create_instance(const strata_plugin_descriptor& d, const char* instance_name, const plugin_config& config,
                              const strata_host_api* host) {
  strata_plugin_context context{STRATA_ABI_MAJOR, STRATA_ABI_MINOR, instance_name, &config, host, nullptr};
  char error[512] = {0};
  void* instance = d.create(&context, error, sizeof error);
  if (instance == nullptr)
    throw std::runtime_error(error);
  return plugin_ptr<T>(static_cast<T*>(instance), plugin_deleter<T>{&d});
}

} // namespace strata::testing
