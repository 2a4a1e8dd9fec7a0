/// @file diary_layer.cpp
/// The `diary` layer plugin: an append-only record of every interaction of the runtime, kept in
/// the Store (SQLite by default, or PostgreSQL). It is not in the lookup path (flag OBSERVER): the
/// runtime hands it each interaction through its recorder, which writes in batches off the hot
/// path. Commands analyse what was recorded; maintenance archives on a schedule.

#include "diary_schema.hpp"
#include "query_clusters.hpp"
#include "recorder.hpp"

#include <strata/sdk.hpp>
#include <strata/store_config.hpp>
#include <strata/store.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <tuple>
#include <vector>

#include <unistd.h>

namespace strata::diary {
namespace {

using json = nlohmann::json;

std::chrono::milliseconds to_ms(std::chrono::nanoseconds d) { return std::chrono::ceil<std::chrono::milliseconds>(d); }

std::int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// This process's name as a writer: the configured instance id (or the host and pid), the start
/// time and a random number, so that sequence numbers of two starts never collide.
std::string writer_name(const std::string& instance_id) {
  std::string base = instance_id;
  if (base.empty()) {
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    base = std::string(host) + "-" + std::to_string(getpid());
  }
  return base + "@" + std::to_string(now_us()) + "-" + std::to_string(std::random_device{}() & 0xffff);
}

/// Migrates the schema once, when the database first answers; shared by the layer and the
/// recorder's thread.
class schema_gate {
public:
  explicit schema_gate(std::shared_ptr<storage::store> db) : db_(std::move(db)) {}

  /// Empty once the schema is ready, else what the database answered (unreachable, refused the
  /// login, has no such database); a database that is away leaves it for the next call.
  std::string why_not() {
    if (ready_.load(std::memory_order_acquire))
      return {};
    std::lock_guard<std::mutex> guard(mutex_);
    if (ready_)
      return {};
    try {
      db_->migrate(schema_component, schema());
      prepare_statements(*db_);
      ready_ = true;
      return {};
    } catch (const storage::store_error& e) {
      if (e.code() != status::unavailable && e.code() != status::timeout)
        throw;
      return e.what();
    }
  }

private:
  std::shared_ptr<storage::store> db_;
  std::mutex mutex_;
  std::atomic<bool> ready_{false};
};

/// An argument a command refuses: its name and why.
struct refused_argument {
  std::string name;
  std::string why;
};

/// What is wrong with command `name` or its arguments (none: nothing): a command the diary does
/// not have (said first: its arguments were judged by another's rules), arguments that are not a
/// JSON object, then each argument must be one it takes, of its type; the bounds are checked where
/// they are read.
std::optional<refused_argument> argument_problem(std::string_view name, const json& args) {
  static const std::map<std::string, std::vector<std::string>, std::less<>> takes{
    {"flush", {}},
    {"archive", {}},
    {"count", {"ns"}},
    {"top_queries", {"ns", "limit", "since_us"}},
    {"top_sequences", {"ns", "limit", "since_us"}},
    {"clusters", {"ns", "limit", "since_us", "threshold", "candidates"}}};
  const auto command = takes.find(name);
  if (command == takes.end()) {
    std::string commands;
    for (const auto& [known, arguments] : takes)
      commands += (commands.empty() ? "" : ", ") + known;
    return refused_argument{{}, "unknown command '" + std::string(name) + "' (" + commands + ")"};
  }
  if (!args.is_object())
    return refused_argument{{}, "the arguments are not a JSON object"};
  for (const auto& [key, value] : args.items()) {
    const auto& known = command->second;
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string list;
      for (const auto& k : known)
        list += (list.empty() ? "" : ", ") + k;
      return refused_argument{key, "unknown argument '" + key + "'; " + std::string(name) + " takes " +
                                     (list.empty() ? "none" : list)};
    }
    if (key == "ns" && (!value.is_string() || value.get<std::string>().empty()))
      return refused_argument{key, "'ns' must be a non-empty string"};
    if ((key == "limit" || key == "since_us" || key == "candidates") && !value.is_number_integer())
      return refused_argument{key, "'" + key + "' must be an integer"};
    // An integer above int64's range is unsigned there, and reads as negative as an int64.
    constexpr auto latest = std::numeric_limits<std::int64_t>::max();
    if (key == "since_us" && (value.is_number_unsigned() ? value.get<std::uint64_t>() > latest
                                                         : value.get<std::int64_t>() < 0))
      return refused_argument{key, "'since_us' must be microseconds since the epoch, from 0 to " + std::to_string(latest)};
    if (key == "threshold" && !value.is_number())
      return refused_argument{key, "'threshold' must be a number"};
  }
  return std::nullopt;
}

class diary_layer : public layer {
public:
  /// Above twice the default statement_timeout (5 s): a command waits behind the writer's batch,
  /// then runs its own statement; past that it answers `unavailable`, not the coordinator's `timeout`.
  static constexpr std::chrono::milliseconds default_deadline{15000};

