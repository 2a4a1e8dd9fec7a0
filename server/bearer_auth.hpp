#pragma once
// The API's optional bearer token (`server.http.token`).

#include <string_view>

namespace strata::server {

/// True when `authorization`, the value of an Authorization header, is "Bearer <token>" (the
/// scheme in any case, as RFC 7235 has it). The comparison takes as long wherever the presented
/// token differs, so that timing does not reveal the token a byte at a time.
bool bearer_matches(std::string_view authorization, std::string_view token);

} // namespace strata::server
