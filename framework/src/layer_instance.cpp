#include "layer_instance.hpp"

namespace strata::detail {

expected<std::unique_ptr<layer_instance>> create_layer_instance(const loaded_plugin& plugin,
                                                                const layer_config& cfg) {
  auto config = std::make_shared<const plugin_config>(cfg.settings);
  strata_plugin_context context{STRATA_ABI_MAJOR, STRATA_ABI_MINOR, cfg.name.c_str(), config.get()};
  char why[512] = {0};
  void* object = plugin.descriptor->create(&context, why, sizeof why);
  if (object == nullptr)
    return error{status::internal, "layer '" + cfg.name + "': plugin " + plugin.origin + ": symbol " +
                                       STRATA_PLUGIN_ENTRY_SYMBOL "()->create: factory failed: " +
                                       (why[0] ? why : "no reason given")};
  return std::make_unique<layer_instance>(std::move(config), static_cast<layer*>(object),
                                          plugin.descriptor->destroy);
}

} // namespace strata::detail
