#include "gds_shadow.hpp"

namespace strata::predictive {

gds_shadow::rank gds_shadow::rank_for(std::uint64_t hash, std::uint64_t charge) noexcept {
  return rank{inflation_ + 1.0 / static_cast<double>(charge == 0 ? 1 : charge), ++ticks_, hash};
}

bool gds_shadow::read(std::uint64_t hash) {
  auto it = index_.find(hash);
  if (it == index_.end())
    return false;
  // Re-ranked in its own set node: a read allocates nothing.
  auto node = order_.extract(it->second.at);
  node.value() = rank_for(hash, it->second.charge);
  it->second.at = order_.insert(std::move(node)).position;
  return true;
}

void gds_shadow::write(std::uint64_t hash, std::uint64_t charge) {
  erase(hash);
  if (charge > max_bytes_)
    return;
  while (!order_.empty() && (index_.size() + 1 > max_entries_ || bytes_ + charge > max_bytes_)) {
    const auto lowest = order_.begin();
    const std::uint64_t victim = std::get<2>(*lowest);
    inflation_ = std::get<0>(*lowest);
    auto it = index_.find(victim);
    bytes_ -= it->second.charge;
    index_.erase(it);
    order_.erase(lowest);
    if (evicted_ != nullptr) evicted_->push_back(victim);
  }
  index_.emplace(hash, held{order_.insert(rank_for(hash, charge)).first, charge});
  bytes_ += charge;
}

void gds_shadow::erase(std::uint64_t hash) {
  auto it = index_.find(hash);
  if (it == index_.end())
    return;
  bytes_ -= it->second.charge;
  order_.erase(it->second.at);
  index_.erase(it);
}

} // namespace strata::predictive
