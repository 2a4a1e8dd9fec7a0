#pragma once
// One live object of a layer plugin, destroyed through the plugin's own destroy function.

#include "plugin_loader.hpp"

#include <strata/config.hpp>
#include <strata/expected.hpp>
#include <strata/layer.hpp>
#include <strata/plugin_config.hpp>

#include <memory>

namespace strata::detail {

class layer_instance {
public:
  layer_instance(std::shared_ptr<const plugin_config> config, layer* object, void (*destroy)(void*))
    : config_(std::move(config)), object_(object), destroy_(destroy) {}
  ~layer_instance() { destroy_(object_); }
  layer_instance(const layer_instance&) = delete;
  layer_instance& operator=(const layer_instance&) = delete;

  layer& get() noexcept { return *object_; }

private:
  std::shared_ptr<const plugin_config> config_; ///< the plugin may keep a reference to it
  layer* object_;
  void (*destroy_)(void*);
};

/// Calls the plugin's factory for layer `cfg`; a failure names the file, the symbol and the reason.
expected<std::unique_ptr<layer_instance>> create_layer_instance(const loaded_plugin& plugin,
                                                                const layer_config& cfg);

} // namespace strata::detail
