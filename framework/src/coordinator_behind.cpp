// Writes behind: tracked until their layer applies them, sent again after a failure, dropped when superseded.

#include "coordinator_router.hpp"

namespace strata::detail::coordination {

std::size_t router::behind_charge(const std::string& key, const put_data& data) {
  std::size_t tags = 0;
  for (const auto& tag : data.options.tags)
    tags += tag.size() + 32;
  return key.size() + data.ns.size() + data.key.size() + data.value.size() + tags + 200;
}

std::string router::behind_key(std::size_t i, const std::string& id) {
  return std::to_string(i) + '|' + id;
}

void router::put_behind(std::size_t i, std::uint64_t number, const std::string& id, const put_payload& data,
                        bool expire, bool kept, std::function<void()> waiting) {
  const auto key = behind_key(i, id);
  const auto pending = st_.behind.find(key);
  if (expire && pending != st_.behind.end()) {
    // An EXPIRE over a write behind not taken yet: what it found may be the layer's own older
    // value (the layers above let theirs go). An erase of the key still to come stays; a put
    // goes as it is, with the EXPIRE's TTL (put_kept would set the TTL only where the layer
    // holds that value, the older one there, and be taken).
    if (pending->second.erase)
      return waiting ? waiting() : void();
    auto expiring = std::make_shared<put_data>(*pending->second.data);
    expiring->options.ttl = data->options.ttl;
    return track_behind(i, number, key, std::move(expiring), false, std::move(waiting));
  }
  if (pending == st_.behind.end() &&
      (st_.behind.size() >= max_behind_writes || st_.behind_bytes >= max_behind_bytes)) {
    if (!std::exchange(st_.behind_untracked_logged, true))
      st_.log->write(log_level::warn,
                     {"writes behind in flight or failing reach " + std::to_string(max_behind_writes) +
                        " or " + std::to_string(max_behind_bytes >> 20) + " MiB: those of further keys are sent "
                        "untracked, and one that fails leaves the layer its older value (said once)",
                      st_.slots[i].cfg.name, {}, {}, {}, {}, {}});
    kept ? put_unawaited(i, number, data, layer_put_kept_atom::value) : put_unawaited(i, number, data);
    return waiting ? waiting() : void();
  }
  track_behind(i, number, key, data, kept, std::move(waiting));
}

void router::track_behind(std::size_t i, std::uint64_t number, const std::string& key, put_payload data, bool kept,
                          std::function<void()> waiting) {
  forget_behind(key);
  st_.behind_bytes += behind_charge(key, *data);
  st_.behind.emplace(key, behind_write{i, number, std::move(data), kept, false, std::chrono::steady_clock::now()});
  send_behind(key, std::move(waiting));
}

void router::send_behind(const std::string& key, std::function<void()> waiting) {
  const auto& w = st_.behind.at(key);
  const auto i = w.slot;
  const auto number = w.number;
  const auto data = w.data;
  ++st_.slots[i].behind_in_flight;
  // The answer may come at once (no instance), and change the entry: nothing of it read after.
  auto answered = [this, i, key, number, waiting = std::move(waiting)](layer_reply& reply) {
    if (!(reply.failed && reply.code == status::timeout)) // else still in the layer's mailbox
      --st_.slots[i].behind_in_flight;
    if (waiting)
      waiting();
    behind_answered(key, number, reply);
  };
  const auto sent_before = st_.last_sent_number;
  if (w.erase)
    ask(i, number, operation::erase, answered, layer_erase_atom::value, data->ns, data->key);
  else if (w.kept)
    ask(i, number, operation::put, answered, layer_put_kept_atom::value, data);
  else
    ask(i, number, operation::put, answered, layer_put_atom::value, data);
  if (auto* awaited = sent_since(sent_before)) {
    erase_if_applied_late(*awaited, i, data);
    awaited->lost = [this, i, key, number] {
      --st_.slots[i].behind_in_flight;
      behind_lost(key, number);
    };
    awaited->late = [this, i, key, number](const layer_reply& reply) {
      --st_.slots[i].behind_in_flight;
      behind_settled(key, number, reply);
    };
  }
}

void router::behind_answered(const std::string& key, std::uint64_t number, const layer_reply& reply) {
  if (reply.failed && reply.code == status::timeout)
    return;
  behind_settled(key, number, reply);
}

void router::behind_settled(const std::string& key, std::uint64_t number, const layer_reply& reply) {
  if (reply.code == status::unavailable || (reply.code == status::timeout && !reply.failed))
    return behind_failed(key, number, reply.error.empty() ? std::string(to_string(reply.code)) : reply.error);
  behind_taken(key, number); // kept, declined (the layer then drops what it held), or given up
}

void router::behind_lost(const std::string& key, std::uint64_t number) {
  const auto it = st_.behind.find(key);
  if (it == st_.behind.end() || it->second.number != number)
    return;
  if (++it->second.lost < 3)
    return behind_failed(key, number, "its instance was replaced before it applied it");
  st_.log->write(log_level::error, {"a write behind was not applied by three instances in a row, each replaced "
                                    "as hung: not sent again; the layer may hold an older value for its key",
                                    st_.slots[it->second.slot].cfg.name, {}, {}, {}, {}, {}});
  forget_behind(key);
}

void router::behind_taken(const std::string& key, std::uint64_t number) {
  if (const auto it = st_.behind.find(key); it != st_.behind.end() && it->second.number == number)
    forget_behind(key);
}

void router::behind_failed(const std::string& key, std::uint64_t number, const std::string& why) {
  const auto it = st_.behind.find(key);
  if (it == st_.behind.end() || it->second.number != number)
    return;
  auto& w = it->second;
  auto& s = st_.slots[w.slot];
  const auto now = std::chrono::steady_clock::now();
  if (w.failures++ == 0 && s.behind_failing++ == 0 && !s.behind_failing_logged &&
      now - s.behind_failing_logged_at >= std::chrono::minutes(1)) {
    s.behind_failing_logged = true;
    s.behind_failing_logged_at = now;
    st_.log->write(log_level::warn, {"a write behind failed (" + why + "): sent again until the layer takes it, "
                                     "unless a later write of its key comes first (logged again when none is "
                                     "left; once a minute at most)",
                                     s.cfg.name, {}, {}, {}, {}, {}});
  }
  if (!s.actor) { // no instance: sent again when one starts
    s.behind_parked.emplace_back(key, number);
    return;
  }
  const auto wait = std::min<std::chrono::milliseconds>(std::chrono::milliseconds(100 << std::min(w.failures - 1, 6u)),
                                                        std::chrono::seconds(5));
  self_->delayed_send(self_, wait, behind_retry_atom::value, key, number);
}

void router::retry_behind(const std::string& key, std::uint64_t number) {
  const auto it = st_.behind.find(key);
  if (it == st_.behind.end() || it->second.number != number)
    return;
  auto& w = it->second;
  const auto ttl = w.data->options.ttl;
  if (!w.erase && ttl.count() > 0) {
    const auto left = ttl - std::chrono::ceil<std::chrono::milliseconds>(std::chrono::steady_clock::now() - w.written);
    if (left.count() <= 0) {
      w.erase = true;
    } else {
      auto shorter = std::make_shared<put_data>(*w.data);
      shorter->options.ttl = left;
      w.data = std::move(shorter);
      w.written = std::chrono::steady_clock::now();
    }
  }
  send_behind(key);
}

void router::forget_behind(const std::string& key) {
  const auto it = st_.behind.find(key);
  if (it == st_.behind.end())
    return;
  auto& s = st_.slots[it->second.slot];
  st_.behind_bytes -= behind_charge(key, *it->second.data);
  if (it->second.failures > 0 && --s.behind_failing == 0 && std::exchange(s.behind_failing_logged, false))
    st_.log->write(log_level::info, {"every write behind that failed is taken or replaced by a later write",
                                     s.cfg.name, {}, {}, {}, {}, {}});
  st_.behind.erase(it);
}

void router::erase_behind_tagged(const std::string& ns, const std::string& tag, std::size_t origin) {
  std::vector<std::string> gone;
  for (auto& [key, w] : st_.behind)
    if (w.data->ns == ns && std::find(w.data->options.tags.begin(), w.data->options.tags.end(), tag) !=
                              w.data->options.tags.end()) {
      if (w.slot == origin)
        gone.push_back(key);
      else
        w.erase = true;
    }
  for (const auto& key : gone)
    forget_behind(key);
}

} // namespace strata::detail::coordination
