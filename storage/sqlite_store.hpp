#pragma once
// The embedded backend: one SQLite file in WAL mode, one connection behind a mutex (SQLite
// serialises writers anyway), statements prepared once and cached.

#include "statement_texts.hpp"

#include <strata/store.hpp>

#include <map>
#include <mutex>
#include <string>

struct sqlite3;
struct sqlite3_stmt;

namespace strata::storage::detail {

class sqlite_store : public store {
public:
  explicit sqlite_store(const store_options& options);
  ~sqlite_store() override;

  storage::dialect dialect() const noexcept override { return dialect::sqlite; }
  int migrate(const std::string& component, const std::vector<migration>& steps) override;
  int schema_version(const std::string& component) override;
  void prepare(const std::string& name, const std::string& sql) override;
  void transact(const std::function<void(session&)>& work) override;
  void notify(const std::string&, const std::string&) override {}
  std::unique_ptr<listener> listen(const std::string&) override { return nullptr; }

  /// Runs a statement by name on the open connection (the caller holds `mutex_`).
  std::vector<row> run(std::string_view name, const params& args, std::uint64_t* changed);

private:
  sqlite3_stmt* statement(std::string_view name);
  sqlite3_stmt* compile(const std::string& sql);
  void exec(const std::string& sql);
  [[noreturn]] void fail(int rc, const std::string& what);
  /// Throws when the file at `path_` is no longer the one open: deleted (with its folder) or
  /// replaced, a commit would be acknowledged and lost at the next start.
  void check_file_is_open_one() const;

  std::string path_;
  /// The open file's identity (`stat`), taken once it was opened.
  unsigned long long device_ = 0;
  unsigned long long inode_ = 0;
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
  statement_texts sql_;
  std::map<std::string, sqlite3_stmt*, std::less<>> compiled_;
};

} // namespace strata::storage::detail
