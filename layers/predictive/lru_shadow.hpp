#pragma once
/// @file lru_shadow.hpp
/// What an LRU of the same bounds would have hit, kept beside the predictive policy as a
/// reference: with an adaptive window the policy follows LRU while this shadow hits more than a
/// W-TinyLFU one.

#include <cstdint>
#include <list>
#include <unordered_map>
#include <utility>
#include <vector>

namespace strata::predictive {

/// An LRU over key hashes and charges only (no values), bounded like the shard it shadows.
/// About 80 bytes per key it holds. Not thread-safe: its owner (one shard) guards it.
class lru_shadow {
public:
  lru_shadow(std::uint64_t max_entries, std::uint64_t max_bytes) : max_entries_(max_entries), max_bytes_(max_bytes) {}

  /// A read of the key `hash`: whether the LRU holds it (and it becomes most recent).
  bool read(std::uint64_t hash);

  /// A write of `charge` bytes for `hash` (after a miss, or a put): the key becomes most recent
  /// with this charge, evicting least recent keys until it fits; one larger than the bound is
  /// not kept, as the store refuses it.
  void write(std::uint64_t hash, std::uint64_t charge);

  /// Forgets `hash` (the store erased or invalidated it).
  void erase(std::uint64_t hash);

  /// Whether the LRU holds `hash`, without touching it.
  bool holds(std::uint64_t hash) const { return index_.count(hash) != 0; }

  /// Where `write` appends the hashes it evicts; null (the default) for nowhere.
  void report_evictions_to(std::vector<std::uint64_t>* sink) noexcept { evicted_ = sink; }

  std::uint64_t entries() const noexcept { return index_.size(); }

private:
  using order = std::list<std::pair<std::uint64_t, std::uint64_t>>; ///< (hash, charge), most recent first

  std::uint64_t max_entries_;
  std::uint64_t max_bytes_;
  std::uint64_t bytes_ = 0;
  order order_;
  std::unordered_map<std::uint64_t, order::iterator> index_;
  std::vector<std::uint64_t>* evicted_ = nullptr;
};

} // namespace strata::predictive