  /// What only one backend reads: set with the other, refused (ABI 1.8), not ignored.
  static constexpr strata_key_condition key_conditions[] = {
    {"dsn", "backend", "postgres"},
    {"pool_size", "backend", "postgres"},
    {"sqlite_path", "backend", "sqlite"},
  };

  /// What the schema cannot say: the backend's name, the DSN's form, the order of the retry bounds.
  static void check_config(const plugin_config& config) {
    config_refusals refused;
    refused.check([&] { storage::store_options_from(config); });
    refused.check([&] { storage::retry_bounds_from(config); });
    refused.done();
  }

  explicit diary_layer(const layer_context& context)
    : diary_layer(context, storage::store_options_from(context.config)) {}

private:
  diary_layer(const layer_context& context, const storage::store_options& store)
    : host_(context.host), db_(storage::open_store(store)),
      gate_(std::make_shared<schema_gate>(db_)),
      archive_interval_(to_ms(context.config.get_duration("archive_interval"))),
      archive_after_(to_ms(context.config.get_duration("archive_after"))),
      min_importance_(context.config.get_double("min_importance")),
      low_importance_after_(to_ms(context.config.get_duration("low_importance_after"))),
      archive_retention_(to_ms(context.config.get_duration("archive_retention"))),
      archived_(host_.counter("strata_diary_archived_total", "Records moved to the archive table.")) {
    // A SQLite file is the diary's alone: another layer's there is a path given to the wrong one.
    if (db_->dialect() == storage::dialect::sqlite)
      if (const auto problem = storage::other_layer_in(*db_, schema_component); !problem.empty())
        throw std::runtime_error("sqlite_path: '" + store.sqlite_path + "' " + problem);
    // A schema newer than this build refuses the start here; a database that is away does not
    // (records are buffered), but is said at once rather than at the first write.
    const auto away = gate_->why_not();
    recorder_settings s;
    s.writer = writer_name(context.config.get_string("instance_id"));
    s.max_buffered = static_cast<std::size_t>(context.config.get_int("max_buffered"));
    s.batch_size = static_cast<std::size_t>(context.config.get_int("batch_size"));
    s.flush_interval = to_ms(context.config.get_duration("flush_interval"));
    std::tie(s.retry_min, s.retry_max) = storage::retry_bounds_from(context.config);
    // The longest a write waits while the server answers: a connection attempt to each of two
    // addresses (IPv6 and IPv4 for "localhost"), and its statement behind archiving's transaction
    // of three, which may hold the pool's last connection.
    s.stalled_after = 2 * store.connect_timeout + 4 * store.statement_timeout;
    recorder_ = std::make_shared<recorder>(db_, std::move(s), host_, [gate = gate_] { return gate->why_not(); });
    if (!away.empty())
      recorder_->starts_down(away);
  }

public:
  // Not in the chain: the coordinator sends none of these to an observer.
  status get(std::string_view, std::string_view, layer_hit&) override { return status::not_found; }
  status put(std::string_view, std::string_view, std::string_view, const entry_options&) override {
    return status::rejected;
  }
  status erase(std::string_view, std::string_view) override { return status::not_found; }
  std::size_t invalidate_tag(std::string_view, std::string_view) override { return 0; }

