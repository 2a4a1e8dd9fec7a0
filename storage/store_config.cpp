#include <strata/store_config.hpp>

#include <stdexcept>

namespace strata::storage {

namespace {

std::chrono::milliseconds to_ms(std::chrono::nanoseconds d) {
  return std::chrono::ceil<std::chrono::milliseconds>(d);
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
  o.sqlite_path = c.get_string("sqlite_path");
  if (o.backend == dialect::sqlite && o.sqlite_path.empty())
    throw std::invalid_argument("sqlite_path: the sqlite backend needs a database file");
  o.pool_size = static_cast<std::size_t>(c.get_int("pool_size"));
  o.connect_timeout = to_ms(c.get_duration("connect_timeout"));
  o.statement_timeout = to_ms(c.get_duration("statement_timeout"));
  return o;
}

} // namespace strata::storage
