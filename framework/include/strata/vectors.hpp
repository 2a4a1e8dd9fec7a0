#pragma once
/// @file vectors.hpp
/// The vector store: vectors with stable ids, searched by nearest neighbours. The request and
/// result types of `runtime::vector_*`, and the interface a layer implements to serve them
/// (returned by `layer::vectors()`, ABI 1.2).
///
/// As for the semantic API, the runtime embeds a text with the layer's embedder when no vector is
/// given, so a layer always receives vectors with their model id. Scores are similarities, higher
/// for closer vectors (see semantic.hpp). A search never crosses namespaces and never compares
/// vectors of different models.

#include <strata/embedder.hpp>
#include <strata/entry.hpp>
#include <strata/operation_result.hpp>
#include <strata/status.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

/// The largest semantic or vector id: 2^53 - 1, the largest integer a JSON number holds exactly,
/// so that every front end (HTTP's JSON, the Redis protocol) can name every id.
constexpr std::uint64_t max_entry_id = (std::uint64_t{1} << 53) - 1;

/// One vector and what is kept with it.
struct vector_item {
  std::string ns{default_namespace};
  /// add: 0 lets the layer choose a new id; any other value is used as is (`invalid` if taken).
  /// update: the id of the entry to replace.
  std::uint64_t id = 0;
  std::string text; ///< embedded by the runtime when `vector.values` is empty; not stored
  embedding vector;
  std::string metadata; ///< opaque to the store
  std::vector<std::string> tags;
  std::chrono::milliseconds ttl{0}; ///< zero: no expiry
};

/// A nearest-neighbour search in one namespace.
struct vector_query {
  std::string ns{default_namespace};
  std::string text; ///< embedded by the runtime when `vector.values` is empty
  embedding vector;
  std::size_t k = 10; ///< at most this many hits, best first
  /// Only entries carrying every one of these tags; empty: no tag filter.
  std::vector<std::string> tags;
};

/// One neighbour.
struct vector_hit {
  std::uint64_t id = 0;
  double score = 0;
  std::string metadata;
  std::vector<std::string> tags;
};

/// The answer to `runtime::vector_add`.
struct vector_add_result : operation_result {
  std::uint64_t id = 0;
};

/// The answer to `runtime::vector_add_batch`: ids in the order of the items (all or none added).
struct vector_batch_add_result : operation_result {
  std::vector<std::uint64_t> ids;
};

/// The answer to `runtime::vector_search`: `ok` with the hits, best first (possibly none).
struct vector_search_result : operation_result {
  std::vector<vector_hit> hits;
};

/// The answer to `runtime::vector_search_batch`: one list of hits per query, in order.
struct vector_batch_search_result : operation_result {
  std::vector<std::vector<vector_hit>> hits;
};

/// What a layer implements to serve the vector API. Called from the layer's actor, one call at a
/// time. Bad input (a dimension that differs from the model's vectors, a malformed id) is refused
/// by throwing std::invalid_argument: the request gets `invalid` with the message and the layer is
/// not restarted; any other exception counts as a fault of the layer.
class vector_operations {
public:
  virtual ~vector_operations() = default;

  /// Adds `item`; `id_out` receives its id.
  virtual status add(const vector_item& item, std::uint64_t& id_out) = 0;

  /// Adds every item or none; `ids_out` receives their ids in order. The default adds one by one
  /// and, when an add fails or throws, erases the ones it added before answering.
  virtual status add_batch(const std::vector<vector_item>& items, std::vector<std::uint64_t>& ids_out) {
    ids_out.clear();
    // All or none: an add that fails (or throws) takes back the ones before it.
    auto take_back = [&] {
      for (std::size_t i = 0; i < ids_out.size(); ++i)
        erase(items[i].ns, ids_out[i]);
      ids_out.clear();
    };
    for (const auto& item : items) {
      std::uint64_t id = 0;
      status s;
      try {
        s = add(item, id);
      } catch (...) {
        take_back();
        throw;
      }
      if (s != status::ok) {
        take_back();
        return s;
      }
      ids_out.push_back(id);
    }
    return status::ok;
  }

  /// The `query.k` nearest live entries of `query.ns` with the query's model and tags.
  virtual status search(const vector_query& query, std::vector<vector_hit>& out) = 0;

  /// One search per query; the default runs them one by one.
  virtual status search_batch(const std::vector<vector_query>& queries, std::vector<std::vector<vector_hit>>& out) {
    out.assign(queries.size(), {});
    for (std::size_t i = 0; i < queries.size(); ++i)
      if (const auto s = search(queries[i], out[i]); s != status::ok)
        return s;
    return status::ok;
  }

  /// Replaces the vector, metadata, tags and TTL of entry `item.id` (same id): `ok` or `not_found`.
  virtual status update(const vector_item& item) = 0;

  /// Removes entry `id` of namespace `ns`: `ok`, or `not_found`.
  virtual status erase(std::string_view ns, std::uint64_t id) = 0;
};

} // namespace strata
