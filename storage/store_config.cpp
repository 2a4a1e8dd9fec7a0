#include <strata/store_config.hpp>

#include <libpq-fe.h>

#include <memory>
#include <stdexcept>

namespace strata::storage {

namespace {

std::chrono::milliseconds to_ms(std::chrono::nanoseconds d) {
  return std::chrono::ceil<std::chrono::milliseconds>(d);
}

/// Refuses a connection string libpq cannot parse (an unknown option, a missing '='), without
/// connecting: a typo there would otherwise show only as an unreachable database at run time.
/// libpq's message about a connection string with what it quotes from the string hidden: the
/// token it could not read may be the password ("invalid percent-encoded token: \"pw%zz\""). An
/// option's name is kept ("invalid connection option \"hots\""), and so is the "=" it misses.
std::string without_quoted_values(const std::string& message) {
  const bool names_option = message.rfind("invalid connection option", 0) == 0;
  std::string out;
  std::size_t at = 0;
  for (;;) {
    const auto open = message.find('"', at);
    const auto close = open == std::string::npos ? std::string::npos : message.find('"', open + 1);
    if (close == std::string::npos)
      return out + message.substr(at);
    const auto quoted = message.substr(open + 1, close - open - 1);
    out += message.substr(at, open + 1 - at) + (names_option || quoted == "=" ? quoted : "(hidden)") + '"';
    at = close + 1;
  }
}

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
  throw std::invalid_argument("dsn: " + without_quoted_values(why));
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
