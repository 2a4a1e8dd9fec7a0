// Prefetch: a layer's request to have a key loaded ahead of a get.

#include "coordinator_router.hpp"

namespace strata::detail::coordination {

void router::prefetch(std::size_t asking, std::string& ns, std::string& key) {
  if (asking >= st_.slots.size() || st_.prefetches_in_flight >= max_prefetches_in_flight)
    return;
  auto l = std::make_shared<lookup>();
  l->id = make_id(ns, key);
  if (st_.loads.count(l->id) > 0)
    return;
  l->request.ns = std::move(ns);
  l->request.key = std::move(key);
  l->start_epoch = st_.write_epoch;
  l->number = ++st_.requests;
  ++st_.activity[l->id].readers;
  ++st_.prefetches_in_flight;
  prefetch_walk(l, asking, asking + 1);
}

void router::prefetch_walk(const lookup_ptr& l, std::size_t asking, std::size_t i) {
  if (i >= st_.slots.size())
    return prefetch_load(l, asking);
  if (st_.slots[i].observer) // it answers nothing (the diary): asked, it could only time out
    return prefetch_walk(l, asking, i + 1);
  ask(
    i, l->number, asked{operation::get, false},
    [this, l, asking, i, asked_at = std::chrono::steady_clock::now()](layer_reply& reply) {
      if (!reply.failed && reply.code == status::ok && sound_hit(i, l->number, reply.hit))
        return prefetched(l, asking, reply.hit.value, copy_meta(reply.hit.meta, asked_at));
      prefetch_walk(l, asking, i + 1);
    },
    layer_get_atom::value, l->request.ns, l->request.key);
}

void router::prefetch_load(const lookup_ptr& l, std::size_t asking) {
  if (!st_.loader || st_.loads.count(l->id) > 0 || !still_current(*l) || answer_of_load_meanwhile(*l)) {
    --st_.prefetches_in_flight;
    return release_reader(l->id);
  }
  auto& load = st_.loads[l->id];
  load = std::make_shared<pending_load>();
  load->started = std::chrono::steady_clock::now();
  load->prefetch_for = asking;
  load->counted_as_prefetch = true;
  load->number = start_load(l->request.ns, l->request.key, load);
  load->timer_set = true;
  self_->delayed_send(self_, st_.loader_timeout, load_timeout_atom::value, load->number);
  release_reader(l->id);
}

void router::prefetched(const lookup_ptr& l, std::size_t asking, const std::string& value,
                        const std::optional<entry_options>& options) {
  if (options && still_current(*l))
    fill_prefetched(l->number, asking, l->request.ns, l->request.key, value, *options);
  --st_.prefetches_in_flight;
  release_reader(l->id);
}

void router::end_prefetch_wait(pending_load& load) {
  if (!load.counted_as_prefetch)
    return;
  load.counted_as_prefetch = false;
  --st_.prefetches_in_flight;
}

} // namespace strata::detail::coordination
