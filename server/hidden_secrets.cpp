#include "hidden_secrets.hpp"

#include <strata/ascii.hpp>
#include <strata/secrets.hpp>

#include <string_view>

namespace strata::server {

namespace {

/// Whether `key` is named like a secret: it ends, in any case, with token, password, secret, key
/// or credentials (`bearer_token`, `API_SECRET`, `api_key`).
bool named_like_a_secret(const std::string& name) {
  const auto key = ascii_lower(name);
  for (std::string_view suffix : {"token", "password", "secret", "key", "credentials"})
    if (key.size() >= suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0)
      return true;
  return false;
}

/// An http(s) URL as `url_shown` shows it; any other value (a file's path, a dsn) as it is.
std::string origin_only(const std::string& value) {
  const auto lower = ascii_lower(std::string_view(value).substr(0, 8));
  for (std::string_view scheme : {"http://", "https://"})
    if (lower.compare(0, scheme.size(), scheme) == 0)
      return url_shown(value);
  return value;
}

} // namespace

void hide_secrets(std::map<std::string, std::string>& settings) {
  for (auto& [key, value] : settings) {
    if (named_like_a_secret(key))
      value = value.empty() ? value : "(set, hidden)";
    else
      value = origin_only(without_password(value));
  }
}

} // namespace strata::server
