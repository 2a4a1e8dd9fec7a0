#include "sqlite_store.hpp"

#include "schema_steps.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string_view>

namespace strata::storage::detail {

namespace {

/// SQLite numbers its parameters `?N`; the Store's statements use PostgreSQL's `$N`. Only `$`
/// followed by digits outside quotes is rewritten.
std::string sqlite_placeholders(const std::string& sql) {
  std::string out;
  out.reserve(sql.size());
  char quote = 0;
  for (std::size_t i = 0; i < sql.size(); ++i) {
    const char c = sql[i];
    if (quote) {
      if (c == quote)
        quote = 0;
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '$' && i + 1 < sql.size() && sql[i + 1] >= '0' && sql[i + 1] <= '9') {
      out += '?';
      continue;
    }
    out += c;
  }
  return out;
}

/// The file's or the machine's state (retried, as an outage is: `unavailable`), or what was sent
/// (`invalid`). A file made read-only, or damaged, refuses every statement: taken for a bad one,
/// the diary dropped every record it was given, healthy, and the global layer was replaced at
/// each request (audit).
status code_of(int rc) {
  switch (rc & 0xff) {
  case SQLITE_BUSY:
  case SQLITE_LOCKED:
  case SQLITE_IOERR:
  case SQLITE_FULL:
  case SQLITE_CANTOPEN:
  case SQLITE_READONLY:
  case SQLITE_PERM:
  case SQLITE_CORRUPT:
  case SQLITE_NOTADB:
  case SQLITE_NOMEM: return status::unavailable;
  default: return status::invalid;
  }
}

/// Whether a statement that cannot be prepared names a table or a column the file lacks: the
/// file's state (changed outside strata after its migrations), not the statement's fault.
bool lacks_schema(sqlite3* db, int rc) {
  const std::string_view message = sqlite3_errmsg(db);
  return (rc & 0xff) == SQLITE_ERROR && (message.rfind("no such table", 0) == 0 || message.rfind("no such column", 0) == 0 ||
                                         message.find(" has no column named ") != std::string_view::npos);
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
    .count();
}

class sqlite_session : public session {
public:
  explicit sqlite_session(sqlite_store& store) : store_(store) {}
  std::vector<row> query(std::string_view statement, const params& args) override {
    return store_.run(statement, args, nullptr);
  }
  std::uint64_t execute(std::string_view statement, const params& args) override {
    std::uint64_t changed = 0;
    store_.run(statement, args, &changed);
    return changed;
  }

private:
  sqlite_store& store_;
};

} // namespace

sqlite_store::sqlite_store(const store_options& options) : path_(options.sqlite_path) {
  if (path_.empty())
    throw store_error(status::invalid, "sqlite_path: no database file given");
  std::error_code ec;
  const auto folder = std::filesystem::path(path_).parent_path();
  if (!folder.empty())
    std::filesystem::create_directories(folder, ec);
  if (ec)
    throw store_error(status::invalid,
                      "sqlite_path: cannot create the folder " + folder.string() + ": " + ec.message());
  if (std::filesystem::is_directory(path_, ec)) // SQLite says "unable to open database file"
    throw store_error(status::invalid, "sqlite_path: " + path_ + " is a directory; name a file in it");
  const int rc = sqlite3_open_v2(path_.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
  if (rc != SQLITE_OK) {
    std::string why = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw store_error(status::invalid, "sqlite_path: cannot open " + path_ + ": " + why);
  }
  // SQLite opens a file it may not write read-only, without a word: every write then failed.
  if (sqlite3_db_readonly(db_, "main") == 1) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw store_error(status::invalid, "sqlite_path: " + path_ + " can be read but not written (its mode, or its "
                                         "owner): give the process write access to it");
  }
  sqlite3_busy_timeout(db_, static_cast<int>(options.statement_timeout.count()));
  try {
    // The first statements are where a file that is not a database fails; the destructor does not
    // run for a constructor that throws, so the handle is closed here.
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec("PRAGMA foreign_keys=ON");
    struct stat opened {};
    if (::stat(path_.c_str(), &opened) != 0)
      throw store_error(status::invalid, "sqlite_path: cannot read what " + path_ + " is: " + std::strerror(errno));
    // SQLite keeps a file's journal (WAL) and its locks' shared memory by the name it was opened
    // by: two processes on one file under two names (a hard link) each had their own, and an
    // acknowledged write was lost (audit); a layer's lock beside the file is by name too.
    if (opened.st_nlink > 1)
      throw store_error(status::invalid, "sqlite_path: " + path_ + " has " + std::to_string(opened.st_nlink) +
                                           " names (hard links), and SQLite keeps its journal by name: a process "
                                           "opening it by another name would corrupt it; give the file one name "
                                           "(copy it rather than link it)");
    device_ = opened.st_dev;
    inode_ = opened.st_ino;
  } catch (...) {
    sqlite3_close(db_);
    db_ = nullptr;
    throw;
  }
}

sqlite_store::~sqlite_store() {
  for (auto& [name, stmt] : compiled_)
    sqlite3_finalize(stmt);
  sqlite3_close(db_);
}

void sqlite_store::fail(int rc, const std::string& what) {
  if (lacks_schema(db_, rc))
    throw store_error(status::unavailable, "sqlite " + path_ + ": " + what + ": " + sqlite3_errmsg(db_) +
                                             " (the file lacks part of its schema: changed outside strata?)");
  throw store_error(code_of(rc), "sqlite " + path_ + ": " + what + ": " + sqlite3_errmsg(db_));
}

void sqlite_store::exec(const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    std::string why = message ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw store_error(code_of(rc), "sqlite " + path_ + ": " + why + " (in: " + sql + ")");
  }
}

