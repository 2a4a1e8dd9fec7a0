// The coordinator actor (coordinator.hpp): its state and layers set up, its messages handed to the
// router (coordinator_router.hpp), its stop.

#include "coordinator_router.hpp"

namespace strata::detail {
namespace coordination {
namespace {

caf::behavior coordinator(coordinator_actor* self, std::shared_ptr<coordinator_setup> setup) {
  auto& st = self->state;
  st.shared = setup->shared;
  st.loader = setup->loader;
  st.loader_timeout = setup->cfg.runtime.loader_timeout;
  st.metrics = setup->metrics;
  st.log = setup->log;
  if (st.loader)
    for (int i = 0; i < setup->cfg.runtime.loader_threads; ++i)
      st.loaders.push_back(spawn_loader_worker(self->system(), st.loader, st.workers_stopping));
  st.loader_busy.assign(st.loaders.size(), 0);
  st.loader_overdue.assign(st.loaders.size(), 0);
  st.layer_factory = spawn_layer_factory(self->system(), st.workers_stopping);
  auto r = std::make_shared<router>(self);
  for (std::size_t i = 0; i < setup->cfg.layers.size(); ++i) {
    slot s;
    s.cfg = setup->cfg.layers[i];
    const auto& plugin = *setup->plugins[i];
    s.recipe = std::make_shared<const layer_recipe>(layer_recipe{&plugin, s.cfg.name, s.cfg.settings, setup->hosts[i]});
    s.detached = s.cfg.detached.value_or(default_detached(*plugin.descriptor));
    s.deadline = s.cfg.deadline.value_or(default_deadline(*plugin.descriptor));
    s.observer = is_observer(*plugin.descriptor);
    st.slots.push_back(std::move(s));
  }
  for (std::size_t i = 0; i < st.slots.size(); ++i)
    r->start_slot(i, std::move(setup->instances[i]), setup->voices[i]);
  // A layer's prefetch requests and its requests to drop a key or tag from the other layers
  // come to this actor as messages; the host keeps only a weak address, and is disconnected when
  // the coordinator exits (a listener thread of the layer may call at any time).
  for (std::size_t i = 0; i < st.slots.size(); ++i) {
    auto& host = instance_host::of(*st.slots[i].recipe->host);
    host.connect_prefetch([address = self->address(), i](std::string_view ns, std::string_view key) {
      auto coordinator = caf::actor_cast<caf::actor>(address);
      if (!coordinator)
        return false;
      caf::anon_send(coordinator, prefetch_atom::value, i, std::string(ns), std::string(key));
      return true;
    });
    host.connect_invalidation([address = self->address(), i](bool tag, std::string ns, std::string what) {
      if (auto coordinator = caf::actor_cast<caf::actor>(address))
        caf::anon_send(coordinator, drop_atom::value, i, tag, std::move(ns), std::move(what));
    });
  }
  setup.reset();
  self->set_down_handler([r](caf::down_msg& msg) { r->on_down(msg); });
  // The runtime stops the coordinator with an exit message; the layer hosts and loader workers
  // it owns end with it.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    for (auto& s : self->state.slots) {
      if (const auto untold = s.internal_lines.untold(); untold > 0)
        self->state.log->write(log_level::warn, {"layer answered internal " + std::to_string(untold) +
                                                   " more times since the last line, not logged before the stop",
                                                 s.cfg.name, {}, {}, {}, {}, {}});
      instance_host::of(*s.recipe->host).connect_prefetch({});
      instance_host::of(*s.recipe->host).connect_invalidation({});
      if (s.actor)
        self->send_exit(s.actor, caf::exit_reason::user_shutdown);
    }
    self->state.workers_stopping->store(true, std::memory_order_release);
    for (auto& worker : self->state.loaders)
      self->send_exit(worker, caf::exit_reason::user_shutdown);
    self->send_exit(self->state.layer_factory, caf::exit_reason::user_shutdown);
    self->quit(msg.reason);
  });
  return {
    [r](get_atom, get_request& request) { r->get(request); },
    [r](put_atom, put_request& request) { r->put(request); },
    [r](erase_atom, erase_request& request) { r->erase(request); },
    [r](tag_atom, tag_request& request) { r->invalidate_tag(request); },
    [r](call_atom, call_request& request) { r->call(request); },
    [r](drop_atom, std::size_t origin, bool tag, const std::string& ns, const std::string& what) {
      r->drop(origin, tag, ns, what);
    },
    [r](command_atom, command_request& request) { r->command(request); },
    [r](prefetch_atom, std::size_t asking, std::string& ns, std::string& key) { r->prefetch(asking, ns, key); },
    [r](sweep_atom, std::uint64_t number) { r->sweep(number); },
    [r](overdue_atom) { r->fail_overdue(); },
    [r](hang_check_atom, std::size_t index, std::uint64_t generation, std::uint64_t number) {
      r->hang_check(index, generation, number);
    },
    [r](behind_retry_atom, const std::string& key, std::uint64_t number) { r->retry_behind(key, number); },
    [r](layer_answer_atom, std::uint64_t number, layer_reply& reply) { r->layer_answered(number, reply); },
    [r](loaded_atom, std::uint64_t number, load_reply& reply) { r->load_answered(number, reply); },
    [r](load_timeout_atom, std::uint64_t number) { r->load_timed_out(number); },
    [r](layer_failed_atom, std::size_t index, std::uint64_t generation, const std::string& why) {
      r->layer_failed(index, generation, why);
    },
    [r](restart_atom, std::size_t index, std::uint64_t generation, std::uint64_t restarts_begun) {
      r->restart_if_still_down(index, generation, restarts_begun);
    },
    [r](replaced_wait_atom, std::size_t index, std::uint64_t generation) {
      r->start_when_stopped(index, generation, true);
    },
    [r](layer_created_atom, std::size_t index, created_layer& created) { r->instance_created(index, created); },
  };
}

} // namespace
} // namespace coordination

caf::actor spawn_coordinator(caf::actor_system& system, coordinator_setup setup) {
  return system.spawn(coordination::coordinator, std::make_shared<coordinator_setup>(std::move(setup)));
}

} // namespace strata::detail
