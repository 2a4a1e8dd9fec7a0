#include <strata/store_config.hpp>

#include "connection_string.hpp"

#include <strata/ascii.hpp>

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <memory>
#include <stdexcept>

namespace strata::storage {

namespace {

std::chrono::milliseconds to_ms(std::chrono::nanoseconds d) {
  return std::chrono::ceil<std::chrono::milliseconds>(d);
}

/// Whether `dsn` may hold a password: `password=`, or a URI's `user:password@`.
bool may_hold_password(const std::string& dsn) {
  const auto lower = ascii_lower(dsn);
  if (lower.find("password") != std::string::npos)
    return true;
  if (lower.rfind("postgres://", 0) != 0 && lower.rfind("postgresql://", 0) != 0)
    return false;
  const auto authority = lower.find("://") + 3;
  const auto at = lower.find('@', authority);
  return at != std::string::npos && lower.find(':', authority) < at;
}

/// libpq's message about connection string `dsn` with what it quotes from the string hidden,
/// from the first '"' to the last, when the string may hold a password: the token it could not
/// read may be (part of) it ("invalid percent-encoded token: \"pw%zz\""). Otherwise libpq's own
/// words, which say what is wrong (`missing "=" after "nonsense"`).
std::string without_quoted_values(const std::string& message, const std::string& dsn) {
  if (!may_hold_password(dsn))
    return message;
  const auto open = message.find('"'), close = message.rfind('"');
  if (open == std::string::npos || close == open)
    return message;
  return message.substr(0, open + 1) + "(hidden)" + message.substr(close);
}

/// Refuses a connection string libpq cannot parse (an unknown option, a missing '='), without
/// connecting: a typo there would otherwise show only as an unreachable database at run time.
/// `origin` names where it came from, at the head of the reason ("dsn", a key placed in the file).
void check_dsn(const std::string& dsn, const std::string& origin) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfoParse(dsn.c_str(), &error),
                                                                         &PQconninfoFree);
  if (!options) {
    std::string why = error != nullptr ? error : "out of memory";
    PQfreemem(error);
    while (!why.empty() && (why.back() == '\n' || why.back() == ' '))
      why.pop_back();
    throw std::invalid_argument(origin + ": " + without_quoted_values(why, dsn));
  }
  // What libpq parses but can never connect with: told now, not as an unreachable database.
  for (const auto* o = options.get(); o->keyword != nullptr; ++o) {
    if (o->val == nullptr || *o->val == '\0')
      continue;
    const std::string keyword = o->keyword, value = o->val;
    if (keyword == "port") {
      // One port, or one per host ("5432,5433"); an empty one is the default port (a URI's host
      // without a port leaves one: postgresql://pg1,pg2/db is "," here), and spaces are allowed.
      for (std::size_t start = 0, end; start <= value.size(); start = end + 1) {
        end = std::min(value.find(',', start), value.size());
        auto port = value.substr(start, end - start);
        port.erase(0, port.find_first_not_of(' '));
        port.erase(port.find_last_not_of(' ') + 1);
        if (port.empty())
          continue;
        const auto digits = port.substr(std::min(port.find_first_not_of('0'), port.size() - 1));
        if (!std::all_of(port.begin(), port.end(), ::isdigit) || digits.size() > 5 || std::stoi(digits) < 1 ||
            std::stoi(digits) > 65535)
          throw std::invalid_argument(origin + ": port '" + value + "' is not a port number (1 to 65535)");
      }
    } else if (keyword == "sslmode") {
      static const char* const modes[] = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"};
      if (std::find(std::begin(modes), std::end(modes), value) == std::end(modes))
        throw std::invalid_argument(origin + ": sslmode '" + value +
                                    "' is not one of disable, allow, prefer, require, verify-ca, verify-full");
    }
  }
}

} // namespace

store_options store_options_from(const plugin_config& c) {
  store_options o;
  const auto& backend = c.get_string("backend");
  if (backend == "postgres")
    o.backend = dialect::postgres;
  else if (backend == "sqlite")
    o.backend = dialect::sqlite;
  else
    throw std::invalid_argument("backend: '" + backend + "' is neither postgres nor sqlite");
  o.dsn = c.get_string("dsn");
  if (o.backend == dialect::postgres) {
    // As open_store resolves it. Neither set is left to the start ("no connection string"):
    // check-config may run where the server's environment is not. The environment's is named as
    // such: a reason about it placed at `dsn`, a key the file does not have, sent the operator to
    // the wrong place (audit).
    if (const auto dsn = detail::connection_string_of(o.dsn); !dsn.text.empty())
      check_dsn(dsn.text, dsn.origin);
  }
  o.sqlite_path = c.get_string("sqlite_path");
  if (o.backend == dialect::sqlite && o.sqlite_path.empty())
    throw std::invalid_argument("sqlite_path: the sqlite backend needs a database file");
  o.pool_size = static_cast<std::size_t>(c.get_int("pool_size"));
  o.connect_timeout = to_ms(c.get_duration("connect_timeout"));
  o.statement_timeout = to_ms(c.get_duration("statement_timeout"));
  return o;
}

std::pair<std::chrono::milliseconds, std::chrono::milliseconds> retry_bounds_from(const plugin_config& c) {
  const auto least = to_ms(c.get_duration("retry_min")), most = to_ms(c.get_duration("retry_max"));
  if (most < least)
    throw std::invalid_argument("retry_max: " + std::to_string(most.count()) + " ms is less than retry_min (" +
                                std::to_string(least.count()) + " ms)");
  return {least, most};
}

} // namespace strata::storage
