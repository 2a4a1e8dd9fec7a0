// Gets: the walk down the chain, promotion of a deeper hit, and the read-through loader on a full miss.

#include "coordinator_router.hpp"

namespace strata::detail::coordination {

void router::get(get_request& request) {
  auto l = std::make_shared<lookup>();
  l->id = make_id(request.ns, request.key);
  l->request = std::move(request);
  l->start_epoch = st_.write_epoch;
  l->number = ++st_.requests;
  ++st_.activity[l->id].readers;
  walk(l, l->request.first_layer);
}

void router::walk(const lookup_ptr& l, std::size_t i) {
  if (i >= st_.slots.size())
    return full_miss(l);
  if (st_.slots[i].observer)
    return walk(l, i + 1);
  const auto asked_at = std::chrono::steady_clock::now();
  ask(
    i, l->number, operation::get,
    [this, l, i, asked_at](layer_reply& reply) {
      if (could_not(reply)) { // a full miss says so, rather than not_found
        l->failure = reply.code;
        return walk(l, i + 1);
      }
      if (reply.code != status::ok)
        return walk(l, i + 1);
      if (!sound_hit(i, l->number, reply.hit)) {
        l->failure = status::internal;
        return walk(l, i + 1);
      }
      promote(l, i, reply.hit, asked_at);
      const auto ttl = reply.hit.meta.ttl;
      finish(l, get_result{status::ok, std::move(reply.hit.value), st_.slots[i].cfg.name, ttl});
    },
    layer_get_atom::value, l->request.ns, l->request.key);
}

bool router::still_current(const lookup& l) const {
  if (written_since(l))
    return false;
  return tag_epoch(l.request.ns) <= l.start_epoch;
}

bool router::written_since(const lookup& l) const {
  auto it = st_.activity.find(l.id);
  return it != st_.activity.end() && it->second.last_write > l.start_epoch;
}

bool router::sound_hit(std::size_t i, std::uint64_t request, const layer_hit& hit) {
  auto problem = request_problem(hit.meta, "its hit");
  if (problem.empty())
    return true;
  st_.log->write(log_level::warn, {"a layer's hit was refused", st_.slots[i].cfg.name, "get", to_string(status::internal),
                                   {}, std::to_string(request), problem});
  return false;
}

void router::promote(const lookup_ptr& l, std::size_t found_at, const layer_hit& hit,
                     std::chrono::steady_clock::time_point asked_at) {
  if (found_at == 0 || !still_current(*l))
    return;
  const auto meta = copy_meta(hit.meta, asked_at);
  if (!meta)
    return;
  put_payload data;
  for (std::size_t j = 0; j < found_at; ++j) {
    if (!st_.slots[j].cfg.promote || st_.slots[j].observer)
      continue;
    if (!data)
      data = std::make_shared<put_data>(put_data{l->request.ns, l->request.key, hit.value, *meta});
    put_unawaited(j, l->number, data);
  }
}

std::optional<entry_options> router::copy_meta(const entry_options& found,
                                               std::chrono::steady_clock::time_point asked_at) {
  auto meta = found;
  if (meta.ttl.count() > 0) {
    meta.ttl -= std::chrono::milliseconds{1} +
                std::chrono::ceil<std::chrono::milliseconds>(std::chrono::steady_clock::now() - asked_at);
    if (meta.ttl.count() <= 0)
      return std::nullopt;
  }
  return meta;
}

void router::full_miss(const lookup_ptr& l) {
  if (!st_.loader)
    return finish(l, get_result{l->failure, {}, {}, {}});
  if (l->request.first_layer == 1)
    return recheck_first(l);
  if (auto answer = answer_of_load_meanwhile(*l))
    return finish(l, std::move(*answer));
  const auto now = std::chrono::steady_clock::now();
  // A call out for twice loader_timeout is likely stuck (a lost connection): the next miss calls
  // again, at most once per that long, if a loader thread then still has no call past its
  // timeout (a key whose calls all hang must not take every thread, and every other key's loads).
  // The time out is halved rather than the timeout doubled: twice the longest overflows the clock.
  if (auto it = st_.loads.find(l->id); it != st_.loads.end() && (now - it->second->started) / 2 >= st_.loader_timeout &&
                                        std::count(st_.loader_overdue.begin(), st_.loader_overdue.end(), 0) >= 2)
    supersede(it); // the newer call's answer is what the layers should hold
  // A load in `loads` started after the key's last write, and may be waited for. Without one,
  // a get that a write to its key overtook while it walked the chain gets a load of its own,
  // which answers it but must not fill the layers: the write is newer. (A tag invalidation
  // needs no such care: a load that starts after it reads what the host changed before it.)
  const bool overtaken = written_since(*l) && st_.loads.count(l->id) == 0;
  pending_load_ptr own;
  auto& load = overtaken ? own : st_.loads[l->id];
  if (!load) {
    load = std::make_shared<pending_load>();
    load->superseded = overtaken;
    load->started = now;
    load->number = start_load(l->request.ns, l->request.key, load);
  }
  load->waiters.push_back({l, now + st_.loader_timeout});
  load->missed = true;
  if (!load->timer_set) {
    load->timer_set = true;
    self_->delayed_send(self_, st_.loader_timeout, load_timeout_atom::value, load->number);
  }
}

std::optional<get_result> router::answer_of_load_meanwhile(const lookup& l) const {
  const auto it = st_.activity.find(l.id);
  if (it == st_.activity.end() || !it->second.last_load || l.number > it->second.last_load->last_request_before)
    return std::nullopt;
  const auto& answered = *it->second.last_load;
  if (!answered.value)
    return get_result{l.failure, {}, {}, {}};
  const auto left = copy_meta(answered.value->options, answered.at); // as a promoted copy's
  if (!left)
    return std::nullopt;
  return get_result{status::ok, answered.value->value, "loader", left->ttl};
}

void router::keep_for_lookups_out(const std::string& id, const pending_load& load, const load_reply& reply) {
  const auto it = st_.activity.find(id);
  if (it == st_.activity.end() || it->second.readers <= load.waiters.size()) // none but its waiters
    return;
  auto answered = std::make_shared<answered_load>();
  answered->last_request_before = st_.requests;
  answered->at = std::chrono::steady_clock::now();
  answered->value = reply.value;
  it->second.last_load = std::move(answered);
}

void router::recheck_first(const lookup_ptr& l) {
  l->request.first_layer = 0; // once
  if (!available(0) || st_.slots[0].observer)
    return full_miss(l);
  send(
    0, st_.slots[0].deadline, std::chrono::steady_clock::now(),
    [this, l](layer_reply& reply) {
      if (could_not(reply) || reply.code != status::ok || !sound_hit(0, l->number, reply.hit))
        return full_miss(l);
      const auto ttl = reply.hit.meta.ttl;
      finish(l, get_result{status::ok, std::move(reply.hit.value), st_.slots[0].cfg.name, ttl});
    },
    layer_get_atom::value, l->request.ns, l->request.key);
}

std::uint64_t router::start_load(const std::string& ns, const std::string& key, pending_load_ptr load) {
  const auto n = st_.loaders.size();
  auto worker = st_.next_loader++ % n;
  const auto rank = [this](std::size_t i) { return std::make_pair(st_.loader_overdue[i] > 0, st_.loader_busy[i]); };
  for (std::size_t k = 1; k < n; ++k) {
    const auto i = (worker + k) % n;
    if (rank(i) < rank(worker))
      worker = i;
  }
  ++st_.loader_busy[worker];
  const auto number = ++st_.last_load_number;
  st_.loads_in_hand.emplace(number, load_in_hand{worker, false, ns, key, std::move(load)});
  self_->send(st_.loaders[worker], load_atom::value, number, ns, key);
  return number;
}

void router::load_answered(std::uint64_t number, load_reply& reply) {
  auto it = st_.loads_in_hand.find(number);
  if (it == st_.loads_in_hand.end())
    return;
  auto in_hand = std::move(it->second);
  st_.loads_in_hand.erase(it);
  --st_.loader_busy[in_hand.worker];
  if (in_hand.overdue)
    --st_.loader_overdue[in_hand.worker];
  const auto& load = in_hand.load;
  end_prefetch_wait(*load);
  const auto id = make_id(in_hand.ns, in_hand.key);
  if (auto found = st_.loads.find(id); found != st_.loads.end() && found->second == load)
    st_.loads.erase(found);
  if (reply.code != status::ok && reply.code != status::not_found && !load->waiters.empty())
    log_failed_load(*load->waiters.front().lookup, reply);
  if (!load->superseded && (reply.code == status::not_found || (reply.code == status::ok && reply.value)))
    keep_for_lookups_out(id, *load, reply);
  if (reply.code == status::ok && reply.value && !load->superseded) {
    if (in_hand.overdue)
      advance_write_epoch(id); // a lookup in flight that read an older copy must not promote it over this
    // Numbered as the get it answers, for the debug log; a late one's as a request of its own.
    const auto request = load->waiters.empty() ? ++st_.requests : load->waiters.front().lookup->number;
    if (!load->missed && load->prefetch_for != no_layer)
      fill_prefetched(request, load->prefetch_for, in_hand.ns, in_hand.key, reply.value->value, reply.value->options);
    else
      fill(request, in_hand.ns, in_hand.key, *reply.value);
  }
  for (auto& waiter : load->waiters) {
    if (reply.code == status::ok && reply.value)
      finish(waiter.lookup, get_result{status::ok, reply.value->value, "loader", reply.value->options.ttl});
    else
      finish(waiter.lookup,
             get_result{reply.code == status::not_found ? waiter.lookup->failure : reply.code, {}, {}, {}});
  }
}

void router::load_timed_out(std::uint64_t number) {
  auto it = st_.loads_in_hand.find(number);
  if (it == st_.loads_in_hand.end())
    return;
  auto& in_hand = it->second;
  if (!in_hand.overdue) { // the first timer of a load is due loader_timeout after it started
    in_hand.overdue = true;
    ++st_.loader_overdue[in_hand.worker];
  }
  load_reply reply;
  reply.code = status::timeout;
  reply.error = "no answer from the loader within loader_timeout (" + std::to_string(st_.loader_timeout.count()) + " ms)";
  auto load = in_hand.load; // finishing a waiter may run a host callback: hold the load
  end_prefetch_wait(*load); // the cap is on prefetches within their timeout, as on requests
  const auto now = std::chrono::steady_clock::now();
  auto& waiters = load->waiters;
  const auto due_end = std::find_if(waiters.begin(), waiters.end(), [&](const load_waiter& w) { return w.due > now; });
  std::vector<load_waiter> due(std::make_move_iterator(waiters.begin()), std::make_move_iterator(due_end));
  waiters.erase(waiters.begin(), due_end);
  load->timer_set = !waiters.empty();
  if (load->timer_set)
    self_->delayed_send(self_, std::chrono::duration_cast<std::chrono::milliseconds>(waiters.front().due - now) +
                                 std::chrono::milliseconds(1),
                        load_timeout_atom::value, number);
  if (!due.empty())
    log_failed_load(*due.front().lookup, reply);
  for (auto& waiter : due)
    finish(waiter.lookup, get_result{status::timeout, {}, {}, {}});
}

void router::log_failed_load(const lookup& first, const load_reply& reply) {
  st_.log->write(log_level::warn, {"read-through load of '" + first.request.key.substr(0, 256) + "' (namespace '" +
                                     first.request.ns.substr(0, 256) + "') failed",
                                   {}, "load", to_string(reply.code), {}, std::to_string(first.number), reply.error});
}

void router::fill_prefetched(std::uint64_t request, std::size_t asking, const std::string& ns, const std::string& key,
                             const std::string& value, const entry_options& options) {
  auto data = std::make_shared<put_data>(put_data{ns, key, value, options});
  if (built_for(asking, put_prefetched_since_minor))
    put_unawaited(asking, request, data, layer_put_prefetched_atom::value);
  else
    put_unawaited(asking, request, data);
}

void router::fill(std::uint64_t request, const std::string& ns, const std::string& key, const loaded_value& value) {
  put_payload data = std::make_shared<put_data>(put_data{ns, key, value.value, value.options});
  for (std::size_t j = 0; j < st_.slots.size(); ++j)
    if (st_.slots[j].cfg.promote && !st_.slots[j].observer)
      put_unawaited(j, request, data);
}

bool router::built_for(std::size_t i, std::uint32_t minor) const {
  return st_.slots[i].recipe->plugin->descriptor->abi_minor >= minor;
}

void router::finish(const lookup_ptr& l, get_result result) {
  release_reader(l->id);
  l->request.done(std::move(result));
}

void router::release_reader(const std::string& id) {
  auto it = st_.activity.find(id);
  if (it != st_.activity.end() && --it->second.readers == 0)
    st_.activity.erase(it);
}

} // namespace strata::detail::coordination
