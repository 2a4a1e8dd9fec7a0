#pragma once
// The request bodies and query parameters of the HTTP API, parsed and checked before anything
// reaches the runtime. No HTTP library here: the unit tests call these directly.

#include "api_error.hpp"

#include <strata/entry.hpp>
#include <strata/stats.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>

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

} // namespace strata::server
