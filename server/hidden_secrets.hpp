#pragma once
// What `strata check-config` and `strata serve` print of a deployment without its secrets: they
// land in terminals and CI logs.

#include <map>
#include <string>

namespace strata::server {

/// `text` with the password of a libpq connection string (`password=...`, or the `user:password@`
/// of a postgresql:// URI) and of a URL's `user:password@` replaced by "(hidden)".
std::string without_password(std::string text);

/// A plugin key named like a secret (ending, in any case, with token, password, secret, key or
/// credentials) is shown only as set; in the others, a dsn's password and a URL's credentials are
/// hidden.
void hide_secrets(std::map<std::string, std::string>& settings);

} // namespace strata::server
