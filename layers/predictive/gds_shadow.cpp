#include "gds_shadow.hpp"

namespace strata::predictive {

void gds_shadow::stamp(const held& e) noexcept {
  const std::uint64_t charge = e.list->charge;
  e.priority = inflation_ + 1.0 / static_cast<double>(charge == 0 ? 1 : charge);
  e.tick = ++ticks_;
}

void gds_shadow::append(const held& e, std::uint64_t charge) {
  e.list = &lists_.try_emplace(charge, charge_list{charge}).first->second;
  stamp(e);
  e.prev = e.list->tail;
  e.next = nullptr;
  if (e.list->tail != nullptr) {
    e.list->tail->next = &e;
  } else {
    e.list->head = &e;
    heads_.insert(rank_of(e));
  }
  e.list->tail = &e;
}

void gds_shadow::unlink(const held& e) {
  charge_list& list = *e.list;
  if (list.head == &e) {
    heads_.erase(rank_of(e));
    if (e.next != nullptr) heads_.insert(rank_of(*e.next));
  }
  (e.prev != nullptr ? e.prev->next : list.head) = e.next;
  (e.next != nullptr ? e.next->prev : list.tail) = e.prev;
  if (list.head == nullptr) lists_.erase(list.charge);
}

bool gds_shadow::read(std::uint64_t hash) {
  auto it = index_.find(held{hash});
  if (it == index_.end())
    return false;
  const held& e = *it;
  charge_list& list = *e.list;
  // Moved to the end of its list in place, its head rank re-sorted in its own set node: a read
  // allocates nothing.
  const bool was_head = list.head == &e;
  decltype(heads_)::node_type head_node;
  if (was_head) head_node = heads_.extract(rank_of(e));
  if (list.tail != &e) {
    (e.prev != nullptr ? e.prev->next : list.head) = e.next;
    e.next->prev = e.prev;
    e.prev = list.tail;
    e.next = nullptr;
    list.tail->next = &e;
    list.tail = &e;
  }
  stamp(e);
  if (was_head) {
    head_node.value() = rank_of(*list.head);
    heads_.insert(std::move(head_node));
  }
  return true;
}

void gds_shadow::write(std::uint64_t hash, std::uint64_t charge) {
  erase(hash);
  if (charge > max_bytes_)
    return;
  while (!heads_.empty() && (index_.size() + 1 > max_entries_ || bytes_ + charge > max_bytes_)) {
    const held& victim = *lists_.at(std::get<2>(*heads_.begin())).head;
    inflation_ = victim.priority;
    bytes_ -= victim.list->charge;
    const std::uint64_t victim_hash = victim.hash;
    unlink(victim);
    index_.erase(held{victim_hash});
    if (evicted_ != nullptr) evicted_->push_back(victim_hash);
  }
  append(*index_.insert(held{hash}).first, charge);
  bytes_ += charge;
}

void gds_shadow::erase(std::uint64_t hash) {
  auto it = index_.find(held{hash});
  if (it == index_.end())
    return;
  bytes_ -= it->list->charge;
  unlink(*it);
  index_.erase(it);
}

} // namespace strata::predictive
