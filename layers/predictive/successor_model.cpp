#include "successor_model.hpp"

#include <algorithm>
#include <stdexcept>

namespace strata::predictive {

successor_model::successor_model(std::size_t max_keys, std::size_t successors, std::uint32_t decay_after)
  : max_keys_(max_keys), successors_(successors), decay_after_(decay_after) {
  if (max_keys == 0 || successors == 0 || decay_after < 2)
    throw std::invalid_argument("successor_model: keys and successors must be at least 1, decay at least 2");
}

successor_model::source& successor_model::find_or_add(const std::string& from) {
  auto it = sources_.find(from);
  if (it != sources_.end()) {
    recency_.splice(recency_.begin(), recency_, it->second.age);
    return it->second;
  }
  if (sources_.size() >= max_keys_) {
    sources_.erase(recency_.back());
    recency_.pop_back();
  }
  recency_.push_front(from);
  auto& added = sources_[from];
  added.age = recency_.begin();
  added.next.reserve(successors_);
  return added;
}

void successor_model::observe(const std::string& from, const std::string& to) {
  if (from == to)
    return;
  source& s = find_or_add(from);
  ++s.total;
  auto slot = std::find_if(s.next.begin(), s.next.end(), [&](const successor& n) { return n.key == to; });
  if (slot != s.next.end()) {
    ++slot->count;
  } else if (s.next.size() < successors_) {
    s.next.push_back(successor{to, 1});
  } else {
    auto least = std::min_element(s.next.begin(), s.next.end(),
                                  [](const successor& a, const successor& b) { return a.count < b.count; });
    *least = successor{to, 1};
  }
  if (s.total >= decay_after_) {
    s.total /= 2;
    for (auto& n : s.next)
      n.count /= 2;
    s.next.erase(std::remove_if(s.next.begin(), s.next.end(), [](const successor& n) { return n.count == 0; }),
                 s.next.end());
  }
}

std::optional<successor_model::prediction> successor_model::predict(const std::string& from,
                                                                    std::uint32_t min_count) const {
  auto it = sources_.find(from);
  if (it == sources_.end() || it->second.next.empty() || it->second.total == 0)
    return std::nullopt;
  const auto& next = it->second.next;
  auto best = std::max_element(next.begin(), next.end(),
                               [](const successor& a, const successor& b) { return a.count < b.count; });
  if (best->count < min_count)
    return std::nullopt;
  return prediction{best->key, static_cast<double>(best->count) / static_cast<double>(it->second.total), best->count};
}

} // namespace strata::predictive
