#include "postgres_store.hpp"

#include "schema_steps.hpp"

#include <pqxx/pqxx>

#include <chrono>
#include <utility>

#include <poll.h>

namespace strata::storage::detail {

namespace {

/// One key for every migration in the database, so that instances starting together migrate
/// one after the other.
constexpr long long migration_lock = 0x5354524154410001LL;

/// libpq's message on one line: it ends its messages with a newline and puts a hint on a line of
/// its own ("...failed: Connection refused\n\tIs the server running..."), which would break a
/// log line or a health reason in two.
std::string one_line(const std::exception& e) {
  std::string text = e.what();
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\n') {
      out += text[i];
      continue;
    }
    while (i + 1 < text.size() && (text[i + 1] == '\t' || text[i + 1] == ' ' || text[i + 1] == '\n'))
      ++i;
    if (i + 1 < text.size())
      out += "; ";
  }
  while (!out.empty() && out.back() == ' ')
    out.pop_back();
  return out;
}

/// `dsn` with `name=value` added (in its form: key=value words or a URI's query) when it names no
/// `name`.
std::string with_parameter(const std::string& dsn, const std::string& name, const std::string& value) {
  if (dsn.find(name) != std::string::npos)
    return dsn;
  if (dsn.rfind("postgres://", 0) == 0 || dsn.rfind("postgresql://", 0) == 0)
    return dsn + (dsn.find('?') == std::string::npos ? "?" : "&") + name + "=" + value;
  return dsn + " " + name + "=" + value;
}

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
    .count();
}

const char* hex = "0123456789abcdef";

