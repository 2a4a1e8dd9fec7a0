#include "layer_factory.hpp"

#include "messages.hpp"

#include <caf/all.hpp>

namespace strata::detail {

namespace {

caf::behavior layer_factory(caf::event_based_actor* self) {
  return {
    [self](create_layer_atom, std::size_t index, const layer_recipe_ptr& recipe) {
      auto instance = create_instance<layer>(
        *recipe->plugin, instance_request{"layer '" + recipe->name + "'", recipe->name, &recipe->settings, recipe->host});
      created_layer created;
      if (instance)
        created.instance = std::move(*instance);
      else
        created.error = instance.err().message;
      if (auto coordinator = caf::actor_cast<caf::actor>(self->current_sender()))
        self->send(coordinator, layer_created_atom::value, index, std::move(created));
    },
  };
}

} // namespace

caf::actor spawn_layer_factory(caf::actor_system& system) {
  return system.spawn<caf::detached>(layer_factory);
}

} // namespace strata::detail
