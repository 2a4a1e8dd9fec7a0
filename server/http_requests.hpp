#pragma once
// The request bodies and query parameters of the HTTP API, parsed and checked before anything
// reaches the runtime. No HTTP library here: the unit tests call these directly.

#include "api_error.hpp"

#include <strata/entry.hpp>
#include <strata/semantic.hpp>
#include <strata/vectors.hpp>
#include <strata/stats.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace strata::server {

/// A parsed request, or why it is refused (a 400 naming the field).
template <class T>
using parsed = std::variant<T, api_error>;

/// `PUT /v1/cache/{key}`: `{"value": string, "ttl": "30s" | milliseconds, "tags": [string], "ns": string}`.
struct put_request {
  std::string value;
  put_options options;
};

/// `POST /v1/invalidate`: `{"tag": string, "ns": string}`.
struct invalidate_request {
  std::string tag;
  request_options options;
};

/// Reads a PUT body. `value` is required; `ttl` (default: no expiry), `tags` and `ns` are not.
/// The namespace may also come from `?ns=` (`query_ns`); given both ways, they must agree.
parsed<put_request> parse_put_request(std::string_view body, const std::optional<std::string>& query_ns);

/// Reads an invalidation body; `tag` is required, the namespace as for a put.
parsed<invalidate_request> parse_invalidate_request(std::string_view body, const std::optional<std::string>& query_ns);

/// The namespace `?ns=` names, or the default one when absent; an empty one is refused.
parsed<std::string> parse_namespace(const std::optional<std::string>& query_ns);

/// `?window=minute|hour|day`; minute when absent.
parsed<stats_window> parse_window(const std::optional<std::string>& query_window);

/// `POST /v1/layers/{layer}/commands/{name}`: the arguments, a JSON object passed to the layer as
/// is; an empty body is `{}`.
parsed<std::string> parse_command_args(std::string_view body);

/// `POST /v1/alerts/{rule}/ack`: no body (blanks only), or `{}`. Refused as the other bodies are:
/// malformed JSON or no object as such, a field naming it.
parsed<std::monostate> parse_acknowledgement(std::string_view body);

// ---- semantic and vector requests ----
// A query is `"text"` (`"query"` for a semantic store), or `"vector"` (an array of numbers) with
// its `"model"`, or both. `"metadata"` is a string kept as is, or any other JSON value kept as its
// compact text. `"ttl"` and `"tags"` as for a put; the namespace as for a put. Ids are JSON
// integers from 1 to 2^53 - 1 (the integers a JSON double holds exactly); others are refused.

/// An id in a path (`/v1/semantic/{id}`): decimal digits, 1 to `max_entry_id`.
parsed<std::uint64_t> parse_id(std::string_view text);

/// `POST /v1/semantic/lookup`: `{"text", "vector", "model", "threshold": number -1..1, "ns"}`.
parsed<semantic_lookup_request> parse_semantic_lookup(std::string_view body, const std::optional<std::string>& query_ns);

/// `POST /v1/semantic`: `{"query", "vector", "model", "answer" (required), "metadata", "tags", "ttl", "ns"}`.
parsed<semantic_entry> parse_semantic_store(std::string_view body, const std::optional<std::string>& query_ns);

/// `PATCH /v1/semantic/{id}`: `{"answer", "metadata", "tags", "ttl", "ns"}`, at least one besides "ns".
parsed<semantic_update> parse_semantic_update(std::string_view body, const std::optional<std::string>& query_ns,
                                              std::uint64_t id);

/// `POST /v1/vectors`: `{"id", "text", "vector", "model", "metadata", "tags", "ttl", "ns"}`; without
/// "id" the layer chooses one.
parsed<vector_item> parse_vector_add(std::string_view body, const std::optional<std::string>& query_ns);

/// `PUT /v1/vectors/{id}`: as an add without "id"; replaces the entry's vector, metadata, tags and TTL.
parsed<vector_item> parse_vector_update(std::string_view body, const std::optional<std::string>& query_ns,
                                        std::uint64_t id);

/// `POST /v1/vectors/batch`: `{"items": [item, ...], "ns"}`, each item as an add without "ns";
/// errors name the item ("items[2].vector").
parsed<std::vector<vector_item>> parse_vector_batch(std::string_view body, const std::optional<std::string>& query_ns);

/// `POST /v1/vectors/search`: `{"text", "vector", "model", "k": integer >= 1 (default 10), "tags", "ns"}`.
parsed<vector_query> parse_vector_search(std::string_view body, const std::optional<std::string>& query_ns);

/// `POST /v1/vectors/search/batch`: `{"queries": [query, ...], "ns"}`, each query as a search without "ns".
parsed<std::vector<vector_query>> parse_vector_search_batch(std::string_view body,
                                                            const std::optional<std::string>& query_ns);

} // namespace strata::server
