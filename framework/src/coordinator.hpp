#pragma once
// The coordinator actor: routes requests through the layer chain, promotes deeper hits, calls the
// read-through loader on a full miss (one load per key at a time), and supervises the layer hosts.

#include "instance_host.hpp"
#include "plugin_instance.hpp"
#include "layer_metrics.hpp"
#include "log.hpp"
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
  std::vector<instance_voice*> voices;                    ///< its side of layer i's host
  std::shared_ptr<shared_state> shared;
  loader_fn loader;
  std::vector<std::shared_ptr<layer_metrics>> metrics; ///< per layer; empty when metrics are off
  std::vector<const strata_host_api*> hosts;           ///< per layer, for the instances it creates
  std::shared_ptr<runtime_log> log;
};

caf::actor spawn_coordinator(caf::actor_system& system, coordinator_setup setup);

} // namespace strata::detail
