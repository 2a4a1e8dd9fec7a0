// Puts, conditional writes, erases, tag invalidations, undo of a put not taken everywhere, commands and calls.

#include "coordinator_router.hpp"

namespace strata::detail::coordination {

void router::note_write(const std::string& id, bool replaces_behind) {
  advance_write_epoch(id);
  if (replaces_behind && !st_.behind.empty())
    for (std::size_t i = 0; i < st_.slots.size(); ++i)
      if (st_.slots[i].cfg.write == write_policy::behind)
        forget_behind(behind_key(i, id));
  if (auto it = st_.loads.find(id); it != st_.loads.end())
    supersede(it); // a miss from now on must not get a value read before this write
}

void router::supersede(std::unordered_map<std::string, pending_load_ptr>::iterator it) {
  it->second->superseded = true;
  st_.loads.erase(it);
}

void router::advance_write_epoch(const std::string& id) {
  ++st_.write_epoch;
  if (auto it = st_.activity.find(id); it != st_.activity.end())
    it->second.last_write = st_.write_epoch;
}

std::uint64_t router::tag_epoch(const std::string& ns) const {
  const auto tagged = st_.last_tag_epoch.find(ns);
  return std::max(st_.tag_epoch_floor, tagged == st_.last_tag_epoch.end() ? 0 : tagged->second);
}

void router::note_tag_invalidation(const std::string& ns) {
  if (st_.activity.empty() && st_.loads.empty())
    st_.last_tag_epoch.clear(); // no lookup or load started before any of them
  if (st_.last_tag_epoch.size() >= max_tagged_namespaces) { // under traffic that never pauses
    st_.tag_epoch_floor = st_.write_epoch;
    st_.last_tag_epoch.clear();
  }
  st_.last_tag_epoch[ns] = ++st_.write_epoch;
  const auto prefix = make_id(ns, {});
  for (auto it = st_.loads.begin(); it != st_.loads.end();)
    if (it->first.compare(0, prefix.size(), prefix) == 0) {
      it->second->superseded = true;
      it = st_.loads.erase(it);
    } else {
      ++it;
    }
}

void router::put(put_request& request) {
  const auto id = make_id(request.data->ns, request.data->key);
  if (auto it = st_.guarded.find(id); it != st_.guarded.end()) {
    it->second.push_back([this, request = std::move(request)]() mutable { return start_put(request); });
    return;
  }
  if (request.condition != put_condition::always || request.keep_value)
    st_.guarded.try_emplace(id); // before the check, which may finish at once
  start_put(request);
}

void router::erase(erase_request& request) {
  if (auto it = st_.guarded.find(make_id(request.ns, request.key)); it != st_.guarded.end()) {
    it->second.push_back([this, request = std::move(request)]() mutable {
      write_erase(request);
      return false;
    });
    return;
  }
  write_erase(request);
}

bool router::start_put(put_request& request) {
  if (request.condition == put_condition::always && !request.keep_value) {
    write_put(request);
    return false;
  }
  auto pending = std::make_shared<put_request>(std::move(request));
  // A reader of its key until it decides: a removal that comes meanwhile (a host's drop, a tag
  // invalidation), which does not wait behind the guard, is then seen.
  pending->check_epoch = st_.write_epoch;
  ++st_.activity[make_id(pending->data->ns, pending->data->key)].readers;
  check(pending, 0, status::not_found);
  return true;
}

void router::check(const std::shared_ptr<put_request>& pending, std::size_t i, status failure) {
  if (i >= st_.slots.size())
    return decide(pending, nullptr, failure);
  if (st_.slots[i].observer) // not in the chain: it holds records, not entries
    return check(pending, i + 1, failure);
  const auto& data = *pending->data;
  const auto request = ++st_.requests;
  // Not counted as a get of the layer: the host asked for a write, and the layer's hit rate is
  // that of the reads.
  ask(
    i, request, asked{operation::get, false},
    [this, pending, i, failure, request](layer_reply& reply) {
      if (could_not(reply)) // it may hold the key: decide writes nothing
        return check(pending, i + 1, reply.code);
      if (reply.code != status::ok)
        return check(pending, i + 1, failure);
      if (!sound_hit(i, request, reply.hit)) // as if the layer could not answer: nothing is written
        return check(pending, i + 1, status::internal);
      decide(pending, &reply.hit, failure);
    },
    layer_get_atom::value, data.ns, data.key);
}

void router::decide(const std::shared_ptr<put_request>& pending, const layer_hit* found, status failure) {
  auto& request = *pending;
  const auto id = make_id(request.data->ns, request.data->key);
  // What the check found may have been removed since (by a drop, or a tag invalidation of its
  // namespace, which do not wait behind the guard): an EXPIRE writing it again would bring it
  // back. The chain is checked again, up to max_rechecks times; then what the last check found
  // decides, so that invalidations of other keys of the namespace cannot make it fail.
  if (found && removed_since_check(request, id, *found) && ++request.rechecks < max_rechecks) {
    request.check_epoch = st_.write_epoch;
    return check(pending, 0, status::not_found);
  }
  release_reader(id);
  if (!found && failure != status::not_found) {
    request.done(failure); // a layer that could not answer may hold the key: write nothing
  } else if (request.condition == put_condition::if_absent && found) {
    request.done(status::rejected);
  } else if (request.condition == put_condition::if_present && !found) {
    request.done(status::not_found);
  } else {
    if (request.keep_value) {
      entry_options options = found->meta;
      options.ttl = request.data->options.ttl;
      request.data = std::make_shared<put_data>(put_data{request.data->ns, request.data->key, found->value, options});
    }
    write_put(request);
  }
  release(id);
}

bool router::removed_since_check(const put_request& request, const std::string& id, const layer_hit& found) const {
  const auto activity = st_.activity.find(id);
  if (activity != st_.activity.end() && activity->second.last_write > request.check_epoch)
    return true;
  return !found.meta.tags.empty() && tag_epoch(request.data->ns) > request.check_epoch;
}

void router::release(const std::string& id) {
  for (;;) {
    auto it = st_.guarded.find(id);
    if (it == st_.guarded.end())
      return;
    if (it->second.empty()) {
      st_.guarded.erase(it);
      return;
    }
    auto next = std::move(it->second.front());
    it->second.pop_front();
    if (next())
      return;
  }
}

void router::write_put(put_request& request) {
  const auto number = ++st_.requests;
  const auto id = make_id(request.data->ns, request.data->key);
  note_write(id, !request.keep_value);
  // An EXPIRE writes back what it found (maybe a failed put's value, whose undo must still come).
  if (!request.keep_value && reaches_every_layer())
    note_replacing_write(id);
  const undo_ticket ticket{st_.write_epoch, std::make_shared<undo_claim>(st_.undo_watched, id)};
  auto join = std::make_shared<fan_in<put_outcome>>();
  join->done = [this, id, ticket, data = request.data, done = std::move(request.done)](put_outcome o) {
    if (!o.undo)
      return done(o.code());
    // While a conditional write checks the chain, the undo waits behind it: that write may write
    // nothing (a refused SET NX), and the failed put's value would stay where it was taken.
    const auto then = [done, code = o.code()](status) { done(code); };
    auto guard = st_.guarded.find(id);
    if (guard == st_.guarded.end())
      return undo_put(ticket, *data, then);
    guard->second.push_back([this, ticket, data, then]() {
      undo_put(ticket, *data, then);
      return false;
    });
  };
  join->remaining = 1; // released below, so that a synchronous reply cannot finish early
  for (std::size_t i = 0; i < st_.slots.size(); ++i) {
    const auto policy = st_.slots[i].cfg.write;
    if (st_.slots[i].observer)
      continue;
    if (policy == write_policy::around) {
      // It takes no writes, but may hold a copy promoted into it: that copy goes, or the layer
      // would serve the old value after the put answered.
      ++join->remaining;
      const auto sent_before = st_.last_sent_number;
      ask(
        i, number, operation::erase,
        [join](layer_reply& reply) {
          join->result.note_failure(reply);
          join->one_done();
        },
        layer_erase_atom::value, request.data->ns, request.data->key);
      if (auto* awaited = sent_since(sent_before))
        undo_if_lost(*awaited, ticket, request.data);
      continue;
    }
    // An EXPIRE's write-back changes only the TTL where the layer has put_kept (ABI 1.5).
    const bool kept_value = request.keep_value && built_for(i, put_kept_since_minor);
    if (policy == write_policy::behind) {
      join->result.kept = true; // not waited for: taken to keep it
      if (st_.slots[i].behind_in_flight < max_behind_in_flight) {
        put_behind(i, number, id, request.data, request.keep_value, kept_value);
        continue;
      }
      // The layer is that far behind: the put waits for it (its answer is still not the put's).
      ++join->remaining;
      put_behind(i, number, id, request.data, request.keep_value, kept_value, [join] { join->one_done(); });
      continue;
    }
    ++join->remaining;
    const auto sent_before = st_.last_sent_number;
    const auto answered = [join, kept_value](layer_reply& reply) {
      auto& o = join->result;
      o.note_failure(reply);
      if (reply.code == status::invalid)
        o.note_invalid();
      // put_kept's not_found: it set the TTL only, or the key holds another value there now.
      o.kept = o.kept || reply.code == status::ok || (kept_value && reply.code == status::not_found);
      join->one_done();
    };
    if (kept_value)
      ask(i, number, operation::put, answered, layer_put_kept_atom::value, request.data);
    else
      ask(i, number, operation::put, answered, layer_put_atom::value, request.data);
    if (auto* awaited = sent_since(sent_before)) {
      undo_if_lost(*awaited, ticket, request.data);
      erase_if_applied_late(*awaited, i, request.data);
    }
  }
  join->one_done(); // no layer takes writes (every one is write: around): rejected, nothing kept it
}

awaited_reply* router::sent_since(std::uint64_t sent_before) {
  if (st_.last_sent_number == sent_before)
    return nullptr;
  const auto sent = st_.sent.find(st_.last_sent_number);
  return sent != st_.sent.end() ? sent->second.awaited.get() : nullptr;
}

void router::undo_if_lost(awaited_reply& awaited, const undo_ticket& ticket, const put_payload& data) {
  awaited.lost = [this, ticket, data] { undo_put(ticket, *data, [](status) {}); };
}

bool router::reaches_every_layer() const {
  for (std::size_t i = 0; i < st_.slots.size(); ++i) {
    const auto& s = st_.slots[i];
    if (s.observer)
      continue;
    if (!s.actor || s.cfg.write == write_policy::behind ||
        std::any_of(st_.stopped.begin(), st_.stopped.end(), [i](const auto& stopped) { return stopped.slot == i; }))
      return false;
  }
  return true;
}

void router::erase_if_applied_late(awaited_reply& awaited, std::size_t i, const put_payload& data) {
  awaited.applied_late = [this, i, data] {
    if (st_.slots[i].actor)
      erase_late_put(i, data->ns, data->key);
    else
      st_.slots[i].erase_at_start.emplace_back(data->ns, data->key);
  };
}

void router::erase_late_put(std::size_t i, const std::string& ns, const std::string& key) {
  auto& s = st_.slots[i];
  st_.log->write(log_level::warn,
                 {"a put its replaced instance applied late is erased", s.cfg.name, {}, {}, {}, {}, "key " + key});
  self_->send(s.actor, layer_erase_atom::value, std::uint64_t{0}, ns, key);
}

void router::note_replacing_write(const std::string& id) {
  if (auto it = st_.undo_watched->find(id); it != st_.undo_watched->end())
    it->second.last_write = st_.write_epoch;
}

void router::undo_put(const undo_ticket& ticket, const put_data& data, std::function<void(status)> then) {
  const auto watch = st_.undo_watched->find(make_id(data.ns, data.key));
  if (watch != st_.undo_watched->end() && watch->second.last_write > ticket.epoch)
    return then(status::ok);
  erase_request undo;
  undo.ns = data.ns;
  undo.key = data.key;
  undo.done = std::move(then);
  write_erase(undo);
}

void router::write_erase(erase_request& request) {
  const auto number = ++st_.requests;
  note_write(make_id(request.ns, request.key));
  struct erase_outcome {
    bool found = false;
    status failure = status::ok;
  };
  auto join = std::make_shared<fan_in<erase_outcome>>();
  join->done = [done = std::move(request.done)](erase_outcome o) {
    // A layer that could not erase may still hold the key: that outweighs another's ok.
    done(o.failure != status::ok ? o.failure : o.found ? status::ok : status::not_found);
  };
  ask_chain(
    join, number, operation::erase,
    [](erase_outcome& o, const layer_reply& reply, const std::string&) {
      if (could_not(reply))
        o.failure = reply.code;
      else if (reply.code == status::ok)
        o.found = true;
    },
    layer_erase_atom::value, request.ns, request.key);
}

void router::invalidate_tag(tag_request& request) {
  const auto number = ++st_.requests;
  note_tag_invalidation(request.ns);
  erase_behind_tagged(request.ns, request.tag);
  auto join = std::make_shared<fan_in<invalidate_result>>();
  join->done = std::move(request.done);
  ask_chain(
    join, number, operation::invalidate_tag,
    [](invalidate_result& r, const layer_reply& reply, const std::string& layer) {
      if (could_not(reply)) {
        r.code = reply.code;
        if (!reply.error.empty()) // what became of the invalidation there (removed from memory only, say)
          r.error += (r.error.empty() ? "layer '" : "; layer '") + layer + "': " + reply.error;
      } else
        r.removed += reply.count;
    },
    layer_tag_atom::value, request.ns, request.tag);
}

void router::drop(std::size_t origin, bool tag, const std::string& ns, const std::string& what) {
  const auto number = ++st_.requests;
  if (tag) {
    note_tag_invalidation(ns);
    erase_behind_tagged(ns, what, origin);
  } else {
    note_write(make_id(ns, what));
  }
  if (origin >= st_.slots.size())
    return;
  const auto dropped = [this, origin](layer_reply&) {
    auto& s = st_.slots[origin];
    if (--s.drops_in_flight > 0)
      return;
    auto waiting = std::move(s.after_drops);
    s.after_drops.clear();
    for (auto& answer : waiting)
      answer();
  };
  for (std::size_t i = 0; i < st_.slots.size(); ++i) {
    if (i == origin || st_.slots[i].observer)
      continue;
    ++st_.slots[origin].drops_in_flight;
    if (tag)
      ask(i, number, operation::invalidate_tag, dropped, layer_tag_atom::value, ns, what);
    else
      ask(i, number, operation::erase, dropped, layer_erase_atom::value, ns, what);
  }
}

void router::answer_after_drops(std::size_t i, std::function<void()> answer) {
  auto& s = st_.slots[i];
  if (s.drops_in_flight == 0)
    return answer();
  s.after_drops.push_back(std::move(answer));
}

void router::command(command_request& request) {
  const auto it = std::find_if(st_.slots.begin(), st_.slots.end(),
                               [&](const slot& s) { return s.cfg.name == request.layer; });
  const auto refuse = [&](status code, const std::string& why) {
    request.done(command_result{code, nlohmann::json{{"error", why}}.dump()});
  };
  if (it == st_.slots.end())
    return refuse(status::invalid, "no layer named '" + request.layer + "'");
  const auto i = static_cast<std::size_t>(it - st_.slots.begin());
  const auto* d = it->recipe->plugin->descriptor;
  if (d->abi_minor < 2)
    return refuse(status::invalid, "layer '" + request.layer + "' (plugin " + d->name + ", ABI 1." +
                                     std::to_string(d->abi_minor) + ") takes no commands");
  // A command may do real work (a scan, a compaction): at least 5 s, whatever the layer's
  // deadline for requests.
  const auto deadline = std::max<std::chrono::milliseconds>(it->deadline, std::chrono::seconds(5));
  ask_within(
    i, deadline, ++st_.requests, operation::command,
    [this, i, done = std::move(request.done)](layer_reply& reply) {
      // Not ok, the answer is {"error": ...}: also when the layer wrote none, or a replaced
      // instance answered without calling it (not a failure of the layer, but no answer either).
      command_result result{reply.code, std::move(reply.hit.value)};
      if (reply.failed || (reply.code != status::ok && result.json.empty()))
        result.json = nlohmann::json{{"error", reply.error.empty() ? to_string(reply.code) : reply.error}}.dump();
      answer_after_drops(i, [done, result = std::move(result)]() mutable { done(std::move(result)); });
    },
    layer_command_atom::value, request.name, request.args);
}

void router::call(call_request& request) {
  const auto number = ++st_.requests;
  if (request.slot >= st_.slots.size()) {
    layer_reply reply{status::internal, false, "no layer at position " + std::to_string(request.slot), {}, 0};
    return request.done(reply);
  }
  ask(
    request.slot, number, request.op,
    [this, i = request.slot, done = std::move(request.done)](layer_reply& reply) {
      answer_after_drops(i, [done, reply]() mutable { done(reply); });
    },
    layer_call_atom::value, request.call);
}

} // namespace strata::detail::coordination
