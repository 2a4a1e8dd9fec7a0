#include "hidden_secrets.hpp"

#include <strata/secrets.hpp>

#include <cctype>
#include <string_view>

namespace strata::server {

namespace {

/// Whether `key` is named like a secret: it ends, in any case, with token, password, secret, key
/// or credentials (`bearer_token`, `API_SECRET`, `api_key`).
bool named_like_a_secret(std::string key) {
  for (auto& c : key)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view suffix : {"token", "password", "secret", "key", "credentials"})
    if (key.size() >= suffix.size() && key.compare(key.size() - suffix.size(), suffix.size(), suffix) == 0)
      return true;
  return false;
}

} // namespace

void hide_secrets(std::map<std::string, std::string>& settings) {
  for (auto& [key, value] : settings) {
    if (named_like_a_secret(key))
      value = value.empty() ? value : "(set, hidden)";
    else
      value = without_password(value);
  }
}

} // namespace strata::server
