#pragma once
// What `strata check-config` and `strata serve` print of a deployment's settings without its
// secrets: they land in terminals and CI logs.

#include <map>
#include <string>

namespace strata::server {

/// A plugin key named like a secret (ending, in any case, with token, password, secret, key or
/// credentials) is shown only as set; in the others, a dsn's password and a URL's credentials are
/// hidden, and an http(s) URL's path and query (a webhook's path is often its secret).
void hide_secrets(std::map<std::string, std::string>& settings);

} // namespace strata::server
