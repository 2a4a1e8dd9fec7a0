#pragma once
// A thread that creates the layer instances of restarts, so that a factory that waits (for a
// database) holds no actor: the coordinator serves the other layers meanwhile.

#include "instance_host.hpp"
#include "plugin_instance.hpp"
#include "view_slot.hpp"

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/fwd.hpp>

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace strata::detail {

/// What creating an instance of one layer takes; shared with the factory worker, so that a
/// creation under way outlives the coordinator's state.
struct layer_recipe {
  const loaded_plugin* plugin = nullptr;
  std::string name;
  std::map<std::string, std::string> settings;
  const strata_host_api* host = nullptr; ///< the runtime's, which outlives every actor
};
using layer_recipe_ptr = std::shared_ptr<const layer_recipe>;

/// Views of layer 0's replaced instances that no reader holds, to free.
using freed_views = std::shared_ptr<view_list>;

/// A new instance, or why there is none (the factory's error).
struct created_layer {
  std::shared_ptr<layer_instance> instance;
  instance_voice* voice = nullptr; ///< the instance's side of the slot's host
  std::string error;
};

/// A worker creating an instance for each (create_layer_atom, index, recipe) it is sent, in order
/// (factories are never called two at once, as when the coordinator called them), and sending the
/// sender (layer_created_atom, index, created_layer); once `stopping` is set, it creates none.
/// It also frees what it is sent (free_views_atom, freed_views): the last reference to a retired
/// instance's store, whose freeing would hold up the coordinator.
caf::actor spawn_layer_factory(caf::actor_system& system, std::shared_ptr<const std::atomic<bool>> stopping);

} // namespace strata::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(strata::detail::layer_recipe_ptr)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(strata::detail::created_layer)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(strata::detail::freed_views)
