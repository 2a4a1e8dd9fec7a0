#include "lru_shadow.hpp"

namespace strata::predictive {

bool lru_shadow::read(std::uint64_t hash) {
  auto it = index_.find(hash);
  if (it == index_.end())
    return false;
  order_.splice(order_.begin(), order_, it->second);
  return true;
}

void lru_shadow::write(std::uint64_t hash, std::uint64_t charge) {
  erase(hash);
  if (charge > max_bytes_)
    return;
  while (!order_.empty() && (index_.size() + 1 > max_entries_ || bytes_ + charge > max_bytes_)) {
    bytes_ -= order_.back().second;
    if (evicted_ != nullptr) evicted_->push_back(order_.back().first);
    index_.erase(order_.back().first);
    order_.pop_back();
  }
  order_.emplace_front(hash, charge);
  index_.emplace(hash, order_.begin());
  bytes_ += charge;
}

void lru_shadow::erase(std::uint64_t hash) {
  auto it = index_.find(hash);
  if (it == index_.end())
    return;
  bytes_ -= it->second->second;
  order_.erase(it->second);
  index_.erase(it);
}

} // namespace strata::predictive
