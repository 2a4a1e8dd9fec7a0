#include "layer_factory.hpp"

#include "messages.hpp"

#include <caf/all.hpp>

#include <exception>

namespace strata::detail {

namespace {

created_layer create(const layer_recipe& recipe, const std::atomic<bool>& stopping) {
  created_layer created;
  if (stopping.load(std::memory_order_acquire)) {
    created.error = "the runtime stopped before this restart began";
    return created;
  }
  // create_instance answers a factory's throw; this is for what throws around it (an allocation),
  // which would end the worker without an answer and leave the slot waiting for one.
  try {
    auto& voice = instance_host::of(*recipe.host).new_voice();
    auto instance = create_instance<layer>(
      *recipe.plugin, instance_request{"layer '" + recipe.name + "'", recipe.name, &recipe.settings, voice.api()});
    if (instance) {
      created.instance = std::move(*instance);
      created.voice = &voice;
    }
    else
      created.error = instance.err().message;
  } catch (const std::exception& e) {
    created.error = std::string("creating the instance failed: ") + e.what();
  } catch (...) {
    created.error = "creating the instance failed: a non-standard exception";
  }
  return created;
}

caf::behavior layer_factory(caf::event_based_actor* self, std::shared_ptr<const std::atomic<bool>> stopping) {
  return {
    [self, stopping](create_layer_atom, std::size_t index, const layer_recipe_ptr& recipe) {
      auto created = create(*recipe, *stopping);
      if (auto coordinator = caf::actor_cast<caf::actor>(self->current_sender()))
        self->send(coordinator, layer_created_atom::value, index, std::move(created));
    },
    [](free_views_atom, freed_views& views) { views.reset(); },
  };
}

} // namespace

caf::actor spawn_layer_factory(caf::actor_system& system, std::shared_ptr<const std::atomic<bool>> stopping) {
  return system.spawn<caf::detached>(layer_factory, std::move(stopping));
}

} // namespace strata::detail
