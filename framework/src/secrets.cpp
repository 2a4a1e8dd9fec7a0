#include <strata/secrets.hpp>

#include <regex>

namespace strata {

std::string without_password(std::string text) {
  // `password`, or a name ending so (libpq's `sslpassword`, an application's `db_password`).
  static const std::regex keyword(R"((^|[^?&\w])(\w*password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s]+))", std::regex::icase);
  // In a URL's query the value ends at the next parameter.
  static const std::regex parameter(R"(([?&]\w*password=)[^&\s]*)", std::regex::icase);
  // The password ends at the last '@' before the path (one written unencoded may hold an '@', a
  // '?' or a '#' itself; libpq reads it to the '@').
  static const std::regex credentials(R"((://[^/:@\s]*:)[^\s/]*@)");
  text = std::regex_replace(text, keyword, "$1$2(hidden)");
  text = std::regex_replace(text, parameter, "$1(hidden)");
  return std::regex_replace(text, credentials, "$1(hidden)@");
}

} // namespace strata