/// BYTEA travels as text in the hex format, which every server since 9.0 reads and writes.
std::string to_bytea_text(const std::string& bytes) {
  std::string out = "\\x";
  out.reserve(2 + bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

int nibble(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  throw store_error(status::internal, "postgres: a bytea column is not in the hex format");
}

std::string from_bytea_text(const char* text, std::size_t size) {
  if (size < 2 || text[0] != '\\' || text[1] != 'x')
    throw store_error(status::internal, "postgres: a bytea column is not in the hex format (set bytea_output=hex)");
  std::string out;
  out.reserve((size - 2) / 2);
  for (std::size_t i = 2; i + 1 < size; i += 2)
    out += static_cast<char>(nibble(text[i]) << 4 | nibble(text[i + 1]));
  return out;
}

// Type OIDs of the server's catalog (stable since PostgreSQL 7).
constexpr pqxx::oid bool_oid = 16, bytea_oid = 17, int8_oid = 20, int2_oid = 21, int4_oid = 23, float4_oid = 700,
                    float8_oid = 701;

std::vector<row> rows_of(const pqxx::result& result) {
  std::vector<row> rows;
  rows.reserve(result.size());
  const auto columns = result.columns();
  std::vector<pqxx::oid> types(columns);
  for (pqxx::row::size_type c = 0; c < columns; ++c)
    types[c] = result.column_type(c);
  for (const auto& r : result) {
    std::vector<value> values;
    values.reserve(columns);
    for (pqxx::row::size_type c = 0; c < columns; ++c) {
      const auto& f = r[c];
      if (f.is_null()) {
        values.emplace_back(std::monostate{});
        continue;
      }
      switch (types[c]) {
      case int2_oid:
      case int4_oid:
      case int8_oid: values.emplace_back(static_cast<std::int64_t>(f.as<long long>())); break;
      case float4_oid:
      case float8_oid: values.emplace_back(f.as<double>()); break;
      case bool_oid: values.emplace_back(static_cast<std::int64_t>(f.as<bool>() ? 1 : 0)); break;
      case bytea_oid: values.emplace_back(blob{from_bytea_text(f.c_str(), f.size())}); break;
      default: values.emplace_back(std::string(f.c_str(), f.size()));
      }
    }
    rows.emplace_back(std::move(values));
  }
  return rows;
}

/// The parameters as libpq text values; null pointers are NULLs.
struct text_params {
  std::vector<std::string> texts;
  std::vector<const char*> pointers;
  explicit text_params(const params& args) {
    texts.reserve(args.size());
    for (const auto& v : args) {
      if (std::holds_alternative<std::monostate>(v))
        texts.emplace_back();
      else if (auto p = std::get_if<std::int64_t>(&v))
        texts.push_back(std::to_string(*p));
      else if (auto p = std::get_if<double>(&v))
        texts.push_back(pqxx::to_string(*p));
      else if (auto p = std::get_if<std::string>(&v)) {
        // libpq takes text as a C string: a NUL would cut it short, and bind another key.
        if (p->find('\0') != std::string::npos)
          throw store_error(status::invalid, "parameter $" + std::to_string(texts.size() + 1) +
                                               " holds a NUL byte, which PostgreSQL text cannot");
        texts.push_back(*p);
      } else
        texts.push_back(to_bytea_text(std::get<blob>(v).bytes));
    }
    for (std::size_t i = 0; i < args.size(); ++i)
      pointers.push_back(std::holds_alternative<std::monostate>(args[i]) ? nullptr : texts[i].c_str());
  }
};

/// What a libpqxx exception means for the caller, and whether the connection is to be dropped.
struct failure {
  status code;
  bool broken;
};

failure classify(const std::exception& e, const pqxx::connection* conn) {
  if (dynamic_cast<const pqxx::broken_connection*>(&e) || dynamic_cast<const pqxx::in_doubt_error*>(&e))
    return {status::unavailable, true};
  const bool open = conn != nullptr && conn->is_open();
  if (auto sql = dynamic_cast<const pqxx::sql_error*>(&e)) {
    const std::string state = sql->sqlstate();
    if (state == "57014") // query_canceled: the statement timeout
      return {status::timeout, !open};
    if (state.rfind("08", 0) == 0 || state.rfind("57P", 0) == 0 || state.rfind("53", 0) == 0 || !open)
      return {status::unavailable, !open || state.rfind("57P", 0) == 0 || state.rfind("08", 0) == 0};
    // Refused for the server's state, not for what was sent: a standby after a failover (class
    // 25, read-only), a deadlock or a serialization failure (class 40), a privilege revoked
    // (42501), a table or a column dropped since the migrations (42P01, 42703). Worth trying
    // again later, as an outage is.
    if (state.rfind("25", 0) == 0 || state.rfind("40", 0) == 0 || state == "42501" || state == "42P01" ||
        state == "42703")
      return {status::unavailable, state == "25006"}; // read-only: a new connection may reach the primary
    return {status::invalid, false};
  }
  return {open ? status::internal : status::unavailable, !open};
}

template <class Transaction>
class postgres_session : public session {
public:
  postgres_session(postgres_store& store, postgres_store::slot& slot, Transaction& txn)
    : store_(store), slot_(slot), txn_(txn) {}

  std::vector<row> query(std::string_view statement, const params& args) override {
    return rows_of(run(statement, args));
  }
  std::uint64_t execute(std::string_view statement, const params& args) override {
    return run(statement, args).affected_rows();
  }

private:
  pqxx::result run(std::string_view statement, const params& args) {
    store_.ensure_prepared(slot_, statement);
    text_params p(args);
    return txn_.exec_prepared(std::string(statement), pqxx::prepare::make_dynamic_params(p.pointers));
  }

  postgres_store& store_;
  postgres_store::slot& slot_;
  Transaction& txn_;
};

/// Whether the server has closed, or is closing, an idle connection: its socket has something to
/// read (the end of the stream, or the notice a terminated backend sends first), which an idle
/// connection of the pool (it never listens) is not sent otherwise. Seen before anything is sent
/// on it, so nothing can run twice.
bool closed_by_server(const pqxx::connection& conn) {
  pollfd socket{conn.sock(), POLLIN | POLLRDHUP, 0};
  return socket.fd < 0 || (::poll(&socket, 1, 0) > 0 && socket.revents != 0);
}

class receiver : public pqxx::notification_receiver {
public:
  receiver(pqxx::connection_base& conn, const std::string& channel, std::vector<notification>& inbox)
    : pqxx::notification_receiver(conn, channel), inbox_(inbox) {}
  void operator()(const std::string& payload, int) override { inbox_.push_back({channel(), payload}); }

private:
  std::vector<notification>& inbox_;
};

class postgres_listener : public listener {
public:
  /// "host:port" of a connection that is open (read once: on a broken one, libpqxx reconnects to
  /// say), "the local socket" for libpq's default.
  static std::string server_of(pqxx::connection& conn) {
    try {
      const char* host = conn.hostname();
      const char* port = conn.port();
      return std::string(host && *host ? host : "the local socket") + (port && *port ? std::string(":") + port : "");
    } catch (const std::exception&) {
      return "the server";
    }
  }

  postgres_listener(std::unique_ptr<pqxx::connection> conn, const std::string& channel)
    : conn_(std::move(conn)), receiver_(*conn_, channel, inbox_), server_(server_of(*conn_)) {
    // LISTEN is sent when the first notification is awaited; send it now, so that nothing
    // sent after this constructor returns is missed.
    conn_->get_notifs();
  }

  /// Closes the connection first: the receiver's destructor would otherwise send UNLISTEN and wait
  /// for the answer, forever when the server process behind it stopped answering (a listener
  /// that found its connection deaf hung there). The server forgets a closed session's LISTEN.
  ~postgres_listener() override { conn_->disconnect(); }

  std::vector<notification> wait(std::chrono::milliseconds timeout) override {
    try {
      inbox_.clear();
      if (conn_->get_notifs() == 0) {
        const auto us = timeout.count() * 1000;
        conn_->await_notification(static_cast<long>(us / 1000000), static_cast<long>(us % 1000000));
      }
      if (!conn_->is_open())
        throw store_error(status::unavailable, "postgres: the listening connection to " + server_ + " was closed");
      return std::move(inbox_);
    } catch (const store_error&) {
      throw;
    } catch (const std::exception& e) {
      // libpq's words alone ("Connection to database failed") named no server.
      throw store_error(status::unavailable, "postgres: listening to " + server_ + " failed: " + one_line(e));
    }
  }

private:
  std::unique_ptr<pqxx::connection> conn_;
  std::vector<notification> inbox_;
  receiver receiver_;
  std::string server_; ///< what the messages name: "host:port"
};

} // namespace

std::string connection_string_for(const std::string& dsn, std::chrono::milliseconds connect_timeout) {
  const auto seconds = std::to_string(std::max<long long>(1, (connect_timeout.count() + 999) / 1000));
  // libpq takes fallback_application_name only where the string (or PGAPPNAME) names no
  // application_name: pg_stat_activity then says which connections are strata's.
  return with_parameter(with_parameter(dsn, "connect_timeout", seconds), "fallback_application_name", "strata");
}

postgres_store::postgres_store(const store_options& options, std::string dsn_origin)
  : dsn_(connection_string_for(options.dsn, options.connect_timeout)), dsn_origin_(std::move(dsn_origin)),
    statement_timeout_ms_(std::to_string(options.statement_timeout.count())),
    idle_in_transaction_timeout_ms_(options.idle_in_transaction_timeout.count() > 0
                                      ? std::to_string(options.idle_in_transaction_timeout.count())
                                      : std::string()),
    slots_(options.pool_size) {
  for (auto& s : slots_)
    idle_.push_back(&s);
}

postgres_store::~postgres_store() = default;

std::unique_ptr<pqxx::connection> postgres_store::connect() const {
  try {
    auto conn = std::make_unique<pqxx::connection>(dsn_);
    // Values of ours (milliseconds from the options), not input.
    conn->set_variable("statement_timeout", statement_timeout_ms_);
    if (!idle_in_transaction_timeout_ms_.empty())
      conn->set_variable("idle_in_transaction_session_timeout", idle_in_transaction_timeout_ms_);
    return conn;
  } catch (const std::exception& e) {
    throw store_error(status::unavailable,
                      "postgres: cannot connect with the connection string of " + dsn_origin_ + ": " + one_line(e));
  }
}

postgres_store::slot* postgres_store::acquire(bool check) {
  std::unique_lock<std::mutex> lock(mutex_);
  available_.wait(lock, [this] { return !idle_.empty(); });
  auto* s = idle_.back();
  idle_.pop_back();
  lock.unlock();
  // A connection the server closed while it sat in the pool (a restart, an idle timeout, a
  // terminated backend) would fail the first statement sent on it: replaced first.
  if (!s->conn || !s->conn->is_open() || closed_by_server(*s->conn)) {
    s->conn.reset();
    s->prepared.clear();
    try {
      s->conn = connect();
      if (check)
        check_schemas(*s->conn);
    } catch (...) {
      release(s, true);
      throw;
    }
  }
  return s;
}

void postgres_store::check_schemas(pqxx::connection& conn) {
  std::map<std::string, int> known;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    known = migrated_;
  }
  if (known.empty()) // nothing migrated yet: migrate() itself checks
    return;
  std::vector<std::pair<std::string, int>> found;
  try {
    pqxx::nontransaction t(conn);
    for (const auto& r : t.exec("SELECT component, version FROM strata_schema_version"))
      found.emplace_back(r[0].as<std::string>(), r[1].as<int>());
  } catch (const std::exception& e) {
    const auto f = classify(e, &conn);
    throw store_error(f.code, "postgres: reading the schema versions: " + one_line(e));
  }
  // unavailable, as an outage is, not invalid: a caller that takes invalid for "these rows are
  // refused" (the diary's recorder) would drop them, where it keeps them for when it can write.
  // A layer's next attempt runs migrate(), which refuses the newer schema for good.
  for (const auto& [component, version] : found)
    if (const auto it = known.find(component); it != known.end() && version > it->second)
      throw store_error(status::unavailable, newer_schema(component, "in the database", version, it->second));
}

