#pragma once
/// @file semantic.hpp
/// The semantic cache: answers keyed by the meaning of a query. The request and result types of
/// `runtime::semantic_*`, and the interface a layer implements to serve them (returned by
/// `layer::semantic()`, ABI 1.2).
///
/// A query is a text, a vector with its model id, or both. The runtime embeds a text with the
/// embedder the layer names (`layers[i].embedder`) when no vector is given, so a layer always
/// receives a vector and its model id; the text travels along for the second-stage check. A
/// similarity score is higher for closer meanings: the inner product for `metric: ip` (the cosine
/// for unit vectors), and 1 - d²/2 for `metric: l2` (the same cosine for unit vectors).

#include <strata/embedder.hpp>
#include <strata/entry.hpp>
#include <strata/operation_result.hpp>
#include <strata/status.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

/// A lookup: the best stored entry of namespace `ns` whose vector has the same model id, if its
/// score reaches the threshold and it passes the second-stage check.
struct semantic_lookup_request {
  std::string ns{default_namespace};
  std::string text; ///< the query; may be empty when `vector` is given
  embedding vector; ///< host-supplied; when `values` is empty the runtime embeds `text`
  std::optional<double> threshold; ///< minimum score; none: the layer's configured threshold
};

/// The best candidate of a lookup.
struct semantic_match {
  std::uint64_t id = 0;  ///< the entry's id (for update and erase)
  double score = 0;      ///< its similarity to the query
  std::string query;     ///< the query it was stored under
  std::string answer;
  std::string metadata;
  std::vector<std::string> tags;
  std::string model;
  /// On a miss with a candidate: why it was not served ("threshold", "margin", "numbers",
  /// "negation", "order", "verifier"); empty on a hit and when the namespace holds nothing of that model.
  std::string rejected_by;
};

/// A new entry: `answer` served for queries that mean what `query` means.
struct semantic_entry {
  std::string ns{default_namespace};
  std::string query; ///< the question; may be empty when `vector` is given
  embedding vector;  ///< host-supplied; when `values` is empty the runtime embeds `query`
  std::string answer;
  std::string metadata;          ///< opaque to the cache (JSON, say)
  std::vector<std::string> tags;
  std::chrono::milliseconds ttl{0}; ///< zero: no expiry (the layer may still evict it)
};

/// Changes to an entry; unset fields keep their value.
struct semantic_update {
  std::string ns{default_namespace};
  std::uint64_t id = 0;
  std::optional<std::string> answer;
  std::optional<std::string> metadata;
  std::optional<std::vector<std::string>> tags;
  std::optional<std::chrono::milliseconds> ttl; ///< from now; zero: no expiry
};

/// The answer to `runtime::semantic_lookup`: `code` ok (a hit, `match` set) or not_found (a miss;
/// `match` describes the best candidate when there was one).
struct semantic_result : operation_result {
  semantic_match match;
};

/// The answer to `runtime::semantic_store`.
struct semantic_store_result : operation_result {
  std::uint64_t id = 0;
};

/// What a layer implements to serve the semantic API. Called from the layer's actor, one call at a
/// time, like the rest of the layer. A method refuses bad input (a vector whose dimension differs
/// from its model's entries) by throwing std::invalid_argument: the request gets `invalid` with the
/// message, and the layer is not restarted. Any other exception counts as a fault of the layer.
class semantic_operations {
public:
  virtual ~semantic_operations() = default;

  /// The best match above the threshold in `request.ns` among entries of `request.vector.model`:
  /// `ok` with `out` set, or `not_found` (with `out.score` and `out.rejected_by` describing the best
  /// candidate, if any). A model no entry of the namespace has is a miss, never a comparison.
  virtual status lookup(const semantic_lookup_request& request, semantic_match& out) = 0;

  /// Stores an entry; `id_out` receives its id. `rejected` when the layer declines it.
  virtual status store(const semantic_entry& entry, std::uint64_t& id_out) = 0;

  /// `ok`, or `not_found` when namespace `update.ns` holds no live entry `update.id`.
  virtual status update(const semantic_update& update) = 0;

  /// Removes entry `id` of namespace `ns`: `ok`, or `not_found`.
  virtual status erase(std::string_view ns, std::uint64_t id) = 0;
};

/// A second opinion of the host before a hit is served: false turns the hit into a miss (counted
/// with reason "verifier"). Called in the thread that receives the answer; must be thread-safe.
using semantic_verifier = std::function<bool(const semantic_lookup_request& request, const semantic_match& match)>;

} // namespace strata
