#pragma once
/// @file store.hpp
/// The Store: what the layers that keep data outside the process (global, diary, semantic, vector)
/// need of a database, with two backends in libstrata_store.so: SQLite (embedded, one file, WAL)
/// and PostgreSQL (libpqxx, a small connection pool, LISTEN/NOTIFY).
///
/// Statements are registered once by name with constant SQL text and run with typed parameters;
/// there is no call that takes SQL built at run time. Placeholders are `$1`, `$2`, ... in both
/// dialects. Every call may throw `store_error`; its `code()` tells a lost or refused connection
/// (`unavailable`, `timeout`: retry later) from a bad statement or constraint (`invalid`).
/// A store is safe to call from several threads.

#include <strata/status.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace strata::storage {

/// Raw bytes (SQLite BLOB, PostgreSQL BYTEA), kept apart from text.
struct blob {
  std::string bytes;
};

/// One parameter or column value: NULL, a 64-bit integer, a double, text or bytes.
using value = std::variant<std::monostate, std::int64_t, double, std::string, blob>;

/// The parameters of one statement, `$1` first.
using params = std::vector<value>;

/// One result row. Accessors convert between integer, real and text where that is lossless
/// enough for a column read back (PostgreSQL NUMERIC, a SQLite column without affinity); they
/// throw `store_error` (`invalid`) for an index out of range or a value of another kind.
class row {
public:
  row() = default;
  explicit row(std::vector<value> values) : values_(std::move(values)) {}

  std::size_t size() const noexcept { return values_.size(); }
  const value& at(std::size_t i) const;
  bool is_null(std::size_t i) const { return std::holds_alternative<std::monostate>(at(i)); }
  std::int64_t integer(std::size_t i) const;
  double real(std::size_t i) const;
  /// Text, or the bytes of a blob.
  std::string text(std::size_t i) const;

private:
  std::vector<value> values_;
};

/// A failure of the store; `code()` is `unavailable` or `timeout` when retrying later may help.
class store_error : public std::runtime_error {
public:
  store_error(status code, const std::string& what) : std::runtime_error(what), code_(code) {}
  status code() const noexcept { return code_; }

private:
  status code_;
};

enum class dialect { sqlite, postgres };

/// One step of a component's schema. `version` counts from 1; the SQL is constant DDL, one
/// statement per string, in the dialect of each backend; a step still to apply with none for the
/// backend it runs on is refused (`invalid`), since it would be recorded as applied (a step for one
/// backend only gives the other `SELECT 1`).
struct migration {
  int version = 0;
  std::string description;
  std::vector<std::string> sqlite;
  std::vector<std::string> postgres;
};

/// The statements of one transaction.
class session {
public:
  virtual ~session() = default;
  virtual std::vector<row> query(std::string_view statement, const params& args = {}) = 0;
  /// Returns the number of rows changed.
  virtual std::uint64_t execute(std::string_view statement, const params& args = {}) = 0;
};

/// A message received on a channel (PostgreSQL NOTIFY).
struct notification {
  std::string channel;
  std::string payload;
};

/// A connection of its own that receives the notifications of one channel.
class listener {
public:
  virtual ~listener() = default;
  /// Waits up to `timeout` for notifications; returns those that arrived (possibly none). Throws
  /// `store_error` (`unavailable`) when the connection is lost: open a new listener.
  virtual std::vector<notification> wait(std::chrono::milliseconds timeout) = 0;
};

class store {
public:
  virtual ~store() = default;

  virtual storage::dialect dialect() const noexcept = 0;

  /// Whether `text` can be a text parameter as it is: any bytes in SQLite; in PostgreSQL, UTF-8
  /// without a NUL byte (a NUL would cut the text short, and other bytes are refused).
  bool holds_text(std::string_view text) const noexcept;

  /// Brings `component`'s schema to the last of `steps` (sorted by version), each step in the
  /// transaction that records its version; several processes may migrate at once. Returns the
  /// version. Throws `invalid` when the database holds a newer version than `steps` knows.
  virtual int migrate(const std::string& component, const std::vector<migration>& steps) = 0;

  /// The schema version recorded for `component`; 0 when it has none.
  virtual int schema_version(const std::string& component) = 0;

  /// Registers `sql` (constant text, `$n` placeholders) as statement `name`; every connection
  /// prepares it before its first use. Registering a name twice with other text is `invalid`.
  virtual void prepare(const std::string& name, const std::string& sql) = 0;

  /// Runs `work` in one transaction: committed when it returns, rolled back when it throws.
  virtual void transact(const std::function<void(session&)>& work) = 0;

  /// One statement on its own (atomic by itself; PostgreSQL runs it without BEGIN and COMMIT,
  /// which saves two round trips).
  virtual std::vector<row> query(std::string_view statement, const params& args = {});
  virtual std::uint64_t execute(std::string_view statement, const params& args = {});
  /// One statement per element of `batch`, all in one transaction.
  void execute_batch(std::string_view statement, const std::vector<params>& batch);

  /// Sends `payload` on `channel` (PostgreSQL: pg_notify; SQLite: nothing, one process).
  virtual void notify(const std::string& channel, const std::string& payload) = 0;

  /// A listener on `channel`; null for SQLite (no other process to hear from).
  virtual std::unique_ptr<listener> listen(const std::string& channel) = 0;
};

/// `text` as a PostgreSQL text value can hold it: each NUL byte and each byte that does not begin
/// well-formed UTF-8 replaced by U+FFFD (for records, where a close copy beats none).
std::string storable_text(std::string_view text);

/// Empty when `db` records the schema of no component but `mine`; else why it is another layer's:
/// "holds the data of another layer (schema 'diary'): give each layer its own sqlite_path". A
/// SQLite file is one layer's: another's there means a path given to the wrong layer, which would
/// start empty beside the other's data (PostgreSQL databases are shared by the global layer and the
/// diary).
std::string other_layer_in(store& db, const std::string& mine);

/// How to open a store.
struct store_options {
  storage::dialect backend = dialect::sqlite;
  /// PostgreSQL: a libpq connection string (key=value or URI). Empty: `STRATA_PG_DSN`.
  std::string dsn;
  /// SQLite: the database file; its folder is created when missing.
  std::string sqlite_path;
  std::size_t pool_size = 2; ///< PostgreSQL connections kept open for statements
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds statement_timeout{2000}; ///< a statement slower than this fails
  /// PostgreSQL: a transaction whose client sends nothing for this long is ended, its session
  /// with it (the next statement finds the connection closed: `unavailable`); 0: never.
  std::chrono::milliseconds idle_in_transaction_timeout{0};
};

/// Opens a store. PostgreSQL connects lazily: a server that is down now makes the first
/// statement fail with `unavailable`, not this call. Throws `store_error` for bad options or a
/// SQLite file that cannot be opened.
std::unique_ptr<store> open_store(const store_options& options);

} // namespace strata::storage
