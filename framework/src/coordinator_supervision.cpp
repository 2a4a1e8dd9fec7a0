// A layer's instances: starting, stopping, replacing one that failed or hangs, and the waits between restarts.

#include "coordinator_router.hpp"

namespace strata::detail::coordination {

std::shared_ptr<interaction_observer> router::observe_with(std::size_t i, layer_instance& instance) {
  const auto found = st_.shared->observer_relays.find(i);
  const auto relay = found == st_.shared->observer_relays.end() ? nullptr : found->second.lock();
  if (!relay)
    return nullptr;
  std::shared_ptr<interaction_observer> next;
  std::string why = "returned none";
  try {
    next = instance.get().observer();
  } catch (const std::exception& e) {
    why = std::string("threw: ") + e.what();
  } catch (...) {
    why = "threw a non-standard exception";
  }
  if (!next) {
    st_.log->write(log_level::error, {"the new instance's observer() " + why + "; the one before records on",
                                      st_.slots[i].cfg.name, {}, {}, {}, {}, {}});
    return nullptr;
  }
  return relay->replace(std::move(next));
}

void router::start_slot(std::size_t i, std::shared_ptr<layer_instance> instance, instance_voice* voice) {
  auto& s = st_.slots[i];
  ++s.generation;
  s.voice = voice;
  if (i == 0)
    publish_first_view(view_of(s, *instance), s.generation);
  s.retired = std::make_shared<std::atomic<bool>>(false);
  auto replaced_observer = s.observer && s.generation > 1 ? observe_with(i, *instance) : nullptr;
  s.actor = spawn_layer_host(self_, std::move(instance), caf::actor_cast<caf::actor>(self_), i,
                             s.generation, s.detached, s.retired,
                             std::shared_ptr<const std::atomic<std::int64_t>>(st_.shared, &st_.shared->drain_ends_ns),
                             st_.shared->calls.enter("layer '" + s.cfg.name + "' (instance " +
                                                     std::to_string(s.generation) + ")"),
                             std::move(replaced_observer));
  self_->monitor(s.actor);
  for (const auto& [ns, key] : s.erase_at_start) // first in its mailbox: before any request reads them
    erase_late_put(i, ns, key);
  s.erase_at_start.clear();
  for (const auto& [key, number] : std::exchange(s.behind_parked, {}))
    retry_behind(key, number);
}

void router::publish_first_view(std::shared_ptr<read_view> view, std::uint64_t generation) {
  auto freed = st_.shared->first_view.publish(std::move(view), generation);
  if (!freed.empty())
    self_->send(st_.layer_factory, free_views_atom::value,
                std::make_shared<view_list>(std::move(freed)));
}

std::shared_ptr<read_view> router::view_of(const slot& s, layer_instance& instance) {
  if (s.cfg.write == write_policy::behind)
    return nullptr;
  try {
    return instance.get().concurrent_view();
  } catch (const std::exception& e) {
    st_.log->write(log_level::error, {"concurrent_view() threw; reads go through the layer's actor", s.cfg.name,
                                      {}, {}, {}, {}, e.what()});
  } catch (...) {
    st_.log->write(log_level::error, {"concurrent_view() threw; reads go through the layer's actor", s.cfg.name,
                                      {}, {}, {}, {}, "a non-standard exception"});
  }
  return nullptr;
}

void router::stop_slot(std::size_t i) {
  auto& s = st_.slots[i];
  if (!s.actor)
    return;
  if (i == 0)
    publish_first_view(nullptr, 0);
  // Still monitored: its down message comes after every answer it sent (CAF keeps each sender's
  // order), and then the requests it did not answer fail (instance_gone).
  st_.stopped.push_back({s.actor.address(), i, s.generation});
  s.retired->store(true, std::memory_order_release);
  if (s.voice) // a hung call's instance lives on, and its threads with it: its word is no longer the slot's
    s.voice->silence();
  self_->send_exit(s.actor, caf::exit_reason::kill);
  s.actor = nullptr;
  ++s.generation;
  s.hang_check_due.reset(); // the stopped instance's: the next one is watched afresh
}

void router::instance_gone(std::size_t i, std::uint64_t generation) {
  end_requests(i, generation, true, "the layer's instance was replaced before it answered");
}

void router::end_requests(std::size_t i, std::uint64_t generation, bool forget, const std::string& why) {
  std::vector<std::pair<std::uint64_t, awaited_ptr>> ended;
  for (auto it = st_.sent.begin(); it != st_.sent.end();) {
    if (it->second.slot != i || it->second.awaited->generation != generation) {
      ++it;
      continue;
    }
    ended.emplace_back(it->first, it->second.awaited);
    it = forget ? st_.sent.erase(it) : std::next(it);
  }
  std::sort(ended.begin(), ended.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [number, awaited] : ended) {
    auto lost = std::exchange(awaited->lost, nullptr);
    awaited->late = nullptr; // what becomes of it is `lost`'s to say
    if (!awaited->answer) { // answered as a timeout already
      if (lost)
        lost();
      continue;
    }
    layer_reply reply; // a put's own undo follows this answer
    reply.failed = true;
    reply.code = status::unavailable;
    reply.error = why;
    answer(i, *awaited, reply);
  }
}

void router::restart(std::size_t i) {
  auto& s = st_.slots[i];
  if (s.creating)
    return; // the instance being created will serve
  ++s.restarts_begun;
  stop_slot(i);
  s.last_restart_attempt = std::chrono::steady_clock::now();
  if (stopping(i)) {
    if (!s.start_when_stopped)
      self_->delayed_send(self_, replaced_instance_wait, replaced_wait_atom::value, i, s.generation);
    s.start_when_stopped = true;
    return;
  }
  start_instance(i);
}

bool router::stopping(std::size_t i) const {
  return std::any_of(st_.stopped.begin(), st_.stopped.end(),
                     [i](const auto& s) { return s.slot == i && !s.waited_out; });
}

void router::start_when_stopped(std::size_t i, std::uint64_t generation, bool waited_long) {
  auto& s = st_.slots[i];
  if (!s.start_when_stopped || s.actor || generation != s.generation || (!waited_long && stopping(i)))
    return;
  if (waited_long)
    wait_out(i);
  s.start_when_stopped = false;
  start_instance(i);
}

void router::wait_out(std::size_t i) {
  auto& s = st_.slots[i];
  // A hung call on the scheduler holds one of its threads; a new instance there that hangs
  // too could hold the last, and with it the coordinator and every deadline: from now on this
  // layer's instances run in a thread of their own.
  const bool was_shared = !s.detached;
  s.detached = true;
  st_.log->write(log_level::warn, {std::string("the replaced instance's call has not returned; starting a new instance beside it") +
                                       (was_shared ? ", in a thread of its own" : ""),
                                   s.cfg.name, {}, {}, {}, {}, {}});
  for (auto& stopped : st_.stopped)
    if (stopped.slot == i)
      stopped.waited_out = true;
}

void router::start_instance(std::size_t i) {
  auto& s = st_.slots[i];
  // What the old instance reported no longer holds; the new one may report from its constructor.
  st_.shared->health.update(i, [](layer_health_state& h) {
    h.reported = health_level::healthy;
    h.reported_detail.clear();
  });
  s.creating = true;
  self_->send(st_.layer_factory, create_layer_atom::value, i, s.recipe);
}

void router::instance_created(std::size_t i, created_layer& created) {
  auto& s = st_.slots[i];
  s.creating = false;
  // The backoff counts from the end of the attempt: a factory may have taken seconds.
  s.last_restart_attempt = std::chrono::steady_clock::now();
  if (!created.instance) {
    st_.shared->health.update(i, [&](layer_health_state& h) {
      // The cause now is what keeps it down, not the fault that had it replaced.
      h.faulted = true;
      h.fault = "cannot be restarted: " + created.error;
      h.last_error = created.error;
    });
    const auto wait = longer_restart_wait(s);
    st_.log->write(log_level::error, {"restart failed", s.cfg.name, {}, {}, {}, {},
                                      created.error + "; trying again in " + std::to_string(wait.count()) + " s"});
    // Tried again then, or by a request that needs the layer then: a slot that nothing asks (its
    // keys all served above it) would stay down, its health stale.
    put_off_restart(i, wait);
    return;
  }
  start_slot(i, std::move(created.instance), created.voice);
  // Counted before health says so, as a failure is: a scrape that followed the health saw 0.
  if (auto* m = metrics(i))
    m->restarted();
  st_.shared->health.update(i, [](layer_health_state& h) {
    ++h.restarts;
    if (h.faulted) {
      h.faulted = false;
      h.replaced = true;
      h.fault = h.replaced_for;
    }
  });
  st_.log->write(log_level::info, {"restarted", s.cfg.name, {}, {}, {}, {}, {}});
}

bool router::available(std::size_t i) {
  auto& s = st_.slots[i];
  if (!s.actor && !s.start_when_stopped && std::chrono::steady_clock::now() - s.last_restart_attempt > restart_wait(s))
    restart(i);
  return static_cast<bool>(s.actor);
}

void router::failed(std::size_t i, std::uint64_t generation, fault_type type, const std::string& why) {
  auto& s = st_.slots[i];
  if (generation != s.generation)
    return;
  // Not healthy since the failure before: this instance failed before answering anything.
  const bool failed_in_a_row = !s.healthy;
  s.healthy = false;
  if (auto* m = metrics(i))
    m->failed(type);
  st_.log->write(log_level::warn, {"layer failed; replacing it", s.cfg.name, {}, to_string(type), {}, {}, why});
  st_.shared->health.update(i, [&](layer_health_state& h) { h.failed(why, std::chrono::steady_clock::now()); });
  if (failed_in_a_row || std::chrono::steady_clock::now() - s.last_restart_attempt < restart_backoff) {
    // The instance failed within a second of its restart, or before answering anything, as the
    // one before it: a plugin that fails at once (in its maintenance, say), or a database that
    // stalls (each new instance times out in turn), would otherwise be replaced as fast as it
    // fails. Its requests answer `unavailable` until it is restarted a second on, then 2, 4 ...
    // 60 s on while its instances keep failing so (or by a request then, if one comes first).
    stop_slot(i);
    put_off_restart(i, failed_in_a_row ? longer_restart_wait(s) : restart_backoff);
    return;
  }
  restart(i);
}

void router::restart_if_still_down(std::size_t i, std::uint64_t generation, std::uint64_t restarts_begun) {
  if (i < st_.slots.size() && !st_.slots[i].actor && st_.slots[i].generation == generation &&
      st_.slots[i].restarts_begun == restarts_begun)
    restart(i);
}

std::chrono::seconds router::restart_wait(const slot& s) {
  if (s.failed_restarts <= 1)
    return restart_backoff;
  const auto doublings = std::min<std::uint32_t>(s.failed_restarts - 1, 6); // 64 s is past the ceiling
  return std::min(restart_backoff * (1 << doublings), max_restart_wait);
}

std::chrono::seconds router::longer_restart_wait(slot& s) {
  ++s.failed_restarts;
  return restart_wait(s);
}

void router::put_off_restart(std::size_t i, std::chrono::seconds wait) {
  const auto& s = st_.slots[i];
  self_->delayed_send(self_, wait, restart_atom::value, i, s.generation, s.restarts_begun);
}

void router::succeeded(std::size_t i, std::uint64_t generation) {
  auto& s = st_.slots[i];
  if (s.healthy || generation != s.generation)
    return;
  s.healthy = true;
  s.failed_restarts = 0;
  st_.shared->health.update(i, [](layer_health_state& h) {
    h.faulted = false;
    h.replaced = false;
    h.failures_since_success = 0;
  });
}

void router::on_down(const caf::down_msg& msg) {
  for (auto it = st_.stopped.begin(); it != st_.stopped.end(); ++it)
    if (it->actor == msg.source) {
      const auto [i, generation] = std::pair{it->slot, it->generation};
      st_.stopped.erase(it);
      return instance_ended(i, generation);
    }
  for (std::size_t i = 0; i < st_.slots.size(); ++i)
    if (st_.slots[i].actor && st_.slots[i].actor.address() == msg.source) {
      const auto generation = st_.slots[i].generation;
      failed(i, generation, fault_type::died, "layer actor died: " + self_->system().render(msg.reason));
      // failed() stopped it, expecting a down message: this was it.
      st_.stopped.erase(std::remove_if(st_.stopped.begin(), st_.stopped.end(),
                                       [&](const auto& s) { return s.actor == msg.source; }),
                        st_.stopped.end());
      return instance_ended(i, generation);
    }
}

void router::instance_ended(std::size_t i, std::uint64_t generation) {
  instance_gone(i, generation);
  start_when_stopped(i, st_.slots[i].generation, false);
}

void router::layer_failed(std::size_t i, std::uint64_t generation, const std::string& why) {
  if (i < st_.slots.size())
    failed(i, generation, fault_type::exception, why);
}

} // namespace strata::detail::coordination
