#include <strata/store_config.hpp>

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <stdexcept>

namespace strata::storage {

namespace {

std::chrono::milliseconds to_ms(std::chrono::nanoseconds d) {
  return std::chrono::ceil<std::chrono::milliseconds>(d);
}

/// Whether `dsn` may hold a password: `password=`, or a URI's `user:password@`.
bool may_hold_password(const std::string& dsn) {
  std::string lower(dsn);
  std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
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
void check_dsn(const std::string& dsn) {
  char* error = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfoParse(dsn.c_str(), &error),
                                                                         &PQconninfoFree);
  if (options)
    return;
  std::string why = error != nullptr ? error : "out of memory";
  PQfreemem(error);
  while (!why.empty() && (why.back() == '\n' || why.back() == ' '))
    why.pop_back();
  throw std::invalid_argument("dsn: " + without_quoted_values(why, dsn));
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
  if (o.backend == dialect::postgres)
    check_dsn(o.dsn);
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
