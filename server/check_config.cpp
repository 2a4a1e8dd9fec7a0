#include "commands.hpp"

#include <strata/runtime.hpp>

#include <cctype>
#include <iostream>
#include <map>
#include <regex>
#include <string>
#include <string_view>

namespace strata::server {

namespace {

/// `text` with the password of a libpq connection string (`password=...`, or the `user:password@`
/// of a postgresql:// URI) and of a URL's `user:password@` replaced by "(hidden)".
std::string without_password(std::string text) {
  static const std::regex keyword(R"((password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s]+))", std::regex::icase);
  static const std::regex credentials(R"((://[^/:@\s]*:)[^@\s]*@)");
  text = std::regex_replace(text, keyword, "$1(hidden)");
  return std::regex_replace(text, credentials, "$1(hidden)@");
}

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

/// A plugin key named like a secret is shown only as set; in the others, a dsn's password and a
/// URL's credentials are hidden.
void hide_secrets(std::map<std::string, std::string>& settings) {
  for (auto& [key, value] : settings) {
    if (named_like_a_secret(key))
      value = value.empty() ? value : "(set, hidden)";
    else
      value = without_password(value);
  }
}

} // namespace

int check_config(const std::string& path) {
  auto report = check_config_file(path);
  if (!report.ok()) {
    std::cerr << report.errors_text();
    std::cerr << report.errors.size() << (report.errors.size() == 1 ? " error" : " errors") << " in " << path << "\n";
    return 1;
  }
  config shown = *report.effective;
  // The output lands in terminals and CI logs; the token is a secret. Saying that it is set is
  // enough to check that its ${VAR} expanded.
  if (!shown.server.http.token.empty())
    shown.server.http.token = "(set, hidden)";
  for (auto& layer : shown.layers)
    hide_secrets(layer.settings);
  for (auto* instances : {&shown.exporters, &shown.embedders, &shown.alerts.handlers})
    for (auto& instance : *instances)
      hide_secrets(instance.settings);
  std::cout << to_yaml(shown) << "\n";
  return 0;
}

} // namespace strata::server
