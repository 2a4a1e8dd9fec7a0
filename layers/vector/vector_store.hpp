#pragma once
// The vector layer's logic, without the plugin around it: entries with stable ids, one FAISS
// engine per embedding model (vectors of different models are never compared), namespaces and
// tags as search filters, TTL, a bound on the entry count.

#include "engine.hpp"

#include <strata/status.hpp>
#include <strata/vectors.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace strata::vector_layer {

struct store_options {
  /// Index type and parameters of every model's engine; the dimension comes from the first vector
  /// of each model.
  vector_index::index_config index;
  std::size_t max_entries = 1000000; ///< an add beyond this is `rejected`
  std::size_t max_k = 1000;          ///< a search asking for more is invalid
  /// A search batch asking for more hits in all (the sum of its queries' k) is invalid: its answer,
  /// metadata and all, grows with that sum, and the request that asks for it does not.
  std::size_t max_batch_hits = 10000;
};

/// One stored entry, as plain data: what a Store persists, and what rebuilds the index at start.
struct vector_entry {
  std::uint64_t id = 0;
  std::string ns;
  std::string model;
  std::vector<float> vector;
  std::string metadata;
  std::vector<std::string> tags;
  std::int64_t expires_at_ms = 0; ///< milliseconds since the epoch; 0: never
};

/// Totals over every model's engine.
struct store_counters {
  std::size_t entries = 0;
  std::size_t bytes = 0;        ///< engines (vectors, FAISS indexes) and the entries' metadata
  std::size_t tombstones = 0;
  std::uint64_t compactions = 0;
  std::uint64_t searches = 0;   ///< queries answered (a batch counts each query)
  std::uint64_t expired = 0;    ///< entries removed because their TTL ran out
  std::uint64_t invalidated = 0; ///< entries removed by a tag invalidation
};


/// The largest squared length of a vector: a quarter of the largest float, so that a squared
/// distance or an inner product of two vectors stays finite.
constexpr double max_squared_length = 3.4028234663852886e38 / 4;

/// Not thread-safe: the layer calls it from its actor (each engine may build in the background).
/// Bad input throws std::invalid_argument and changes nothing.
class vector_store {
public:
  using clock_ms = std::function<std::int64_t()>;

  /// Throws std::invalid_argument when the index configuration is invalid (checked with a
  /// placeholder dimension).
  explicit vector_store(store_options options, clock_ms now = {});

  /// `ok` with the id; `rejected` when the store is full; std::invalid_argument when the id is taken.
  status add(const vector_item& item, std::uint64_t& id_out);
  /// Every item or none: `rejected` when they do not fit; std::invalid_argument when an id is taken
  /// (or repeated).
  status add_batch(const std::vector<vector_item>& items, std::vector<std::uint64_t>& ids_out);
  /// The `query.k` closest live entries of the query's namespace, model and tags, best first.
  /// Scores are similarities: the inner product, or 1 - d²/2 for L2.
  status search(const vector_query& query, std::vector<vector_hit>& out);
  status search_batch(const std::vector<vector_query>& queries, std::vector<std::vector<vector_hit>>& out);
  /// Replaces vector (and model), metadata, tags and TTL of `item.id` in `item.ns`: `ok` or `not_found`.
  status update(const vector_item& item);
  /// `ok`, or `not_found` (also for an id of another namespace).
  status erase(std::string_view ns, std::uint64_t id);
  /// Takes back the add (or batch) that last succeeded, as if it had never come: its entries, the
  /// models it brought (no dimension stays fixed by it) and the ids it used up. Nothing is
  /// reported removed: for an add that never reached the file (its write failed), right after it.
  void take_back_last_add();
  /// Puts `entry` (as `find` gave it) back as it was, replacing what its id holds now, if
  /// anything: an erase or an update that the file did not take is undone, so that memory holds
  /// what the file does (the last update, to a model it brought, leaves no engine of that model
  /// when none of its entries is left). Nothing is reported removed.
  void put_back(const vector_entry& entry);
  /// Removes the entries of `ns` tagged `tag` (a scan of every entry); returns how many.
  std::size_t invalidate_tag(std::string_view ns, std::string_view tag);

  /// Removes the entries whose TTL ran out; every operation does this first.
  std::size_t purge_expired();
  /// Swaps in the engines' finished background builds (every operation does too).
  void poll();

  /// Loads persisted entries into an empty store (at start): expired ones are skipped, and new ids
  /// continue after the largest loaded and after `used_up_to` (the largest id given before, erased
  /// entries included). Returns how many were loaded. Throws
  /// std::invalid_argument, naming the id, on an entry that does not fit (a repeated id, a vector of
  /// another dimension than its model's).
  std::size_t restore(const std::vector<vector_entry>& entries, std::uint64_t used_up_to = 0);
  /// Called with the id of each entry erased, invalidated or expired (what a persistent copy deletes).
  void on_removed(std::function<void(std::uint64_t)> removed) { removed_ = std::move(removed); }

  std::optional<vector_entry> find(std::uint64_t id) const;
  std::size_t size() const;
  store_counters counters() const;

private:
  /// `add_batch` and `search_batch`; what a `batch` (of one too) refuses names its item ("item 2: ...").
  status add_items(const std::vector<vector_item>& items, std::vector<std::uint64_t>& ids_out, bool batch);
  status search_queries(const std::vector<vector_query>& queries, std::vector<std::vector<vector_hit>>& out,
                        bool batch);
  struct entry_meta {
    std::string ns;
    std::string model;
    std::string metadata;
    std::vector<std::string> tags;
    std::int64_t expires_at_ms = 0;
  };

  void check(const vector_item& item, const std::map<std::string, std::size_t>& new_models) const;
  /// All zeros under metric ip (an embedder's vector of a text without words): no direction.
  bool directionless(const std::vector<float>& values) const;
  vector_index::engine& engine_for(const std::string& model, std::size_t dimension);
  vector_index::engine* find_engine(const std::string& model) const;
  std::uint64_t next_free_id();
  std::int64_t expiry_of(const vector_item& item) const;
  void remember(std::uint64_t id, entry_meta meta);
  void forget(std::uint64_t id);
  void removed(std::uint64_t id);
  double similarity(float score) const;
  vector_hit hit_of(const vector_index::hit& h) const;

  /// What `take_back_last_add` undoes.
  struct add_done {
    std::vector<std::uint64_t> ids;
    std::vector<std::string> new_models;
    std::uint64_t first_free_id = 1; ///< `next_id_` before it
  };

  store_options options_;
  clock_ms now_;
  add_done last_add_;
  std::map<std::string, std::unique_ptr<vector_index::engine>> engines_; // by model
  std::string update_brought_; ///< the model whose engine the last update made; empty: none
  std::unordered_map<std::uint64_t, entry_meta> entries_;
  std::set<std::pair<std::int64_t, std::uint64_t>> expiries_; // (expires_at_ms, id)
  std::uint64_t next_id_ = 1;
  std::size_t meta_bytes_ = 0;
  std::uint64_t searches_ = 0;
  std::uint64_t expired_ = 0;
  std::uint64_t invalidated_ = 0;
  std::function<void(std::uint64_t)> removed_;
};

} // namespace strata::vector_layer
