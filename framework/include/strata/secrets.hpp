#pragma once
// Hiding what a message quotes of credentials, before it lands in a log, a terminal or a CI log.

#include <string>

namespace strata {

/// `url` as a message or a printed configuration shows it: its user-info (`user:password@`) as
/// `(hidden)@`, its path and query as `/(path hidden)` (a chat service's webhook path is itself
/// the secret); a bare `/` is kept. Also for a URL that names no scheme, as a refused one may not.
/// Inline: plugins, which link nothing of the framework, quote URLs too.
inline std::string url_shown(const std::string& url) {
  const auto scheme_end = url.find("://");
  const auto authority_from = scheme_end == std::string::npos ? 0 : scheme_end + 3;
  const auto path = url.find_first_of("/?#", authority_from);
  auto authority = url.substr(authority_from, path == std::string::npos ? std::string::npos : path - authority_from);
  if (const auto at = authority.rfind('@'); at != std::string::npos)
    authority = "(hidden)" + authority.substr(at);
  auto shown = url.substr(0, authority_from) + authority;
  if (path != std::string::npos)
    shown += url.compare(path, std::string::npos, "/") == 0 ? "/" : "/(path hidden)";
  return shown;
}

/// `text` with the password of a libpq connection string (`password=...`, or the `user:password@`
/// of a postgresql:// URI) and of a URL's `user:password@` replaced by "(hidden)". What the
/// runtime logs of a configuration error passes through it (a plugin's refusal may quote a URL).
std::string without_password(std::string text);

} // namespace strata
