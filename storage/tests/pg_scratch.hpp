#pragma once
// A PostgreSQL schema of one test's own on the test server (pg_env.hpp), dropped at the end, so
// that tests sharing the server do not see each other's tables. Needs libpqxx.

#include "pg_env.hpp"

#include <pqxx/pqxx>

#include <random>
#include <string>

namespace strata::test {

struct scratch_schema {
  /// Creates the schema `<prefix><random number>`.
  explicit scratch_schema(const std::string& prefix) : name(prefix + std::to_string(std::random_device{}())) {
    pqxx::connection c(pg_dsn());
    pqxx::nontransaction(c).exec("CREATE SCHEMA " + name);
    dsn = pg_dsn() + " options='-c search_path=" + name + "'";
  }
  ~scratch_schema() {
    try {
      pqxx::connection c(pg_dsn());
      pqxx::nontransaction(c).exec("DROP SCHEMA " + name + " CASCADE");
    } catch (...) {
    }
  }
  scratch_schema(const scratch_schema&) = delete;
  scratch_schema& operator=(const scratch_schema&) = delete;

  std::string name;
  std::string dsn; ///< the server's DSN with the schema as search_path
};

} // namespace strata::test
