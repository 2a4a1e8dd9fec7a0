#pragma once
// Which PostgreSQL connection string a store uses, and how messages name where it came from: the
// rule (an empty `dsn` is STRATA_PG_DSN's) is the store's and check-config's alike.

#include <cstdlib>
#include <string>

namespace strata::storage::detail {

struct connection_string {
  std::string text;   ///< empty when neither `dsn` nor STRATA_PG_DSN gives one
  std::string origin; ///< "dsn", or "STRATA_PG_DSN (dsn is empty)"
};

/// `dsn` when set, else STRATA_PG_DSN's.
inline connection_string connection_string_of(const std::string& dsn) {
  if (!dsn.empty())
    return {dsn, "dsn"};
  const char* env = std::getenv("STRATA_PG_DSN");
  return {env != nullptr ? env : "", "STRATA_PG_DSN (dsn is empty)"};
}

} // namespace strata::storage::detail
