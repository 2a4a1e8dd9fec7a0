#pragma once
/// @file exact_store.hpp
/// The predictive layer's exact-match store: a sharded, bounded, namespaced in-memory LRU map
/// with TTL, tags and cost. Thread-safe; usable on its own (tests) or behind the
/// `predictive` layer plugin.

#include <strata/entry.hpp>
#include <strata/layer.hpp>
#include <strata/status.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace strata::predictive {

/// How a full shard chooses what to drop.
enum class eviction_policy {
  /// Least recently used first: exact, by last get or put.
  lru,
  /// W-TinyLFU, driven by a frequency sketch: a small admission window (LRU) in front of a
  /// segmented LRU main area (probation and protected); an entry leaving the window enters the
  /// main area only if the sketch says it is used more often per byte than the main-area victims
  /// that would make room for it, together.
  /// By default it holds what a GreedyDual-Size shadow (LRU when charges are equal) holds while
  /// that shadow hits more (`adaptive_window`).
  tinylfu,
};

/// Bounds and shape of an `exact_store`.
struct store_config {
  /// Total number of entries kept (split across shards).
  std::uint64_t max_entries = 100000;
  /// Total bytes charged (split across shards).
  std::uint64_t max_bytes = 64ull * 1024 * 1024;
  /// Number of independently locked shards; 1 gives an exact global LRU.
  std::size_t shards = 8;
  /// TTL applied to a put whose own TTL is zero; zero means such entries never expire.
  std::chrono::milliseconds default_ttl{0};
  /// What a full shard drops.
  eviction_policy policy = eviction_policy::lru;
  /// tinylfu: the W-TinyLFU admission window's share of the bounds (its shadow's too), 0..1.
  double window_fraction = 0.01;
  /// tinylfu: keep two shadows of the same bounds over key hashes and charges (a GreedyDual-Size,
  /// which is recency with small entries outliving large ones of the same age and exactly LRU
  /// when charges are equal, and a W-TinyLFU with `window_fraction`; about 160 bytes a key
  /// together, `strata-bench core`) and hold what the one that has hit more over all requests
  /// so far holds, by a margin and beyond chance: the GreedyDual-Size from the start, the
  /// W-TinyLFU once it leads. What the followed shadow evicts or rejects, the store drops; what
  /// it held before a change of leader and the new one does not hold is dropped first.
  /// On by default: W-TinyLFU alone can miss far more than LRU where recency is what predicts
  /// (1.73× on the LIRS paper's backf trace), and the follower stays within LRU's misses there.
  bool adaptive_window = true;
  /// tinylfu: a Bloom filter in front of the sketch, so that keys seen once cost no counter.
  bool doorkeeper = false;
};

/// A key → value store partitioned by namespace.
///
/// Sharding: an entry lives in the shard chosen by a hash of (ns, key). Each shard has its own
/// mutex, hash map, LRU list and tag index, and its own share of the bounds: shard i may hold
/// max_entries / shards entries and max_bytes / shards bytes (the remainder goes to the first
/// shards, so the shares add up to the totals; a share is at least 1). Eviction is therefore LRU
/// per shard; with `shards == 1` it is an exact global LRU by last access (get or put).
///
/// Charge: an entry charges `cost` bytes when its cost is non-zero, otherwise the sizes of its
/// namespace, key, value and tags plus `entry_overhead`.
///
/// Every method may be called concurrently from any number of threads.
class exact_store {
public:
  using clock = std::chrono::steady_clock;

  /// Bytes added to the measured size of an entry without a cost: roughly what a node, its map
  /// slot and its list links cost, so that many tiny entries cannot exceed memory unnoticed.
  static constexpr std::uint64_t entry_overhead = 64;

  /// Throws std::invalid_argument when a bound or the shard count is zero.
  explicit exact_store(const store_config& config);
  ~exact_store();
  exact_store(const exact_store&) = delete;
  exact_store& operator=(const exact_store&) = delete;

