#pragma once
// The coordinator actor: routes requests through the layer chain, promotes deeper hits, calls the
// read-through loader on a full miss (one load per key at a time), and supervises the layer hosts.

#include "layer_instance.hpp"
#include "layer_metrics.hpp"
#include "plugin_loader.hpp"
#include "shared_state.hpp"

#include <strata/config.hpp>
#include <strata/runtime.hpp>

#include <caf/fwd.hpp>

#include <memory>
#include <vector>

namespace strata::detail {

struct coordinator_setup {
  config cfg;
  std::vector<const loaded_plugin*> plugins;             ///< layer i's plugin
  std::vector<std::shared_ptr<layer_instance>> instances; ///< layer i's first instance
  std::shared_ptr<shared_state> shared;
  loader_fn loader;
  std::vector<std::shared_ptr<layer_metrics>> metrics; ///< per layer; empty when metrics are off
};

caf::actor spawn_coordinator(caf::actor_system& system, coordinator_setup setup);

} // namespace strata::detail
