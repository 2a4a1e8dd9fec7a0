#pragma once
// Validation of a whole deployment against the plugins it names.

#include "plugin_loader.hpp"

#include <strata/config.hpp>

#include <vector>

namespace strata::detail {

/// Loads the plugins `cfg` names through `loader`, checks every layer's settings against its
/// plugin's schema and fills defaults. On success `plugins_out[i]` is layer i's plugin.
config_report validate_with(config cfg, plugin_loader& loader,
                            const std::vector<const strata_plugin_descriptor*>& static_plugins,
                            std::vector<const loaded_plugin*>& plugins_out);

} // namespace strata::detail