void postgres_store::release(slot* s, bool broken) {
  if (broken) {
    s->conn.reset();
    s->prepared.clear();
  }
  {
    std::lock_guard<std::mutex> guard(mutex_);
    idle_.push_back(s);
  }
  available_.notify_one();
}

void postgres_store::prepare(const std::string& name, const std::string& sql) {
  std::lock_guard<std::mutex> guard(mutex_);
  sql_.add(name, sql);
}

void postgres_store::ensure_prepared(slot& s, std::string_view name) {
  if (s.prepared.count(name))
    return;
  std::string sql;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    sql = sql_.at(name);
  }
  s.conn->prepare(std::string(name), sql);
  s.prepared.emplace(name);
}

void postgres_store::transact(const std::function<void(session&)>& work) {
  with_connection(false, work);
}

std::vector<row> postgres_store::query(std::string_view statement, const params& args) {
  std::vector<row> out;
  with_connection(true, [&](session& s) { out = s.query(statement, args); });
  return out;
}

std::uint64_t postgres_store::execute(std::string_view statement, const params& args) {
  std::uint64_t changed = 0;
  with_connection(true, [&](session& s) { changed = s.execute(statement, args); });
  return changed;
}

template <class Work>
void postgres_store::with_connection(bool single, Work&& work) {
  auto* s = acquire();
  try {
    if (single) {
      pqxx::nontransaction txn(*s->conn);
      postgres_session<pqxx::nontransaction> session(*this, *s, txn);
      work(session);
    } else {
      pqxx::work txn(*s->conn);
      postgres_session<pqxx::work> session(*this, *s, txn);
      work(session);
      txn.commit();
    }
  } catch (const store_error& e) {
    release(s, !s->conn->is_open());
    throw;
  } catch (const std::exception& e) {
    const auto f = classify(e, s->conn.get());
    release(s, f.broken);
    throw store_error(f.code, "postgres: " + one_line(e));
  } catch (...) {
    release(s, true);
    throw;
  }
  release(s, false);
}

