#pragma once
// The shared backend: PostgreSQL through libpqxx 6.4. A small pool of connections, each preparing
// the registered statements before their first use; a connection that broke is dropped and
// replaced on the next call, so the store recovers by itself when the server comes back.

#include "statement_texts.hpp"

#include <strata/store.hpp>

#include <pqxx/connection>

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace strata::storage::detail {

class postgres_store : public store {
public:
  /// `dsn_origin` says where `options.dsn` came from ("dsn", "STRATA_PG_DSN"), for the error a
  /// connection the server refuses makes: the same string serves every request, so the operator
  /// needs to know which setting to mend.
  postgres_store(const store_options& options, std::string dsn_origin);
  ~postgres_store() override;

  storage::dialect dialect() const noexcept override { return dialect::postgres; }
  int migrate(const std::string& component, const std::vector<migration>& steps) override;
  int schema_version(const std::string& component) override;
  void prepare(const std::string& name, const std::string& sql) override;
  void transact(const std::function<void(session&)>& work) override;
  std::vector<row> query(std::string_view statement, const params& args) override;
  std::uint64_t execute(std::string_view statement, const params& args) override;
  void notify(const std::string& channel, const std::string& payload) override;
  std::unique_ptr<listener> listen(const std::string& channel) override;

  /// A connection of the pool, with the statements it has prepared.
  struct slot {
    std::unique_ptr<pqxx::connection> conn;
    std::set<std::string, std::less<>> prepared;
  };

  /// Prepares `name` on `s` when it has not yet.
  void ensure_prepared(slot& s, std::string_view name);

private:
  /// Runs `work` with a connection of the pool, in autocommit (`single`) or in a transaction.
  template <class Work>
  void with_connection(bool single, Work&& work);
  /// An idle slot with an open connection (a new one when the server closed the pool's, its schemas
  /// checked unless `check` is false: migrate() checks its own component, and says it for good).
  slot* acquire(bool check = true);
  void release(slot* s, bool broken);
  std::unique_ptr<pqxx::connection> connect() const;
  /// Throws `unavailable` when the database `conn` reaches holds a schema of a component this store
  /// migrated that is newer than the steps it knew: one restored or migrated by a newer build
  /// while the pool's connections were away, which no statement would otherwise notice.
  void check_schemas(pqxx::connection& conn);

  std::string dsn_;
  std::string dsn_origin_;
  std::string statement_timeout_ms_;
  std::string idle_in_transaction_timeout_ms_; ///< empty: not set
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<slot> slots_;
  std::vector<slot*> idle_;
  statement_texts sql_;
  std::map<std::string, int> migrated_; ///< by component: the last version its steps know; under mutex_
};

/// The connection string a store connects with: `dsn` with `connect_timeout` added when it names
/// none, and `fallback_application_name=strata`.
std::string connection_string_for(const std::string& dsn, std::chrono::milliseconds connect_timeout);

} // namespace strata::storage::detail
