#pragma once
// One FAISS index behind the engine. The engine numbers its entries by slot (a dense, reused
// number); a backend maps whatever FAISS returns (a position or a label) back to slots.

#include "index_config.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>

namespace strata::vector_index {

using slot_t = std::uint32_t;

/// Which slots a search may return. Called once per candidate FAISS looks at: keep it cheap.
class slot_filter {
public:
  virtual ~slot_filter() = default;
  virtual bool accepts(slot_t slot) const = 0;
};

/// A FAISS index holding (slot, vector) pairs. Not thread-safe: one thread uses one backend.
class backend {
public:
  virtual ~backend() = default;

  /// Adds `n` vectors (n * dimension floats) under the given slots.
  virtual void add(std::size_t n, const float* vectors, const slot_t* slots) = 0;

  /// Removes a slot's vector. Returns true when FAISS really removed it, false when it stays in
  /// the index as a tombstone (HNSW) that searches no longer return.
  virtual bool remove(slot_t slot) = 0;

  /// Searches `nq` queries; writes k distances and k slots per query (-1 where there are fewer
  /// than k accepted vectors). `effort` is efSearch for HNSW, nprobe for IVF; flat ignores it.
  virtual void search(std::size_t nq, const float* queries, std::size_t k, const slot_filter& filter,
                      std::size_t effort, float* distances, std::int64_t* slots) const = 0;

  /// Called by the engine's builder thread when a background build is complete, before the
  /// backend is handed over: may rearrange memory for searching (huge pages). Nothing by default.
  virtual void settle() {}

  /// Vectors in the index, tombstones included.
  virtual std::size_t stored() const = 0;
  virtual std::size_t tombstones() const = 0;
  /// Estimated memory held by the FAISS index (bytes).
  virtual std::size_t bytes() const = 0;
};

/// A backend of `config.kind`. When `needs_training(config)`, `train` holds `n_train` vectors to
/// train on (it must not be empty); IVF's list count is `config.nlist` or, when 0, chosen from
/// `n_train`.
std::unique_ptr<backend> make_backend(const index_config& config, const float* train,
                                      std::size_t n_train);

} // namespace strata::vector_index
