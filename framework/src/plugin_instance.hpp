#pragma once
// One live object of a plugin (a layer, an exporter, an alert handler), destroyed through the
// plugin's own destroy function.

#include "log.hpp"
#include "plugin_loader.hpp"

#include <strata/alerts.hpp>
#include <strata/embedder.hpp>
#include <strata/exporter.hpp>
#include <strata/expected.hpp>
#include <strata/layer.hpp>
#include <strata/plugin_config.hpp>

#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <memory>
#include <string>

namespace strata::detail {

template <class T>
class plugin_instance {
public:
  plugin_instance(std::shared_ptr<const plugin_config> config, T* object, void (*destroy)(void*))
    : config_(std::move(config)), object_(object), destroy_(destroy) {}
  ~plugin_instance() { destroy_(object_); }
  plugin_instance(const plugin_instance&) = delete;
  plugin_instance& operator=(const plugin_instance&) = delete;

  T& get() noexcept { return *object_; }

private:
  std::shared_ptr<const plugin_config> config_; ///< the plugin may keep a reference to it
  T* object_;
  void (*destroy_)(void*);
};

using layer_instance = plugin_instance<layer>;
using embedder_instance = plugin_instance<embedder>;

/// What the factory of one configured instance is given.
struct instance_request {
  std::string what; ///< for messages: "layer 'hot'", "exporter 'prom'"
  std::string name;
  const std::map<std::string, std::string>* settings;
  const strata_host_api* host;
  void* source = nullptr; ///< exporters: a telemetry_source*
};

/// What precedes a factory's own reason in the error `create_instance` returns (after the
/// instance and the file: an operator reads it, who needs no symbol name).
inline constexpr const char* factory_failed = "its factory failed: ";

/// Calls the plugin's factory; a failure names the instance, the file and the reason.
/// The caller has checked that the plugin's kind matches `T`.
template <class T>
expected<std::unique_ptr<plugin_instance<T>>> create_instance(const loaded_plugin& plugin, const instance_request& request) {
  auto config = std::make_shared<const plugin_config>(*request.settings);
  strata_plugin_context context{STRATA_ABI_MAJOR, STRATA_ABI_MINOR, request.name.c_str(), config.get(), request.host,
                                request.source};
  char why[4096] = {0}; // plugin_abi.h promises `create` this much, as `check`
  void* object = nullptr;
  try { // no exception may cross the C factory, but one that does must not end the host
    object = plugin.descriptor->create(&context, why, sizeof why);
  } catch (const std::exception& e) {
    std::snprintf(why, sizeof why, "threw: %s", e.what());
  } catch (...) {
    std::snprintf(why, sizeof why, "threw a non-standard exception");
  }
  if (object == nullptr) {
    why[sizeof why - 1] = '\0'; // a plugin that filled it all wrote no end
    // On one line, as a check's reasons are: a line break in it read as a second error, and an
    // escape sequence went to the terminal as it was.
    std::string reason = why[0] ? printable(why) : "no reason given";
    if (std::strlen(why) == sizeof why - 1)
      reason += " (cut at " + std::to_string(sizeof why - 1) + " bytes)";
    return error{status::internal, request.what + ": plugin " + plugin.origin + ": " + factory_failed + reason};
  }
  return std::make_unique<plugin_instance<T>>(std::move(config), static_cast<T*>(object), plugin.descriptor->destroy);
}

} // namespace strata::detail
