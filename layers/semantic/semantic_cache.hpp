#pragma once
// The semantic cache's logic, without the plugin around it: entries keyed by the meaning of their
// query, one FAISS engine (strata::vector_index) per embedding model, namespaces as a search filter,
// expiry, a bound on entries and bytes with least-recently-used eviction, and the second-stage
// check before a hit is served. Used from one thread at a time (the layer's actor).

#include "second_stage.hpp"

#include <engine.hpp>
#include <index_config.hpp>
#include <strata/semantic.hpp>

#include <cstdint>
#include <functional>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace strata::semantic_layer {

/// One entry as a store persists it: plain data, every field serialisable.
struct semantic_record {
  std::uint64_t id = 0;
  std::string ns;
  std::string model;          ///< the embedding model of `vector`
  std::vector<float> vector;
  std::string query;
  std::string answer;
  std::string metadata;
  std::vector<std::string> tags;
  std::int64_t expires_at_ms = 0; ///< wall-clock milliseconds since the epoch; 0: never
};

struct cache_options {
  /// The index each model's engine builds; `dimension` is taken from the model's first vector.
  vector_index::index_config index;
  double threshold = 0.8;        ///< default minimum score of a hit
  std::size_t candidates = 8;    ///< neighbours a lookup examines (for the runner-up and expiry)
  std::size_t max_entries = 100000;
  std::uint64_t max_bytes = 256ull << 20;
  std::int64_t default_ttl_ms = 0; ///< for entries stored without a TTL; 0: none
  check_options check;
};

/// Why entries left the cache.
enum class removal { capacity, expired, invalidated };

/// What the cache reports as it works (for the layer's metrics); every member may be empty.
struct cache_events {
  std::function<void(removal, std::size_t)> removed;
  std::function<void(const std::string& reason)> rejected; ///< a candidate above the threshold refused
  std::function<void(double)> scored;                      ///< the best candidate's score of a lookup
  std::function<void(std::uint64_t)> dropped; ///< an entry left, for any reason (what a persistent copy deletes)
};

class semantic_cache {
public:
  using now_fn = std::function<std::int64_t()>; ///< wall-clock milliseconds

  /// Throws std::invalid_argument when the index options are not usable.
  explicit semantic_cache(cache_options options, cache_events events = {}, now_fn now = {});
  ~semantic_cache();

  /// See strata::semantic_operations::lookup.
  status lookup(const semantic_lookup_request& request, semantic_match& out);

  /// Stores an entry (replacing one of the same namespace and query text) and returns its id;
  /// none when it alone is charged more than max_bytes (it would evict everything else, then
  /// itself): the entry it replaces is dropped all the same, since its answer is now stale.
  /// Throws std::invalid_argument on a vector without model or of the wrong dimension. Then the
  /// least recently used entries beyond the bounds are evicted, unless `evict` is false: a store
  /// that may still be taken back (its write to a file pending) evicts nothing until it stands,
  /// and its caller calls `enforce_bounds` then.
  std::optional<std::uint64_t> store(const semantic_entry& entry, bool evict = true);
  /// Evicts the least recently used entries beyond the bounds.
  void enforce_bounds();

  /// `ok`; `not_found` when the namespace has no live entry with that id; `rejected` when the
  /// updated entry alone would be charged more than max_bytes: the entry is dropped (its old
  /// answer is stale) and nothing else is.
  status update(const semantic_update& update);
  bool erase(std::string_view ns, std::uint64_t id);
  /// Takes back the store that last succeeded, as if it had never come: its entry, the model it
  /// brought (no dimension stays fixed by it) and its id. For a store that never reached the file
  /// (its write failed), right after it.
  void take_back_last_store();

  /// The live entry stored under exactly `query` in `ns`, or null; without its vector.
  const semantic_record* exact(std::string_view ns, std::string_view query);
  /// Removes the entry stored under exactly `query`; whether there was one.
  bool erase_query(std::string_view ns, std::string_view query);
  /// Removes the entries of `ns` tagged `tag`; how many.
  std::size_t invalidate_tag(std::string_view ns, std::string_view tag);
  /// Removes expired entries; how many.
  std::size_t purge_expired();

  /// Loads persisted records into an empty cache (at start): expired ones are skipped, the bounds
  /// are enforced, and new ids continue after the largest loaded and after `used_up_to` (the largest
  /// id given before, erased entries included). Returns how many are kept. Throws
  /// std::invalid_argument, naming the id, on a record that does not fit.
  std::size_t restore(std::vector<semantic_record> records, std::uint64_t used_up_to = 0);

  /// A copy of the entry `id`, live or not yet purged, with its vector; none when there is none.
  std::optional<semantic_record> find(std::uint64_t id) const;

  /// Puts `record` (as `find` gave it) back as it was, replacing what its id holds now (removed as
  /// any entry is: a `dropped` event): a removal or an update that the file did not take is
  /// undone, so that memory holds what the file does. The bounds are not enforced (it held its
  /// room before).
  void put_back(semantic_record record);

  std::size_t size() const noexcept { return entries_.size(); }
  std::uint64_t bytes() const noexcept { return bytes_; }
  /// Every live entry (what a store persists).
  std::vector<semantic_record> records() const;

private:
  struct entry {
    semantic_record record; ///< without its vector, which the model's engine holds (vector_of)
    std::uint64_t charged = 0;
    std::list<std::uint64_t>::iterator lru; ///< position in `lru_` (front: most recent)
  };

  vector_index::engine& engine_for(const std::string& model, std::size_t dimension);
  vector_index::engine* find_engine(const std::string& model);
  entry* live(std::string_view ns, std::uint64_t id);
  /// The vector of an entry held: its engine's copy (an entry keeps none of its own: a third copy
  /// of every vector was a third of the layer's memory).
  std::vector<float> vector_of(const semantic_record& r) const;
  void remove(std::uint64_t id, removal why, bool report);
  void insert(semantic_record record);
  /// What `e` would be charged once `update` is applied.
  static std::uint64_t updated_charge(const entry& e, const semantic_update& update);
  double similarity(float raw) const;
  std::int64_t expiry_for(std::chrono::milliseconds ttl) const;
  /// When an entry given `ttl_ms` from now expires, in wall-clock milliseconds; 0: never.
  std::int64_t expiry_after(std::int64_t ttl_ms) const;
  static std::string query_key(std::string_view ns, std::string_view query);

  cache_options options_;
  cache_events events_;
  now_fn now_;
  std::map<std::string, std::unique_ptr<vector_index::engine>> engines_; ///< by model id
  std::unordered_map<std::uint64_t, entry> entries_;
  std::unordered_map<std::string, std::uint64_t> by_query_; ///< ns '\0' query -> id
  std::list<std::uint64_t> lru_;
  std::uint64_t bytes_ = 0;
  std::uint64_t next_id_ = 1;
  /// What `take_back_last_store` undoes: the entry's id, and its model when the store brought it.
  struct store_done {
    std::uint64_t id = 0;
    std::string new_model;
  };
  store_done last_store_;
};

} // namespace strata::semantic_layer