sqlite3_stmt* sqlite_store::compile(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt,
                                    nullptr);
  if (rc != SQLITE_OK)
    fail(rc, "cannot prepare '" + sql + "'");
  return stmt;
}

void sqlite_store::prepare(const std::string& name, const std::string& sql) {
  std::lock_guard<std::mutex> guard(mutex_);
  sql_.add(name, sql);
}

sqlite3_stmt* sqlite_store::statement(std::string_view name) {
  if (auto it = compiled_.find(name); it != compiled_.end())
    return it->second;
  auto* stmt = compile(sqlite_placeholders(sql_.at(name)));
  compiled_.emplace(std::string(name), stmt);
  return stmt;
}

std::vector<row> sqlite_store::run(std::string_view name, const params& args, std::uint64_t* changed) {
  auto* stmt = statement(name);
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  struct reset_guard {
    sqlite3_stmt* s;
    ~reset_guard() { sqlite3_reset(s); }
  } reset{stmt};
  if (static_cast<int>(args.size()) != sqlite3_bind_parameter_count(stmt))
    throw store_error(status::invalid, "statement '" + std::string(name) + "' takes " +
                                         std::to_string(sqlite3_bind_parameter_count(stmt)) + " parameters, " +
                                         std::to_string(args.size()) + " given");
  for (std::size_t i = 0; i < args.size(); ++i) {
    const int at = static_cast<int>(i) + 1;
    int rc = SQLITE_OK;
    const auto& v = args[i];
    if (std::holds_alternative<std::monostate>(v))
      rc = sqlite3_bind_null(stmt, at);
    else if (auto p = std::get_if<std::int64_t>(&v))
      rc = sqlite3_bind_int64(stmt, at, *p);
    else if (auto p = std::get_if<double>(&v))
      rc = sqlite3_bind_double(stmt, at, *p);
    else if (auto p = std::get_if<std::string>(&v))
      rc = sqlite3_bind_text64(stmt, at, p->data(), p->size(), SQLITE_STATIC, SQLITE_UTF8);
    else
      rc = sqlite3_bind_blob64(stmt, at, std::get<blob>(v).bytes.data(), std::get<blob>(v).bytes.size(), SQLITE_STATIC);
    if (rc != SQLITE_OK)
      fail(rc, "cannot bind parameter " + std::to_string(at) + " of '" + std::string(name) + "'");
  }
  std::vector<row> rows;
  for (;;) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE)
      break;
    if (rc != SQLITE_ROW)
      fail(rc, "statement '" + std::string(name) + "' failed");
    const int n = sqlite3_column_count(stmt);
    std::vector<value> values;
    values.reserve(n);
    for (int c = 0; c < n; ++c) {
      switch (sqlite3_column_type(stmt, c)) {
      case SQLITE_INTEGER: values.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(stmt, c))); break;
      case SQLITE_FLOAT: values.emplace_back(sqlite3_column_double(stmt, c)); break;
      case SQLITE_TEXT:
        values.emplace_back(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, c)),
                                        static_cast<std::size_t>(sqlite3_column_bytes(stmt, c))));
        break;
      case SQLITE_BLOB: {
        const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt, c));
        values.emplace_back(blob{std::string(data ? data : "", static_cast<std::size_t>(sqlite3_column_bytes(stmt, c)))});
        break;
      }
      default: values.emplace_back(std::monostate{});
      }
    }
    rows.emplace_back(std::move(values));
  }
  if (changed != nullptr)
    *changed = static_cast<std::uint64_t>(sqlite3_changes64(db_));
  return rows;
}

