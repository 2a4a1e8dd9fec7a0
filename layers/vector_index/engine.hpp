#pragma once
// strata::vector_index::engine: a vector store on FAISS with stable ids, namespaces and tags,
// filtered k-nearest-neighbour search, real deletes where FAISS can, and tombstones compacted by a
// background rebuild where it cannot (HNSW). Plain C++ and FAISS; it knows nothing of Strata's
// runtime.
//
// Threads: an engine is used by one thread at a time (a layer calls it from its actor). It may run
// one background thread of its own, which builds a new FAISS index from a copy of the live vectors
// (IVF training, HNSW compaction) and replays the writes that arrived meanwhile; the calling thread
// replays the last of them, a bounded part per call, and swaps it in. Searches never wait for the
// build itself.

#include "index_config.hpp"

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace strata::vector_index {

class backend;

/// One stored vector and what searches filter on. Plain data: what a store persists.
struct record {
  std::uint64_t id = 0;
  std::string ns;
  std::vector<std::string> tags;
  std::vector<float> vector;
};

/// Which entries a search may return: those of namespace `ns` carrying every tag in `tags`.
struct query_filter {
  std::string ns;
  std::vector<std::string> tags;
};

/// A search result. `score` is the inner product (higher is closer) or the squared L2 distance
/// (lower is closer), by the engine's metric.
struct hit {
  std::uint64_t id = 0;
  float score = 0;
};

struct engine_stats {
  std::size_t entries = 0;     ///< live entries
  std::size_t stored = 0;      ///< vectors in the FAISS index, tombstones included
  std::size_t tombstones = 0;  ///< deleted or replaced vectors still in the index (HNSW)
  std::size_t bytes = 0;       ///< estimated memory: vectors, FAISS index, metadata
  std::uint64_t compactions = 0; ///< rebuilds that dropped tombstones
  std::uint64_t trainings = 0;   ///< trainings of IVF or HNSW on 8-bit codes (first and re-trainings)
  bool trained = true;          ///< false while such an engine answers by exact scan
  bool rebuilding = false;      ///< a background build is running
};

/// The writes made while a background build runs, by slot: the vector the slot holds now, or
/// none (empty) when it was removed. What the new index needs is each slot's last write.
using build_journal = std::unordered_map<std::uint32_t, std::vector<float>>;

class engine {
public:
  /// Throws std::invalid_argument when `validate(config)` finds a problem.
  explicit engine(index_config config);
  /// Stops a background build (it is abandoned) and joins its thread.
  ~engine();

  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  /// Adds one entry. Throws std::invalid_argument, changing nothing, when the id exists, the
  /// dimension is wrong, a component is not finite or the namespace is empty.
  void add(const record& entry);
  /// Adds all entries in one FAISS call, or none: any invalid entry (see add) or an id repeated
  /// in the batch throws std::invalid_argument and changes nothing.
  void add(const std::vector<record>& entries);

  /// Replaces the vector, namespace and tags of an existing id. False when the id is unknown.
  /// Throws std::invalid_argument, changing nothing, on an invalid entry.
  bool update(const record& entry);

  /// Deletes an id. False when it is unknown.
  bool erase(std::uint64_t id);

  /// The k closest entries that `filter` accepts, closest first. `query` has dimension floats.
  std::vector<hit> search(const float* query, std::size_t k, const query_filter& filter);
  /// `nq` queries (nq * dimension floats) in one FAISS call, one result list per query.
  std::vector<std::vector<hit>> search(const float* queries, std::size_t nq, std::size_t k,
                                       const query_filter& filter);

  /// The entry of `id`; its tags sorted, without repeats.
  std::optional<record> get(std::uint64_t id) const;
  bool contains(std::uint64_t id) const;
  std::size_t size() const;
  /// Live entries in one namespace.
  std::size_t size(const std::string& ns) const;
  engine_stats stats() const;
  const index_config& config() const;
  /// Changes the search-time parameters (HNSW efSearch, IVF nprobe) from the next search on.
  /// Throws std::invalid_argument on a value `validate` refuses.
  void set_search_effort(int ef_search, std::size_t nprobe);

  /// Starts a background rebuild now (drops tombstones; retrains IVF) unless one is running or
  /// there is nothing to build. Returns whether it started.
  bool compact();
  /// Replays up to 1024 of the writes a finished background build has not caught up with, and
  /// swaps it in once none is left. Every public call does this first; returns whether it swapped.
  bool poll();
  /// Blocks until no background build runs (and swaps it in). For tests and shutdown.
  void wait();

private:
  struct slot_info;
  struct namespace_info;
  class entry_filter;

  void check(const record& entry) const;
  std::uint32_t place(const record& entry);
  void release(std::uint32_t slot);
  std::uint32_t intern(const std::string& ns);
  const float* vector_of(std::uint32_t slot) const;
  void backend_add(std::size_t n, const std::uint32_t* slots);
  void backend_remove(std::uint32_t slot);
  /// The build is done and poll() replays what its builder left: writes go to the built index at
  /// once rather than into the journal, so the journal only shrinks, whatever the batches' size.
  bool handed_over() const { return building_ && !builder_.joinable() && built_backend_ != nullptr; }
  void maybe_rebuild();
  void start_rebuild(bool compaction);
  void exact_scan(const float* query, std::size_t k, const entry_filter& filter,
                  std::uint32_t ns_code, std::vector<hit>& out) const;
  bool closer(float a, float b) const;
  /// The metric's score of a slot's float vector.
  float exact_score(const float* query, std::uint32_t slot) const;
  /// Sorts `hits` best first and keeps k.
  void keep_best(std::size_t k, std::vector<hit>& hits) const;

  index_config config_;
  std::size_t dim_;
  std::vector<float> vectors_;            // slot * dim_ floats
  std::vector<slot_info> slots_;
  std::vector<std::uint32_t> free_slots_;
  std::unordered_map<std::uint64_t, std::uint32_t> by_id_;
  std::vector<namespace_info> namespaces_;
  std::vector<std::uint32_t> free_namespaces_;
  std::unordered_map<std::string, std::uint32_t> ns_codes_;
  std::size_t tag_bytes_ = 0; // strings of the live entries' tags, for stats().bytes

  std::unique_ptr<backend> backend_;      // null while an engine that needs training is untrained
  std::size_t trained_on_ = 0;            // vectors the current trained backend was trained on
  std::uint64_t compactions_ = 0;
  std::uint64_t trainings_ = 0;

  // Background build. The builder owns its snapshot; writes during the build are journaled under
  // journal_mutex_ (by slot: only a slot's last write matters, so the journal holds at most one
  // vector per slot however long the build takes) and replayed by the builder, the rest by poll();
  // once the builder is joined, writes reach the built index directly (handed_over()).
  std::thread builder_;
  std::atomic<bool> built_{false};
  std::atomic<bool> cancel_{false};
  bool building_ = false;
  bool building_compaction_ = false;
  std::size_t building_size_ = 0;
  std::unique_ptr<backend> built_backend_;
  std::mutex journal_mutex_;
  build_journal journal_;
};

} // namespace strata::vector_index