  std::shared_ptr<interaction_observer> observer() override { return recorder_; }

  /// A tick of a second at most, so that the first archiving comes a second after the start rather
  /// than one `archive_interval` after it: a server restarted more often than that (a deployment a
  /// day, a crash loop) would never archive.
  std::chrono::milliseconds maintenance_interval() const override {
    return archive_interval_.count() == 0 ? archive_interval_ : std::min(archive_interval_, first_archive_after);
  }

  void maintain() override {
    const auto now = std::chrono::steady_clock::now();
    // Half a tick early counts as on time: a tick that fires a little early would skip a whole one.
    if (last_archive_ && now - *last_archive_ < archive_interval_ - maintenance_interval() / 2)
      return;
    last_archive_ = now; // a postponed archiving too: tried again an interval later, said once
    try {
      if (archive().more)
        last_archive_.reset(); // the rest at the next tick
    } catch (const storage::store_error& e) {
      if (e.code() == status::invalid || e.code() == status::internal)
        throw;
      host_.log(log_level::warn, std::string("diary archiving postponed: ") + e.what());
    }
  }

  status command(std::string_view name, std::string_view json_args, std::string& json_out) override {
    const auto args = json::parse(json_args.empty() ? std::string_view("{}") : json_args, nullptr, false);
    const auto fail = [&](status code, const std::string& why, const std::string& argument = {}) {
      json answer{{"error", why}};
      if (!argument.empty())
        answer["field"] = argument;
      if (name == "count" && (code == status::unavailable || code == status::timeout)) // known without the database, and most wanted then
        answer["buffered"] = recorder_->buffered();
      json_out = answer.dump(-1, ' ', false, json::error_handler_t::replace);
      return code;
    };
    if (const auto problem = argument_problem(name, args))
      return fail(status::invalid, problem->why, problem->name);
    try {
      const std::string ns = args.value("ns", std::string(default_namespace));
      const std::int64_t limit = args.value("limit", std::int64_t{10});
      const std::int64_t since = args.value("since_us", std::int64_t{0});
      if (limit < 1 || limit > 10000)
        return fail(status::invalid, "'limit' must be between 1 and 10000", "limit");
      if (name == "flush") {
        const auto written = recorder_->flush_now();
        const auto left = recorder_->buffered();
        json answer{{"written", written}, {"buffered", left}};
        if (left > 0)
          answer["error"] = std::to_string(left) + " records are still buffered: the database does not take them now";
        json_out = answer.dump();
        return left == 0 ? status::ok : status::unavailable;
      }
      if (name == "archive") {
        const auto done = archive();
        json_out = json{{"archived", done.moved}, {"more", done.more}}.dump();
        return status::ok;
      }
      if (const auto why = gate_->why_not(); !why.empty())
        return fail(status::unavailable, "the diary's database is unreachable: " + why);
      if (name == "count") {
        json_out = json{{"records", db_->query(sql::count, {ns}).at(0).integer(0)},
                        {"archived", db_->query(sql::count_archived, {ns}).at(0).integer(0)},
                        {"buffered", recorder_->buffered()}}
                     .dump();
        return status::ok;
      }
      if (name == "top_queries") {
        auto out = json::array();
        for (const auto& r : db_->query(sql::top_queries, {ns, since, limit}))
          out.push_back({{"query", r.text(0)}, {"count", r.integer(1)}});
        json_out = json{{"queries", out}}.dump(-1, ' ', false, json::error_handler_t::replace);
        return status::ok;
      }
      if (name == "top_sequences") {
        auto out = json::array();
        for (const auto& r : db_->query(sql::top_sequences, {ns, since, limit}))
          out.push_back({{"sequence", {r.text(0), r.text(1)}}, {"count", r.integer(2)}});
        json_out = json{{"sequences", out}}.dump(-1, ' ', false, json::error_handler_t::replace);
        return status::ok;
      }
      if (name == "clusters")
        return clusters(ns, since, limit, args, json_out, fail);
    } catch (const json::exception& e) {
      return fail(status::invalid, std::string("bad arguments: ") + e.what());
    } catch (const storage::store_error& e) {
      if (e.code() == status::invalid || e.code() == status::internal)
        throw;
      return fail(e.code(), e.what());
    }
    return fail(status::internal, "command '" + std::string(name) + "' is known but not run"); // a bug: argument_problem knows it
  }

private:
  /// The `limit` largest clusters of near-duplicates among the `candidates` most frequent distinct
  /// gets since `since`; see README.md for the arguments and the cost.
  template <class Fail>
  status clusters(const std::string& ns, std::int64_t since, std::int64_t limit, const json& args,
                  std::string& json_out, const Fail& fail) {
    const double threshold = args.value("threshold", 0.75);
    const std::int64_t candidates = args.value("candidates", std::int64_t{1000});
    if (!(threshold > 0.0 && threshold <= 1.0))
      return fail(status::invalid, "'threshold' must be in (0, 1]", "threshold");
    if (candidates < 1 || candidates > 5000)
      return fail(status::invalid, "'candidates' must be between 1 and 5000", "candidates");
    std::vector<query_count> queries;
    for (const auto& r : db_->query(sql::top_queries, {ns, since, candidates}))
      queries.push_back({r.text(0), r.integer(1)});
    auto out = json::array();
    for (const auto& c : cluster_queries(queries, threshold)) {
      if (static_cast<std::int64_t>(out.size()) == limit)
        break;
      auto members = json::array();
      for (const auto& m : c.members)
        members.push_back({{"query", m.query}, {"count", m.count}});
      out.push_back({{"representative", c.representative}, {"count", c.total}, {"members", members}});
    }
    json_out = json{{"clusters", out}, {"queries", queries.size()}}.dump(-1, ' ', false, json::error_handler_t::replace);
    return status::ok;
  }

