#include "endpoint.hpp"

#include <strata/ascii.hpp>
#include <strata/secrets.hpp>

#include <cctype>
#include <stdexcept>

namespace strata::webhook {

namespace {

/// Quotes `url` as check-config shows it, and as the handler's logs name the origin only.
[[noreturn]] void refuse(const std::string& url, const std::string& why) {
  throw std::invalid_argument("url: '" + url_shown(url) + "' " + why);
}

/// Letters, digits and . - _ ~ (RFC 3986 unreserved), which covers names and IPv4 addresses.
bool valid_host_name(const std::string& host) {
  if (host.empty())
    return false;
  for (char c : host)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_' && c != '~')
      return false;
  return true;
}

bool valid_ipv6(const std::string& host) {
  if (host.size() < 3 || host.front() != '[' || host.back() != ']')
    return false;
  for (std::size_t i = 1; i + 1 < host.size(); ++i)
    if (!std::isxdigit(static_cast<unsigned char>(host[i])) && host[i] != ':' && host[i] != '.')
      return false;
  return true;
}

int parse_port(const std::string& url, const std::string& text) {
  if (text.empty() || text.size() > 5)
    refuse(url, "has no valid port: '" + text + "'");
  int port = 0;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c)))
      refuse(url, "has no valid port: '" + text + "'");
    port = port * 10 + (c - '0');
  }
  if (port < 1 || port > 65535)
    refuse(url, "has a port out of 1..65535: " + text);
  return port;
}

} // namespace

std::string endpoint::origin() const {
  return scheme + "://" + host + ':' + std::to_string(port);
}

endpoint parse_endpoint(const std::string& url) {
  for (char c : url)
    if (std::iscntrl(static_cast<unsigned char>(c)) || c == ' ')
      refuse(url, "contains a space or a control character");
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    refuse(url, "is not an absolute URL: expected http://host[:port]/path or https://...");
  endpoint e;
  e.scheme = ascii_lower(url.substr(0, scheme_end));
  if (e.scheme != "http" && e.scheme != "https")
    refuse(url, "has scheme '" + e.scheme + "': only http and https are supported");

  const auto rest = url.substr(scheme_end + 3);
  const auto authority_end = rest.find_first_of("/?#");
  const auto authority = rest.substr(0, authority_end);
  if (authority.find('@') != std::string::npos) // url_shown does not repeat them
    refuse(url, "carries credentials: put a token in bearer_token instead");

  // An IPv6 address is bracketed, so its colons are not the port's.
  const auto host_end = authority.rfind(']');
  const auto colon = authority.find(':', host_end == std::string::npos ? 0 : host_end);
  e.host = ascii_lower(authority.substr(0, colon));
  if (!valid_host_name(e.host) && !valid_ipv6(e.host))
    refuse(url, e.host.empty() ? "has no host" : "has an invalid host '" + e.host + "'");
  e.port = colon == std::string::npos ? (e.scheme == "https" ? 443 : 80)
                                      : parse_port(url, authority.substr(colon + 1));

  e.target = authority_end == std::string::npos ? "" : rest.substr(authority_end);
  e.target = e.target.substr(0, e.target.find('#'));
  if (e.target.empty() || e.target.front() != '/')
    e.target.insert(0, "/");
  return e;
}

} // namespace strata::webhook
