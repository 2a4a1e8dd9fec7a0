#pragma once
// Shared test helper: opens a built plugin .so the way the runtime's loader does (dlopen with
// RTLD_NOW | RTLD_LOCAL, then strata_plugin_entry), builds the configuration the loader would
// pass (schema defaults, then the test's values) and creates instances through the descriptor,
// with the context a 1.1 host builds. Link strata_test_support (it defines where plugins are built).

#include <strata/sdk.hpp>

#include <dlfcn.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#ifndef STRATA_PLUGIN_OUTPUT_DIR
#error "STRATA_PLUGIN_OUTPUT_DIR is not defined: link the CMake target strata_test_support"
#endif

namespace strata::testing {

/// libstrata_<name>.so where the build puts plugins, the directory the runtime searches by default.
inline std::string plugin_path(const std::string& name) {
  return std::string(STRATA_PLUGIN_OUTPUT_DIR) + "/libstrata_" + name + ".so";
}

/// The descriptor of the plugin built as libstrata_<name>.so ("json", "statsd", "log" ...).
/// The library is never closed, as in the runtime.
inline const strata_plugin_descriptor& load_plugin(const std::string& name) {
  const std::string path = plugin_path(name);
  void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr)
    throw std::runtime_error("dlopen " + path + ": " + ::dlerror());
  auto entry = reinterpret_cast<strata_plugin_entry_fn>(::dlsym(handle, STRATA_PLUGIN_ENTRY_SYMBOL));
  if (entry == nullptr)
    throw std::runtime_error(path + " has no " STRATA_PLUGIN_ENTRY_SYMBOL);
  const strata_plugin_descriptor* descriptor = entry();
  if (descriptor == nullptr)
    throw std::runtime_error(path + ": " STRATA_PLUGIN_ENTRY_SYMBOL " returned no descriptor");
  return *descriptor;
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

/// The plugin kind whose `create` returns a `T`.
template <class T>
constexpr strata_plugin_kind plugin_kind_of() {
  if constexpr (std::is_same_v<T, layer>)
    return STRATA_PLUGIN_LAYER;
  else if constexpr (std::is_same_v<T, exporter>)
    return STRATA_PLUGIN_EXPORTER;
  else {
    static_assert(std::is_same_v<T, alert_handler>, "T is strata::layer, strata::exporter or strata::alert_handler");
    return STRATA_PLUGIN_ALERT_HANDLER;
  }
}

/// Gives an instance back to its plugin's `destroy`, and keeps the configuration the instance was
/// given alive until then (an instance may keep a reference to it).
template <class T>
class plugin_deleter {
public:
  plugin_deleter() = default;
  plugin_deleter(const strata_plugin_descriptor* descriptor, std::shared_ptr<const plugin_config> config)
    : descriptor_(descriptor), config_(std::move(config)) {}

  void operator()(T* instance) const { descriptor_->destroy(instance); }

private:
  const strata_plugin_descriptor* descriptor_ = nullptr;
  std::shared_ptr<const plugin_config> config_;
};

template <class T>
using plugin_ptr = std::unique_ptr<T, plugin_deleter<T>>;

/// An instance of `T` (strata::layer, strata::exporter or strata::alert_handler: what the plugin's
/// kind returns) named `instance_name`, created through the descriptor with `config_of(d, values)`
/// and the context a 1.1 host builds. Throws std::runtime_error with the factory's reason when
/// `create` refuses, or when the plugin is of another kind. `host` may be null (a plugin standing
/// alone; the runtime always gives one); `source` is for exporters (the runtime gives null to the
/// others). Both must outlive the instance.
template <class T>
plugin_ptr<T> create_instance(const strata_plugin_descriptor& d, const std::string& instance_name,
                              const std::map<std::string, std::string>& values, const strata_host_api* host = nullptr,
                              const telemetry_source* source = nullptr) {
  if (d.kind != plugin_kind_of<T>())
    throw std::runtime_error(std::string("plugin ") + d.name + " is of kind " + std::to_string(d.kind) + ", not " +
                             std::to_string(plugin_kind_of<T>()));
  auto config = std::make_shared<const plugin_config>(config_of(d, values));
  strata_plugin_context context{STRATA_ABI_MAJOR, STRATA_ABI_MINOR, instance_name.c_str(), config.get(), host,
                                const_cast<telemetry_source*>(source)};
  char error[512] = {0};
  void* instance = d.create(&context, error, sizeof error);
  if (instance == nullptr)
    throw std::runtime_error(error[0] != '\0' ? error : "create returned no instance and gave no reason");
  return plugin_ptr<T>(static_cast<T*>(instance), plugin_deleter<T>(&d, std::move(config)));
}

/// An exporter reading `source`, as create_instance<strata::exporter> makes it.
inline plugin_ptr<exporter> create_exporter(const strata_plugin_descriptor& d, const std::string& instance_name,
                                            const std::map<std::string, std::string>& values,
                                            const telemetry_source& source, const strata_host_api* host = nullptr) {
  return create_instance<exporter>(d, instance_name, values, host, &source);
}

} // namespace strata::testing
