#pragma once
// The routes of the HTTP/JSON API: cache entries, tag invalidation, semantic entries and vectors
// (http_semantic.hpp), stats, health, metrics, alerts and the dashboard; the bearer token, the body limit, and a JSON error for everything
// refused.

#include <strata/config.hpp>

namespace httplib {
class Server;
}

namespace strata {
class runtime;
}

namespace strata::server {

/// Registers every route, the token check and the error bodies on `server`, answering from `rt`
/// under `settings`. `rt` must outlive the server's last request.
void install_http_api(httplib::Server& server, runtime& rt, const http_settings& settings);

} // namespace strata::server