void postgres_store::notify(const std::string& channel, const std::string& payload) {
  prepare("strata.notify", "SELECT pg_notify($1, $2)");
  execute("strata.notify", {channel, payload});
}

std::unique_ptr<listener> postgres_store::listen(const std::string& channel) {
  auto conn = connect();
  try {
    return std::make_unique<postgres_listener>(std::move(conn), channel);
  } catch (const std::exception& e) {
    throw store_error(status::unavailable, "postgres: cannot listen: " + one_line(e));
  }
}

int postgres_store::migrate(const std::string& component, const std::vector<migration>& steps) {
  prepare("strata.schema.lock", "SELECT pg_advisory_xact_lock($1)");
  prepare("strata.schema.get", "SELECT version FROM strata_schema_version WHERE component = $1");
  prepare("strata.schema.set",
          "INSERT INTO strata_schema_version (component, version, description, applied_at_us) VALUES ($1, $2, $3, $4) "
          "ON CONFLICT (component) DO UPDATE SET version = excluded.version, description = excluded.description, "
          "applied_at_us = excluded.applied_at_us");
  prepare("strata.schema.exists", "SELECT to_regclass('strata_schema_version') IS NOT NULL");
  int version = 0;
  // DDL cannot be prepared; it is constant text from the component, run through the raw
  // transaction that the session wraps.
  auto* s = acquire(false);
  try {
    pqxx::work txn(*s->conn);
    postgres_session<pqxx::work> session(*this, *s, txn);
    session.query("strata.schema.lock", {static_cast<std::int64_t>(migration_lock)});
    // Nothing written when nothing is to apply (an advisory lock is no write): a read-only server
    // (a standby after a failover, default_transaction_read_only) refused even CREATE TABLE IF NOT
    // EXISTS, and the global layer, which migrates again after each failure, failed every read.
    if (session.query("strata.schema.exists", {}).at(0).integer(0) == 0)
      txn.exec(version_table_ddl);
    version = apply_steps(component, steps, dialect::postgres,
                          schema_access{
                            [&](const std::string& ddl) { txn.exec(ddl); },
                            [&] {
                              auto rows = session.query("strata.schema.get", {component});
                              return rows.empty() ? 0 : static_cast<int>(rows[0].integer(0));
                            },
                            [&](const migration& m) {
                              session.execute("strata.schema.set",
                                              {component, std::int64_t{m.version}, m.description, now_us()});
                            },
                          },
                          "in the database");
    txn.commit();
    std::lock_guard<std::mutex> guard(mutex_);
    migrated_[component] = static_cast<int>(steps.size());
  } catch (const store_error&) {
    release(s, !s->conn->is_open());
    throw;
  } catch (const std::exception& e) {
    const auto f = classify(e, s->conn.get());
    release(s, f.broken);
    throw store_error(f.code, "postgres: migrating '" + component + "': " + one_line(e));
  }
  release(s, false);
  return version;
}

int postgres_store::schema_version(const std::string& component) {
  prepare("strata.schema.exists", "SELECT to_regclass('strata_schema_version') IS NOT NULL");
  prepare("strata.schema.get", "SELECT version FROM strata_schema_version WHERE component = $1");
  int version = 0;
  transact([&](session& s) {
    if (s.query("strata.schema.exists").at(0).integer(0) == 0)
      return;
    auto rows = s.query("strata.schema.get", {component});
    version = rows.empty() ? 0 : static_cast<int>(rows[0].integer(0));
  });
  return version;
}

} // namespace strata::storage::detail