  /// Writes `key` → `value` in `ns`, replacing any existing entry and making it the most recently
  /// used (lru) or enters the admission window (tinylfu). Evicts until it fits: least recently
  /// used entries (lru), or what the tinylfu admission drops, which may be the new entry itself
  /// (still `ok`: the write happened and its entry was the least valuable). Returns `rejected`
  /// (evicting nothing, but dropping a previous value of the key, which is now stale) when the
  /// entry's charge alone exceeds the shard's byte share, and `invalid` for a negative TTL or a
  /// namespace or key of 4 GiB or more.
  status put(std::string_view ns, std::string_view key, std::string_view value,
             const entry_options& options);

  /// Writes what a prefetch loaded: as `put`, but not counted as an access of the key, and, when
  /// the key was absent, marked, so that its first hit counts as a used prefetch and its removal
  /// before any hit as a wasted one.
  status put_prefetched(std::string_view ns, std::string_view key, std::string_view value,
                        const entry_options& options);

  /// Whether a live entry for `key` is held, without counting an access or touching its order.
  bool contains(std::string_view ns, std::string_view key);

  /// Looks `key` up; on `ok` copies the value into `value_out` and marks the entry used.
  /// An expired entry is removed and reported as `not_found`. Allocates only for the copy.
  status get(std::string_view ns, std::string_view key, std::string& value_out);

  /// As above, and also returns the entry's tags, cost and remaining TTL (rounded up to whole
  /// milliseconds, at least 1 ms while live; zero when the entry does not expire).
  status get(std::string_view ns, std::string_view key, layer_hit& out);

  /// Removes `key` from `ns`: `ok` if a live entry was there, `not_found` otherwise.
  status erase(std::string_view ns, std::string_view key);

  /// Removes every entry of `ns` tagged `tag`; returns how many were removed.
  std::size_t invalidate_tag(std::string_view ns, std::string_view tag);

  /// Removes every entry that has expired at `now`; returns how many. Locks one shard at a time.
  std::size_t expire_some(clock::time_point now);

  /// `expire_some(clock::now())`.
  std::size_t purge_expired();

  /// Number of entries held (expired ones not yet removed included).
  std::uint64_t entries() const noexcept;
  /// Bytes charged by the entries held.
  std::uint64_t bytes() const noexcept;

  /// Entries evicted to make room (least recently used first).
  std::uint64_t evictions_capacity() const noexcept;
  /// Entries removed because their TTL ran out (on get, on put's eviction, or by expiry).
  std::uint64_t evictions_expired() const noexcept;
  /// Entries removed by `invalidate_tag`. An explicit `erase` or a replacement is not counted.
  std::uint64_t evictions_invalidated() const noexcept;

  /// tinylfu: entries that left the admission window and lost to the main area's victim (or a
  /// new entry that could not enter at all), so were dropped instead of a more frequent entry.
  std::uint64_t admissions_rejected() const noexcept;
  /// Prefetched entries read at least once.
  std::uint64_t prefetches_used() const noexcept;
  /// Prefetched entries removed (evicted, expired, erased, replaced) before any read.
  std::uint64_t prefetches_wasted() const noexcept;
  /// Prefetched entries written (by `put_prefetched`).
  std::uint64_t prefetches_filled() const noexcept;
  /// tinylfu: the admission window's current share of the bounds, averaged over the shards.
  double window_fraction() const noexcept;
  /// adaptive_window: how many times a shard changed the shadow its store follows, in all.
  std::uint64_t leader_changes() const noexcept;

  std::size_t shard_count() const noexcept { return shard_count_; }
  eviction_policy policy() const noexcept { return policy_; }

  /// What an entry with these fields charges against the byte bound.
  static std::uint64_t charge_of(std::string_view ns, std::string_view key, std::string_view value,
                                 const entry_options& options) noexcept;

private:
  struct shard;

  /// The shard of the key whose `hash_of(ns, key)` is `hash`.
  shard& shard_for(std::uint64_t hash) const noexcept;
  /// Adds up one counter over all shards.
  std::uint64_t sum(std::atomic<std::uint64_t> shard::*field) const noexcept;

  status insert_new(std::string_view ns, std::string_view key, std::string_view value,
                    const entry_options& options, bool prefetched);

  std::size_t shard_count_;
  std::unique_ptr<shard[]> shards_;
  std::chrono::milliseconds default_ttl_;
  eviction_policy policy_;
};

} // namespace strata::predictive