void sqlite_store::check_file_is_open_one() const {
  struct stat now {};
  if (::stat(path_.c_str(), &now) == 0 && now.st_dev == device_ && now.st_ino == inode_)
    return;
  throw store_error(status::unavailable, "sqlite " + path_ + ": the file open since the start was deleted or replaced " +
                                           "(nothing written to it now would be there at the next start); restart to "
                                           "open the file at that path");
}

void sqlite_store::transact(const std::function<void(session&)>& work) {
  std::lock_guard<std::mutex> guard(mutex_);
  exec("BEGIN IMMEDIATE");
  try {
    sqlite_session s(*this);
    const auto changes_before = sqlite3_total_changes64(db_);
    work(s);
    if (sqlite3_total_changes64(db_) != changes_before) // reads go on from the open file
      check_file_is_open_one();
    exec("COMMIT");
  } catch (...) {
    if (!sqlite3_get_autocommit(db_)) {
      char* ignored = nullptr;
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, &ignored);
      sqlite3_free(ignored);
    }
    throw;
  }
}

int sqlite_store::migrate(const std::string& component, const std::vector<migration>& steps) {
  prepare("strata.schema.get", "SELECT version FROM strata_schema_version WHERE component = $1");
  prepare("strata.schema.set",
          "INSERT INTO strata_schema_version (component, version, description, applied_at_us) VALUES ($1, $2, $3, $4) "
          "ON CONFLICT (component) DO UPDATE SET version = excluded.version, description = excluded.description, "
          "applied_at_us = excluded.applied_at_us");
  {
    std::lock_guard<std::mutex> guard(mutex_);
    exec(version_table_ddl);
  }
  int version = 0;
  transact([&](session& s) {
    version = apply_steps(component, steps, dialect::sqlite,
                          schema_access{
                            [&](const std::string& ddl) { exec(ddl); },
                            [&] {
                              auto rows = s.query("strata.schema.get", {component});
                              return rows.empty() ? 0 : static_cast<int>(rows[0].integer(0));
                            },
                            [&](const migration& m) {
                              s.execute("strata.schema.set", {component, std::int64_t{m.version}, m.description, now_us()});
                            },
                          },
                          "in '" + path_ + "'");
  });
  return version;
}

int sqlite_store::schema_version(const std::string& component) {
  prepare("strata.schema.get", "SELECT version FROM strata_schema_version WHERE component = $1");
  {
    std::lock_guard<std::mutex> guard(mutex_);
    exec(version_table_ddl);
  }
  auto rows = query("strata.schema.get", {component});
  return rows.empty() ? 0 : static_cast<int>(rows[0].integer(0));
}

} // namespace strata::storage::detail