  /// What one archiving did: records moved, and whether it stopped at its budget with more to do.
  struct archiving {
    std::int64_t moved = 0;
    bool more = false;
  };

  /// Moves records past `archive_after`, or below `min_importance` and past
  /// `low_importance_after`, to the archive; drops archived records past `archive_retention`.
  /// Batch after batch (archive_batch records, a transaction each), starting none after
  /// `archive_budget`: the calls of the layer's thread return in time (a command's deadline; the
  /// shutdown), and the rest comes at the next tick.
  archiving archive() {
    if (const auto why = gate_->why_not(); !why.empty())
      throw storage::store_error(status::unavailable, "the diary's database is unreachable: " + why);
    const auto now = now_us();
    const auto before = [&](std::chrono::milliseconds age) {
      return age.count() > 0 ? now - age.count() * 1000 : std::numeric_limits<std::int64_t>::min();
    };
    const auto older_than = before(archive_after_), low_before = before(low_importance_after_);
    // No record's importance is below a min_importance of 0: only the age bound applies then.
    const auto upper = min_importance_ > 0.0 ? std::max(older_than, low_before) : older_than;
    const auto expire_before = before(archive_retention_);
    const auto until = std::chrono::steady_clock::now() + archive_budget;
    auto lower = std::numeric_limits<std::int64_t>::min(); // where the last batch ended
    archiving done;
    for (;;) {
      std::uint64_t moved = 0, expired = 0;
      const auto from = lower;
      db_->transact([&](storage::session& s) {
        if (db_->dialect() == storage::dialect::postgres)
          s.query(sql::archive_in_order);
        for (const auto& copied : s.query(sql::archive_copy, {older_than, min_importance_, low_before, now, upper, from}))
          lower = std::max(lower, copied.integer(0));
        moved = s.execute(sql::archive_delete, {older_than, min_importance_, low_before, upper, from});
        if (archive_retention_.count() > 0)
          expired = s.execute(sql::expire_archive, {expire_before});
      });
      archived_.inc(moved);
      done.moved += static_cast<std::int64_t>(moved);
      // Until a batch finds nothing: one cut short (a record written meanwhile took a place in
      // the delete's batch, on PostgreSQL) is not the end.
      if (moved == 0 && expired == 0)
        return done;
      if (std::chrono::steady_clock::now() >= until) {
        done.more = true;
        return done;
      }
      // The store's lock is a mutex, which need not be fair: taken again at once, it could keep
      // the writer's batch waiting through every batch. A millisecond lets it in.
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  plugin_host host_;
  std::shared_ptr<storage::store> db_;
  std::shared_ptr<schema_gate> gate_;
  static constexpr std::chrono::milliseconds first_archive_after{1000};
  /// How long one archiving goes on at most: well within a command's deadline (the layer's, 15 s by default).
  static constexpr std::chrono::milliseconds archive_budget{2000};
  std::chrono::milliseconds archive_interval_, archive_after_;
  std::optional<std::chrono::steady_clock::time_point> last_archive_; ///< by maintain(); not by the command
  double min_importance_;
  std::chrono::milliseconds low_importance_after_, archive_retention_;
  instruments::counter& archived_;
  std::shared_ptr<recorder> recorder_;
};

const strata_config_key schema_keys[] = {
  {"backend", STRATA_VALUE_STRING, "sqlite", "sqlite (one file) or postgres", 0, 0, 0, 0},
  {"dsn", STRATA_VALUE_STRING, "", "PostgreSQL connection string; empty: the environment variable STRATA_PG_DSN", 0, 0, 0, 0},
  // A file key (ABI 1.6), so that check-config refuses another part of the deployment on it (a
  // json exporter's snapshot replaced the database: audit). Its default, unused with backend
  // postgres, clashes with no other default (validate.cpp).
  {"sqlite_path", STRATA_VALUE_FILE, "strata-data/diary.sqlite3", "SQLite database file (its folder is created)", 0, 0, 0, 0},
  {"instance_id", STRATA_VALUE_STRING, "", "names this process as the writer of its records; empty: host-pid", 0, 0, 0, 0},
  {"pool_size", STRATA_VALUE_INT, "2", "PostgreSQL connections kept for statements", 1, 1, 1, 64},
  {"connect_timeout", STRATA_VALUE_DURATION, "2s", "how long a connection attempt may take", 1, 1000, 0, 0},
  // At most 2^31 - 1 ms (~24.8 days): SQLite's busy timeout and PostgreSQL's statement_timeout are ints of ms.
  {"statement_timeout", STRATA_VALUE_TIMEOUT, "5s", "a statement slower than this fails (each insert of a batch; an analysis)", 1, 1, 1, 2147483647},
  {"max_buffered", STRATA_VALUE_INT, "100000", "records kept while the database is away; beyond, new records are dropped", 1, 1, 0, 0},
  {"batch_size", STRATA_VALUE_INT, "512", "records written per transaction", 1, 1, 1, 100000},
  {"flush_interval", STRATA_VALUE_DURATION, "200ms", "longest a record waits before its batch is written", 1, 1, 0, 0},
  {"retry_min", STRATA_VALUE_DURATION, "100ms", "first wait before writing to an unreachable database again", 1, 1, 0, 0},
  {"retry_max", STRATA_VALUE_DURATION, "5s", "longest wait between tries (the wait doubles up to it)", 1, 1, 0, 0},
  {"archive_interval", STRATA_VALUE_DURATION, "1h", "how often records are archived; 0: never", 1, 0, 0, 0},
  {"archive_after", STRATA_VALUE_DURATION, "30d", "records older than this are archived; 0: none for age alone", 1, 0, 0, 0},
  {"min_importance", STRATA_VALUE_DOUBLE, "0.0", "records below this importance are archived once older than low_importance_after", 1, 0, 1, 1},
  {"low_importance_after", STRATA_VALUE_DURATION, "1h", "age after which records below min_importance are archived", 1, 0, 0, 0},
  {"archive_retention", STRATA_VALUE_DURATION, "0", "archived records are deleted this long after they were archived; 0: kept forever", 1, 0, 0, 0},
};

} // namespace
} // namespace strata::diary

// Blocks on the database (archiving, analysis): a thread of its own; not in the lookup path.
STRATA_LAYER_PLUGIN("diary", "0.1.0", strata::diary::diary_layer, strata::diary::schema_keys, STRATA_PLUGIN_FLAG_OBSERVER)
