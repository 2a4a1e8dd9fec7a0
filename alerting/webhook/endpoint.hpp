#pragma once
/// @file endpoint.hpp
/// Where the webhook posts: the parts of its `url` setting.

#include <string>

namespace strata::webhook {

struct endpoint {
  std::string scheme; ///< http or https
  std::string host;   ///< a name, an IPv4 address, or an IPv6 address in brackets
  int port = 0;       ///< given, or 80 / 443
  std::string target; ///< path and query, at least "/"

  /// scheme://host:port: what the HTTP client connects to, and what messages may show (the
  /// target may hold a secret, as the paths of chat webhooks do).
  std::string origin() const;
};

/// Parses `http[s]://host[:port][/path][?query]`; a fragment is dropped (it is never sent).
/// Throws std::invalid_argument naming `url` and what is wrong with it.
endpoint parse_endpoint(const std::string& url);

} // namespace strata::webhook
