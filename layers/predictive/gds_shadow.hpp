#pragma once
/// @file gds_shadow.hpp
/// What a GreedyDual-Size cache of the same bounds would have hit, kept beside the predictive
/// policy as its recency reference: with `adaptive_window` the policy holds what this shadow
/// holds while it hits more than a W-TinyLFU one.

#include <cstdint>
#include <set>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace strata::predictive {

/// GreedyDual-Size (Cao and Irani, 1997) with a cost of 1 per key, over key hashes and charges
/// only (no values), bounded like the shard it shadows. A key's priority is the inflation plus
/// 1 / its charge, set when it is written or read; the lowest priority is evicted first, the
/// least recent first among equals, and the inflation becomes the evicted priority. So recency
/// decides, with a small key outliving a large one of the same age: the object miss ratio is what
/// is judged. With equal charges every priority set at one inflation is the same and the
/// inflation never decreases, so this is exactly LRU.
///
/// Entries are kept in one list per charge, in the order their priorities were set: within one
/// charge that is priority order too, since the inflation never decreases. So the lowest priority
/// is the lowest of the lists' heads, which alone are kept sorted; a read moves its entry to the
/// end of its list and re-sorts only when that entry was its list's head. With few distinct
/// charges a read is a hash lookup and a splice, where a tree of every entry cost a re-insertion.
///
/// About 70 bytes per key it holds, and 100 more per distinct charge. Not thread-safe: its owner
/// (one shard) guards it.
class gds_shadow {
public:
  gds_shadow(std::uint64_t max_entries, std::uint64_t max_bytes) : max_entries_(max_entries), max_bytes_(max_bytes) {}
  gds_shadow(const gds_shadow&) = delete;
  gds_shadow& operator=(const gds_shadow&) = delete;

  /// A read of the key `hash`: whether the shadow holds it (its priority is then renewed).
  bool read(std::uint64_t hash);
  /// A write of `charge` bytes for `hash` (after a miss, or a put): the key gets a new priority
  /// with this charge, evicting the lowest priorities until it fits; one larger than the bound is
  /// not kept, as the store refuses it.
  void write(std::uint64_t hash, std::uint64_t charge);
  /// Forgets `hash` (the store erased or invalidated it).
  void erase(std::uint64_t hash);
  /// Whether the shadow holds `hash`, without touching it.
  bool holds(std::uint64_t hash) const { return index_.count(held{hash}) != 0; }
  /// Where `write` appends the hashes it evicts; null (the default) for nowhere.
  void report_evictions_to(std::vector<std::uint64_t>* sink) noexcept { evicted_ = sink; }
  std::uint64_t entries() const noexcept { return index_.size(); }

private:
  struct held;
  /// The entries of one charge, lowest priority first.
  struct charge_list {
    std::uint64_t charge;
    const held* head = nullptr;
    const held* tail = nullptr;
  };
  /// A key held: its hash is the index's key, its charge its list's. The rest changes in place
  /// (`mutable`: the index's elements are const only in their hash).
  struct held {
    std::uint64_t hash;
    mutable double priority = 0.0;
    mutable std::uint64_t tick = 0;     ///< order of the write or read that set the priority: the tie-break
    mutable const held* prev = nullptr; ///< towards its list's head (lower priority)
    mutable const held* next = nullptr;
    mutable charge_list* list = nullptr; ///< the list of its charge
  };
  struct hash_of {
    std::size_t operator()(const held& e) const noexcept { return std::hash<std::uint64_t>{}(e.hash); }
  };
  struct same_hash {
    bool operator()(const held& a, const held& b) const noexcept { return a.hash == b.hash; }
  };
  /// (priority, tick, charge) of each list's head: eviction order, first first.
  using head_rank = std::tuple<double, std::uint64_t, std::uint64_t>;

  static head_rank rank_of(const held& e) noexcept { return head_rank{e.priority, e.tick, e.list->charge}; }
  /// A fresh priority for `e`, set now.
  void stamp(const held& e) noexcept;
  /// Appends `e` to the list of `charge` with a fresh priority.
  void append(const held& e, std::uint64_t charge);
  /// Takes `e` out of its list, dropping the list when it empties.
  void unlink(const held& e);

  std::uint64_t max_entries_;
  std::uint64_t max_bytes_;
  std::uint64_t bytes_ = 0;
  double inflation_ = 0.0;
  std::uint64_t ticks_ = 0;
  std::unordered_set<held, hash_of, same_hash> index_; // node-based: a held never moves
  std::unordered_map<std::uint64_t, charge_list> lists_; // node-based too: `held::list` stays valid
  std::set<head_rank> heads_;
  std::vector<std::uint64_t>* evicted_ = nullptr;
};

} // namespace strata::predictive
