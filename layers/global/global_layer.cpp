/// @file global_layer.cpp
/// The `global` layer plugin: entries shared by every instance through one database (PostgreSQL;
/// SQLite for a single node), with confidence, the writer, a validation state and a TTL. Every
/// change is announced on a NOTIFY channel; each instance's listener has its runtime drop the
/// stale copies in the layers above. While the database is unreachable the layer answers misses
/// at once, reports critical health, counts errors and retries with backoff.

#include <strata/backoff.hpp>
#include <strata/entry.hpp>
#include "database_clock.hpp"
#include "global_schema.hpp"
#include "sync_listener.hpp"
#include "sync_message.hpp"
#include "file_claim.hpp"

#include <strata/sdk.hpp>
#include <strata/store_config.hpp>
#include <strata/store.hpp>
#include <strata/units.hpp>
#include <strata/utf8.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <mutex>
#include <random>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <unistd.h>

namespace strata::global {
namespace {

using json = nlohmann::json;

std::chrono::milliseconds to_ms(std::chrono::nanoseconds d) { return std::chrono::ceil<std::chrono::milliseconds>(d); }

/// How long the constructor waits for PostgreSQL to take the listening connection.
constexpr std::chrono::milliseconds startup_wait{250};

/// How long statements cancelled by statement_timeout, with none succeeding between, go on before
/// the database is taken as failing (backoff, critical health); until then each fails only its own
/// request. A time, not a count: a put on a row locked elsewhere times out, and so does its undo
/// and a retry of it, three in a moment.
constexpr std::chrono::seconds timeouts_before_outage{5};

/// The longest pause between two such statements that still continues their run: a statement's
/// time and a second. Sparser ones (a maintenance delete past statement_timeout every 10 s on an
/// idle node) each fail alone; counted from the first, they made an outage of two.
std::chrono::milliseconds timeout_run_gap(const plugin_config& config) {
  return to_ms(config.get_duration("statement_timeout")) + std::chrono::seconds(1);
}

/// The longest origin of a notification: a host name (at most 64 bytes on Linux), a pid and a
/// suffix (81 bytes), with room to spare. 128 until schema 2, whose logged time takes 24 bytes more
/// of the payload: 104 keeps the longest key and tag as they were (rows written before it can
/// still be erased, and their change announced).
constexpr std::size_t origin_budget = 104;

/// The help of the layer's families, each registered with several label values.
constexpr const char* sync_messages_help =
  "Change notifications sent to, or received from, the other instances, and changes replayed from the log.";
constexpr const char* errors_help = "Failed statements, lost listening connections and replays that could not be whole.";

/// How long a writer's transaction may sit idle between its statements before the server ends it:
/// a writer stopped between logging a change and COMMIT must not commit it later than a replay
/// allows for. Not shorter than a second: a busy host may well pause a thread that long, and the
/// end of the session reads as an outage.
std::chrono::milliseconds idle_in_transaction_timeout(const plugin_config& config) {
  return std::max<std::chrono::milliseconds>(to_ms(config.get_duration("statement_timeout")), std::chrono::seconds(1));
}

/// One process, and one layer of it, on a SQLite file: SQLite sends no notification, so two would
/// never hear each other's changes and serve stale copies above. And the file is the global
/// layer's alone: another layer's data there is a path given to the wrong layer. Null on PostgreSQL.
std::shared_ptr<const vector_index::file_claim> sqlite_claim(const plugin_config& config, const std::string& layer,
                                                             storage::store& db) {
  const auto options = storage::store_options_from(config);
  if (options.backend != storage::dialect::sqlite)
    return nullptr;
  try {
    auto claim = vector_index::file_claim::take(options.sqlite_path, layer,
                                                "on SQLite the global layer is for one node: two on one file never "
                                                "hear each other's changes and serve stale copies (several nodes: "
                                                "backend: postgres)");
    if (const auto problem = storage::other_layer_in(db, schema_component); !problem.empty())
      throw std::runtime_error(problem);
    return claim;
  } catch (const std::exception& e) {
    throw std::runtime_error("sqlite_path: '" + options.sqlite_path + "': " + e.what());
  }
}

/// The store's options, with the bound above.
storage::store_options global_store_options(const plugin_config& config) {
  auto options = storage::store_options_from(config);
  options.idle_in_transaction_timeout = idle_in_transaction_timeout(config);
  return options;
}

/// How much earlier than the last change heard a replay starts. A change logged before it may
/// commit after it: by the rest of the statement that logs it and COMMIT itself (each within
/// statement_timeout), the writer's pause between them (ended past idle_in_transaction_timeout),
/// and what the server takes to commit (a flush, a synchronous standby), for which 5 s is a guess,
/// not a bound. Instances sharing a table are taken to share statement_timeout.
std::chrono::milliseconds replay_allowance(const plugin_config& config) {
  return 2 * to_ms(config.get_duration("statement_timeout")) + idle_in_transaction_timeout(config) +
         std::chrono::seconds(5);
}

/// The expiry stored for a TTL from `now_us`: 0 (none) for no TTL.
std::int64_t expiry_of(std::int64_t now_us, std::chrono::milliseconds ttl) {
  using wall_us = std::chrono::time_point<std::chrono::system_clock, std::chrono::microseconds>;
  return ttl.count() <= 0 ? 0 : expiry_after(wall_us(std::chrono::microseconds(now_us)), ttl).time_since_epoch().count();
}

/// How long one maintenance deletes batch after batch, in the layer's thread, before it serves again.
constexpr std::chrono::milliseconds maintenance_budget{250};

/// The rows the change log's prune deleted: its one row says how many; none when it deleted none.
std::uint64_t pruned(const std::vector<storage::row>& answer) {
  return answer.empty() ? 0 : static_cast<std::uint64_t>(answer.front().integer(0));
}

/// `change_retention`, when it leaves a replay after a short blip room to find its log: twice the
/// allowance and 10 s (a quiet listener's mark, which keeps how far it has heard recent, comes
/// every 5 s or every maintenance_interval, the longer).
void check_retention(const plugin_config& config) {
  const auto retention = to_ms(config.get_duration("change_retention"));
  const auto least = 2 * replay_allowance(config) + std::chrono::seconds(10);
  if (retention < least)
    throw std::invalid_argument("change_retention: " + std::to_string(retention.count()) +
                                " ms is shorter than a replay needs with this statement_timeout: at least " +
                                std::to_string(least.count()) +
                                " ms (twice 2 × statement_timeout + max(statement_timeout, 1 s) + 5 s, and 10 s)");
}

/// This process: host, pid and a random suffix.
std::string default_instance_id() {
  char host[256] = {0};
  gethostname(host, sizeof host - 1);
  std::mt19937_64 random{std::random_device{}()};
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%08llx", static_cast<unsigned long long>(random() & 0xffffffffu));
  return std::string(host).substr(0, 64) + "-" + std::to_string(getpid()) + "-" + suffix;
}

/// What a statement does to the database: a write can fail (a full disk, a read-only server) where
/// a read succeeds.
enum class access { read, write };

/// The layer's health: the worst of the statement path and the listener. Until a statement has
/// reached the database, the listener's failure is the statements' reason too: it said "not
/// reached within 250 ms" until the first maintenance, 10 s later (audit: a missing database).
class health_board {
public:
  explicit health_board(plugin_host host) : host_(host) {}
  /// A statement's outcome; `ok` also says the database has been reached.
  void statements(bool ok, const std::string& detail) {
    std::lock_guard<std::mutex> guard(mutex_);
    reached_ = reached_ || ok;
    update(statements_, ok, detail);
  }
  /// The database not reached at the start; the listener's reason, if it has one by now, stays.
  void not_reached(const std::string& detail) {
    std::lock_guard<std::mutex> guard(mutex_);
    if (listener_.ok)
      update(statements_, false, detail);
  }
  void listener(bool ok, const std::string& detail) {
    std::lock_guard<std::mutex> guard(mutex_);
    update(listener_, ok, detail);
    if (!ok && !reached_)
      update(statements_, false, detail + "; trying again from the layer's thread");
  }

private:
  struct part {
    bool ok = true;
    std::string detail;
  };
  /// Under mutex_.
  void update(part& p, bool ok, const std::string& detail) {
    if (p.ok == ok && p.detail == detail)
      return;
    p.ok = ok;
    p.detail = detail;
    // Statements failing means no answers at all: critical. A lost listener only delays sync.
    if (!statements_.ok)
      host_.set_health(health_level::critical, "database failing: " + statements_.detail);
    else if (!listener_.ok)
      host_.set_health(health_level::warning, listener_.detail);
    else
      host_.set_health(health_level::healthy, statements_.detail);
  }
  plugin_host host_;
  std::mutex mutex_;
  part statements_, listener_;
  bool reached_ = false; ///< a statement has reached the database since the start
};

std::string tags_json(const std::vector<std::string>& tags) {
  return json(tags).dump(-1, ' ', false, json::error_handler_t::replace);
}

// A row changed outside strata (a confidence of 'abc', a state of 9) failed its key's every get
// with "column 1 is not a number", a fault for which the layer was replaced each time; tags that
// were no list were served as none (audit). Each column is read by name, and a row that cannot be
// read is refused, naming its key and column.

/// `read()`'s value, or std::runtime_error naming the column `name` it could not read.
template <class Read>
auto column(const char* name, Read read) {
  try {
    return read();
  } catch (const storage::store_error& e) {
    throw std::runtime_error(std::string("column ") + name + ": " + e.what());
  }
}

validation state_of(std::int64_t stored) {
  if (stored < 0 || stored > static_cast<std::int64_t>(validation::rejected))
    throw std::runtime_error("column state: " + std::to_string(stored) +
                             " is none of 0 (unverified), 1 (validated), 2 (rejected)");
  return static_cast<validation>(stored);
}

std::vector<std::string> tags_of(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  if (!j.is_array() || !std::all_of(j.begin(), j.end(), [](const json& t) { return t.is_string(); }))
    throw std::runtime_error("column tags: not a JSON list of strings");
  return j.get<std::vector<std::string>>();
}

const std::string& checked_channel(const std::string& channel) {
  if (channel.empty() || channel.size() > 63)
    throw std::invalid_argument("channel: a PostgreSQL channel name has 1 to 63 bytes (UTF-8), this one " +
                                std::to_string(channel.size()));
  return channel;
}

/// A change, and the head of its notification, which the database completes with the time it
/// logs the change.
struct announcement {
  change what;
  std::string head;
};

class global_layer : public layer {
public:
  /// Above the default connect_timeout (2 s, the least libpq takes; a request reconnects after a
  /// server restart) and statement_timeout (500 ms): a slow statement or connection then answers
  /// the layer's own `unavailable`, not the coordinator's `timeout`.
  static constexpr std::chrono::milliseconds default_deadline{3000};

  /// What the schema cannot say: the backend's name, the DSN's form, the channel's length, the
  /// order of the retry bounds, a change_retention too short for statement_timeout.
  static void check_config(const plugin_config& config) {
    config_refusals refused;
    refused.check([&] { storage::store_options_from(config); });
    refused.check([&] { storage::retry_bounds_from(config); });
    refused.check([&] { checked_channel(config.get_string("channel")); });
    refused.check([&] { check_retention(config); });
    refused.done();
  }

  explicit global_layer(const layer_context& context)
    : host_(context.host), health_(host_), db_(storage::open_store(global_store_options(context.config))),
      claim_(sqlite_claim(context.config, context.name, *db_)), // the store made the file's folder
      instance_id_(context.config.get_string("instance_id").empty() ? default_instance_id()
                                                                    : context.config.get_string("instance_id")),
      origin_(default_instance_id()),
      channel_(checked_channel(context.config.get_string("channel"))), default_ttl_(to_ms(context.config.get_duration("default_ttl"))),
      default_confidence_(context.config.get_double("default_confidence")),
      min_confidence_(context.config.get_double("min_confidence")),
      serve_unverified_(context.config.get_bool("serve_unverified")),
      maintenance_(to_ms(context.config.get_duration("maintenance_interval"))),
      change_retention_(to_ms(context.config.get_duration("change_retention"))),
      timeout_run_gap_(timeout_run_gap(context.config)),
      retry_(std::make_from_tuple<backoff>(storage::retry_bounds_from(context.config))),
      errors_(host_.counter("strata_global_errors_total", errors_help,
                            {{"source", "statement"}})),
      sent_(host_.counter("strata_global_sync_messages_total",
                          sync_messages_help,
                          {{"direction", "sent"}})),
      entries_(host_.entries_gauge()),
      listener_metrics_{host_.histogram("strata_global_sync_latency_seconds",
                                        "Time from a change in one instance to its notification arriving in another."),
                        host_.counter("strata_global_sync_messages_total",
                                      sync_messages_help,
                                      {{"direction", "received"}}),
                        host_.counter("strata_global_errors_total", errors_help,
                                      {{"source", "listener"}}),
                        host_.counter("strata_global_sync_messages_total",
                                      sync_messages_help,
                                      {{"direction", "replayed"}}),
                        host_.gauge("strata_global_heard_until_seconds",
                                    "The database's clock up to which the listener has heard every change (Unix "
                                    "seconds); a replay starts from there.")} {
    if (db_->dialect() == storage::dialect::sqlite) {
      ready(); // local: a newer schema refuses the start here (a file it cannot open or write, at its opening)
      return;
    }
    if (context.config.get_bool("sync")) {
      const auto retry_max = to_ms(context.config.get_duration("retry_max"));
      // A mark goes out at each maintenance that runs (not in the backoff) on a quiet channel.
      const auto silence_limit = std::max(maintenance_, retry_max) + sync_listener::mark_every + sync_listener::deaf_after;
      // The runtime keeps the gauge across the layer's instances: non-zero, this one replaces another.
      const auto predecessor_heard_us = std::llround(listener_metrics_.heard_until.value() * 1e6);
      listener_ = std::make_unique<sync_listener>(
        *db_,
        listener_settings{channel_, origin_, retry_.wait(), retry_max, replay_allowance(context.config), silence_limit,
                          predecessor_heard_us, &clock_},
        host_, listener_metrics_, [this, was_lost = false](bool ok, const std::string& detail) mutable {
          if (ok && was_lost) // the database answers again: statements need not wait out their backoff
            listener_heard_again_.store(true, std::memory_order_relaxed);
          was_lost = !ok;
          health_.listener(ok, detail);
        });
    }
    // The constructor runs in the coordinator (at start, and when supervision replaces the
    // layer): it waits for the server only briefly. A server that answers is listened to before
    // the layer serves anything (so no change made after this returns goes unheard) and has its
    // schema checked now (a newer one refuses the start); one that does not is tried again from
    // the layer's own thread.
    const bool answers = listener_ ? listener_->await_first_attempt(startup_wait) : true;
    if (answers)
      ready();
    else // critical from the start, not once a request or the maintenance finds out
      health_.not_reached("not reached within " + std::to_string(startup_wait.count()) +
                          " ms of the start; trying again from the layer's thread");
  }

  ~global_layer() override { listener_.reset(); }

  status get(std::string_view ns, std::string_view key, layer_hit& out) override {
    if (!db_->holds_text(ns) || !db_->holds_text(key))
      return status::not_found; // nothing can be stored under it
    std::vector<storage::row> rows;
    // Not a miss while the database is away: the key may be there. The chain goes on (to the
    // loader, when there is one); without one, the get answers unavailable, and a conditional
    // write (SET NX) is not taken for one on an absent key.
    if (!attempt<access::read>([&] { rows = db_->query(sql::get, {std::string(ns), std::string(key)}); }))
      return status::unavailable;
    if (rows.empty())
      return status::not_found;
    const auto& r = rows[0];
    try {
      const auto state = state_of(column("state", [&] { return r.integer(2); }));
      const auto expires = column("expires_at_us", [&] { return r.integer(3); });
      const auto now = clock_.now_us();
      if (state == validation::rejected || (state == validation::unverified && !serve_unverified_) ||
          column("confidence", [&] { return r.real(1); }) < min_confidence_ || (expires > 0 && expires <= now))
        return status::not_found;
      out.value = column("value", [&] { return r.text(0); });
      out.meta.ttl = expires > 0 ? std::chrono::ceil<std::chrono::milliseconds>(std::chrono::microseconds(expires - now))
                                 : std::chrono::milliseconds{0};
      out.meta.tags = tags_of(column("tags", [&] { return r.text(4); }));
    } catch (const std::runtime_error& e) {
      throw unreadable(ns, key, e.what());
    }
    return status::ok;
  }

  status put(std::string_view ns, std::string_view key, std::string_view value, const entry_options& options) override {
    if (options.ttl.count() < 0)
      return status::invalid; // not "no expiry": the runtime refuses it before any layer
    return write(std::string(ns), std::string(key), std::string(value), default_confidence_,
                 options.ttl.count() > 0 ? options.ttl : default_ttl_, options.tags);
  }

  /// An EXPIRE: the TTL of the entry (0: none), if it still holds `value` (another instance may
  /// have replaced or erased it since the runtime looked), also if it expired since. Its
  /// confidence, state, writer and tags stay. `not_found` either way: no value is written, so
  /// nothing a late answer would need mended.
  status put_kept(std::string_view ns, std::string_view key, std::string_view value,
                  const entry_options& options) override {
    if (options.ttl.count() < 0)
      return status::invalid;
    const auto announced = announce(false, std::string(ns), std::string(key));
    if (!db_->holds_text(ns) || !db_->holds_text(key) || !announced)
      return status::not_found; // the layer keeps no such key, and so has no TTL to change
    const auto now = clock_.now_us();
    std::uint64_t changed = 0;
    if (!attempt<access::write>([&] {
          db_->transact([&](storage::session& s) {
            changed = s.execute(sql::set_expiry, {std::string(ns), std::string(key), storage::blob{std::string(value)},
                                                  expiry_of(now, options.ttl), now});
            if (changed > 0) // the other instances' copies have the old TTL
              publish(s, *announced);
          });
          return changed > 0;
        }))
      return status::unavailable;
    return status::not_found;
  }

  status erase(std::string_view ns, std::string_view key) override {
    std::vector<storage::row> removed;
    const auto announced = announce(false, std::string(ns), std::string(key));
    if (!db_->holds_text(ns) || !db_->holds_text(key) || !announced)
      return status::not_found; // the layer keeps no such key
    if (!attempt<access::write>([&] {
          db_->transact([&](storage::session& s) {
            removed = s.query(sql::erase, {std::string(ns), std::string(key)});
            if (!removed.empty())
              publish(s, *announced);
          });
          return !removed.empty();
        }))
      return status::unavailable;
    // An expired row not yet purged was no entry, as for a get: erasing it finds nothing.
    const auto expires = removed.empty() ? std::int64_t{-1} : removed.front().integer(0);
    return expires == 0 || expires > clock_.now_us() ? status::ok : status::not_found;
  }

  std::size_t invalidate_tag(std::string_view ns, std::string_view tag) override {
    std::uint64_t removed = 0;
    const auto announced = announce(true, std::string(ns), std::string(tag));
    if (!db_->holds_text(ns) || !db_->holds_text(tag) || !announced)
      return 0; // the layer keeps no entry with such a tag (`keeps` refuses it at the put)
    if (!attempt<access::write>([&] {
          db_->transact([&](storage::session& s) {
            removed = s.execute(sql::erase_tag, {std::string(ns), std::string(tag)});
            if (removed > 0)
              publish(s, *announced);
          });
          return removed > 0;
        }))
      throw layer_unavailable("the database is unreachable: the tag's entries there are still held");
    return static_cast<std::size_t>(removed);
  }

  std::chrono::milliseconds maintenance_interval() const override { return maintenance_; }

  /// Removes expired rows and changes older than `change_retention`, refreshes the entry count,
  /// and sends the listener's mark when the channel is quiet; also how the layer finds the database
  /// again when no request comes.
  void maintain() override {
    // Reads first. Their success runs the write probe while writes are failing, so that an idle
    // node finds them working again.
    const bool answered = attempt<access::read>([&] {
      // The mark first: awaited from before it is sent, it finds a connection that stopped
      // answering (the listener's too, likely) 15 s later, even if this thread waits on it for good.
      send_mark();
      entries_.set(static_cast<double>(db_->query(sql::count).at(0).integer(0)));
      measure_clock();
    });
    // The deletes are writes: one refused (a read-only server refuses a delete even of nothing)
    // marks writes as failing once; as a read's failure, at each maintenance, it left reads
    // unanswered for the backoff. While writes fail they wait (an expired row is no entry).
    if (!answered || !write_failure_.empty())
      return;
    std::uint64_t purged = 0;
    attempt<access::write>([&] {
      // Batch after batch while each is full, for at most maintenance_budget: the layer's thread
      // serves requests too; what is left waits for the next maintenance.
      const auto until = std::chrono::steady_clock::now() + maintenance_budget;
      const auto in_batches = [&](auto&& delete_batch) {
        std::uint64_t total = 0, deleted = 0;
        do {
          deleted = delete_batch();
          total += deleted;
        } while (deleted >= static_cast<std::uint64_t>(maintenance_batch) && std::chrono::steady_clock::now() < until);
        return total;
      };
      const auto now_us = clock_.now_us();
      purged = in_batches([&] { return db_->execute(sql::purge, {now_us}); });
      const auto retention_us = static_cast<std::int64_t>(change_retention_.count()) * 1000;
      const auto pruned_here = db_->dialect() == storage::dialect::postgres
                                 ? in_batches([&] { return pruned(db_->query(sql::prune_changes, {retention_us})); })
                                 : 0;
      return purged + pruned_here > 0;
    });
    if (purged > 0)
      entries_.set(std::max(0.0, entries_.value() - static_cast<double>(purged)));
  }

  status command(std::string_view name, std::string_view json_args, std::string& json_out) override {
    const auto args = json::parse(json_args, nullptr, false);
    const auto fail = [&](status code, const std::string& why, const std::string& argument = {}) {
      json answer{{"error", why}};
      if (!argument.empty())
        answer["field"] = argument;
      json_out = answer.dump(-1, ' ', false, json::error_handler_t::replace);
      return code;
    };
    if (name != "entry" && name != "validate" && name != "reject" && name != "put")
      return fail(status::invalid, "unknown command '" + std::string(name) + "' (entry, put, validate, reject)");
    if (!args.is_object())
      return fail(status::invalid, "the arguments are not a JSON object");
    const std::vector<std::string> takes =
      name == "put"    ? std::vector<std::string>{"key", "ns", "value", "confidence", "ttl_ms", "tags"}
      : name == "entry" ? std::vector<std::string>{"key", "ns"}
                        : std::vector<std::string>{"key", "ns", "updated_at_us"};
    for (const auto& [argument, given] : args.items())
      if (std::find(takes.begin(), takes.end(), argument) == takes.end()) {
        std::string list;
        for (const auto& t : takes)
          list += (list.empty() ? "" : ", ") + t;
        return fail(status::invalid, "unknown argument '" + argument + "' (" + std::string(name) + " takes " + list + ")",
                    argument);
      }
    if (!args.contains("key") || !args["key"].is_string())
      return fail(status::invalid, "'key' (a string) is required", "key");
    // Types first, each named (a wrong one said "[json.exception.type_error.302] ...").
    if (args.contains("ns") && !args["ns"].is_string())
      return fail(status::invalid, "'ns' must be a string", "ns");
    if (args.contains("confidence") && !args["confidence"].is_number())
      return fail(status::invalid, "'confidence' must be a number between 0 and 1", "confidence");
    if (args.contains("updated_at_us") && !args["updated_at_us"].is_number_integer())
      return fail(status::invalid, "'updated_at_us' must be an integer (the entry's, as the entry command shows it)",
                  "updated_at_us");
    if (args.contains("ttl_ms") && !args["ttl_ms"].is_number_integer())
      return fail(status::invalid, "'ttl_ms' must be an integer of milliseconds", "ttl_ms");
    // As the runtime bounds a put's TTL: a row past it was written, and every read of it, on
    // every node, then failed as a hit the runtime refused (audit).
    if (args.contains("ttl_ms") && args["ttl_ms"].is_number_unsigned() &&
        args["ttl_ms"].get<std::uint64_t>() > static_cast<std::uint64_t>(units::max_ttl.count()))
      return fail(status::invalid, "'ttl_ms' must be at most " + std::to_string(units::max_ttl.count()) + " (" +
                                     std::to_string(units::max_ttl.count() / 86'400'000) + " days)",
                  "ttl_ms");
    if (args.contains("tags") && !(args["tags"].is_array() && std::all_of(args["tags"].begin(), args["tags"].end(),
                                                                        [](const json& t) { return t.is_string(); })))
      return fail(status::invalid, "'tags' must be a list of strings", "tags");
    try {
      const std::string ns = args.value("ns", std::string(default_namespace));
      const std::string key = args["key"].get<std::string>();
      if (ns.empty())
        return fail(status::invalid, "'ns' must not be empty", "ns");
      if (const auto why = refusal(ns, key, {}); !why.empty()) // no such entry can be stored
        return fail(status::invalid, why);
      if (name == "entry")
        return describe(ns, key, json_out);
      if (name == "validate" || name == "reject")
        return judge(ns, key, name == "validate" ? validation::validated : validation::rejected,
                     args.contains("updated_at_us") ? std::optional<std::int64_t>(args["updated_at_us"].get<std::int64_t>())
                                                    : std::nullopt,
                     json_out);
      // put
      if (!args.contains("value") || !args["value"].is_string())
        return fail(status::invalid, "'value' (a string) is required", "value");
      const double confidence = args.value("confidence", default_confidence_);
      if (!(confidence >= 0.0 && confidence <= 1.0))
        return fail(status::invalid, "'confidence' must be between 0 and 1", "confidence");
      const auto ttl = std::chrono::milliseconds(args.value("ttl_ms", std::int64_t{0}));
      if (ttl.count() < 0)
        return fail(status::invalid, "'ttl_ms' must not be negative", "ttl_ms");
      const auto tags = args.value("tags", std::vector<std::string>{});
      if (std::find(tags.begin(), tags.end(), std::string()) != tags.end()) // no invalidation could name it
        return fail(status::invalid, "'tags' must not hold an empty tag", "tags");
      if (const auto why = refusal(ns, key, tags); !why.empty())
        return fail(status::invalid, why);
      const auto code = write(ns, key, args["value"].get<std::string>(), confidence,
                              ttl.count() > 0 ? ttl : default_ttl_, tags);
      if (code == status::ok)
        host_.invalidate_key(ns, key); // this instance's own copies above are stale too
      json_out = json{{"written", code == status::ok}}.dump();
      return code;
    } catch (const json::exception& e) {
      return fail(status::invalid, std::string("bad arguments: ") + e.what());
    }
  }

private:
  /// Makes sure the schema is migrated and the statements registered; once, when the database
  /// first answers.
  void ready() {
    if (ready_)
      return;
    try {
      db_->migrate(schema_component, schema());
      prepare_statements(*db_);
      ready_ = true;
      report_statements();
    } catch (const storage::store_error& e) {
      if (e.code() != status::unavailable && e.code() != status::timeout)
        throw; // a schema newer than this build, or a broken database: refuse to start
      failed(e);
      return;
    }
    // Before the layer serves, so that its first expiries are by the database's clock. A reading
    // that fails is no failed start: the next maintenance reads it again (by this host's clock
    // meanwhile).
    try {
      measure_clock();
    } catch (const storage::store_error& e) {
      if (e.code() != status::unavailable && e.code() != status::timeout)
        throw; // a statement not prepared, a broken database: as any statement's
      host_.log(log_level::warn, std::string("the database's clock could not be read: ") + e.what() +
                                   "; the offset read last (none yet: this host's clock) is used until the next "
                                   "maintenance reads it");
    }
  }

  /// Reads the database's clock again (PostgreSQL; SQLite's is this host's): hosts whose clocks
  /// differ then agree on expiries, and the offset follows a clock stepped since. A failure is
  /// the caller's, and the offset stays as it was.
  void measure_clock() {
    if (db_->dialect() == storage::dialect::postgres)
      clock_.measure([this] { return db_->query(sql::database_now).at(0).integer(0); });
  }

  /// Whether the listener listens again since the last call: the database answers, and a request
  /// in the statements' backoff tries it at once (the replay as it listened again dropped copies
  /// above, which a read then found unavailable for up to `retry_max`; audit).
  bool listener_heard_again() { return listener_heard_again_.exchange(false, std::memory_order_relaxed); }

  /// Runs `work` unless the database is in its backoff period; a failure is counted and starts
  /// (or extends) the backoff. False when the work did not run to the end. A write's `work` says
  /// whether it changed a row: a write that fails keeps the layer critical until one that changes
  /// a row succeeds (reads that succeed meanwhile, as on a full disk or a read-only server, said it
  /// was healthy while every put failed: audit; so did an erase of an absent key, which writes
  /// nothing).
  template <access kind, class F>
  bool attempt(F&& work) {
    constexpr bool says_if_it_wrote = std::is_same_v<std::invoke_result_t<F>, bool>;
    static_assert(says_if_it_wrote == (kind == access::write), "a write's work says whether it changed a row, a read's nothing");
    if (!ready_) {
      if (!retry_.due() && !listener_heard_again())
        return false;
      ready();
      if (!ready_)
        return false;
    } else if (down_ && !retry_.due() && !listener_heard_again()) {
      return false;
    }
    bool wrote = false;
    try {
      if constexpr (says_if_it_wrote)
        wrote = work();
      else
        work();
    } catch (const storage::store_error& e) {
      if (e.code() == status::invalid || e.code() == status::internal)
        throw; // a bug, not an outage: the host counts it and restarts the layer
      failed(e);
      if (kind == access::write && down_) // not a lone statement past statement_timeout
        write_failure_ = e.what();
      return false;
    }
    down_ = false;
    timing_out_since_.reset();
    retry_.succeeded();
    if (wrote)
      write_failure_.clear();
    else if (!write_failure_.empty())
      probe_writes();
    if (write_failure_.empty() && std::exchange(outage_logged_, false))
      host_.log(log_level::info, "the database answers again");
    report_statements();
    return true;
  }

  /// While writes are failing, whether one works now: at most once a second (reads may come at
  /// any rate), with a write that changes nothing. Its failure is counted, and leaves reads served.
  void probe_writes() {
    const auto now = std::chrono::steady_clock::now();
    if (now - last_write_probe_ < std::chrono::seconds(1))
      return;
    last_write_probe_ = now;
    try {
      // In a transaction, as the layer's writes are: SQLite checks there that its file is still the
      // one on disk.
      std::uint64_t changed = 0;
      db_->transact([&](storage::session& s) {
        changed = s.execute(sql::write_probe, {std::int64_t{1}});
        s.execute(sql::write_probe, {std::int64_t{-1}});
      });
      if (changed > 0) // a missing row proves nothing
        write_failure_.clear();
    } catch (const storage::store_error& e) {
      if (e.code() == status::invalid || e.code() == status::internal)
        throw;
      errors_.inc();
      write_failure_ = e.what();
    }
  }

  /// The statements' health once the database answered: critical while writes fail.
  void report_statements() {
    if (write_failure_.empty())
      health_.statements(true, "schema version " + std::to_string(schema().size()));
    else
      health_.statements(false, "writes fail, reads are answered: " + write_failure_);
  }

  void failed(const storage::store_error& e) {
    errors_.inc();
    // A statement cancelled by statement_timeout is that statement's failure: the server answered.
    // Taken for an outage, one slow statement (a lock held elsewhere, a large delete) failed every
    // request for the backoff and a schema check after it. Such failures in a row (timeout_run_gap)
    // for timeouts_before_outage with none succeeding are an overloaded server, left alone for the
    // backoff as an unreachable one is.
    if (e.code() == status::timeout && ready_ && !down_) {
      const auto now = std::chrono::steady_clock::now();
      if (!timing_out_since_ || now - last_timed_out_ > timeout_run_gap_)
        timing_out_since_ = now;
      last_timed_out_ = now;
      if (now - *timing_out_since_ < timeouts_before_outage) {
        log_failure("a database statement ran past statement_timeout; its request answered unavailable, and " +
                    std::to_string(timeouts_before_outage.count()) +
                    " s of such in a row with none succeeding are taken as the database failing: " + e.what());
        return;
      }
    }
    timing_out_since_.reset();
    retry_.failed();
    listener_heard_again_.store(false, std::memory_order_relaxed); // it listened again before this failure
    // The database that answers next may not be the one that failed (restored, or migrated by a
    // newer build meanwhile): its schema is checked again before anything is written to it.
    ready_ = false;
    if (!down_ && log_failure("a database statement failed (unreachable, slower than statement_timeout for " +
                              std::to_string(timeouts_before_outage.count()) +
                              " s, or refusing the write), answering unavailable: " + e.what()))
      outage_logged_ = true;
    down_ = true;
    health_.statements(false, e.what());
  }

  /// The answer to a read of `key`'s row, which cannot be read for `why` (a column changed outside
  /// strata): logged as a failure is, and answered `unavailable`, as the layer is not at fault.
  layer_unavailable unreadable(std::string_view ns, std::string_view key, const std::string& why) {
    errors_.inc();
    const auto what = "the row of key '" + std::string(key) + "' in namespace '" + std::string(ns) +
                      "' cannot be read (" + why + "): changed outside strata? a write of the key replaces it";
    log_failure(what);
    return layer_unavailable(what);
  }

  /// Logs the failure `line`, unless it is the one logged last and that was less than a minute
  /// ago: writes failing between reads that succeed (a full disk, a deleted file) logged two lines
  /// per write. Whether it logged.
  bool log_failure(const std::string& line) {
    const auto now = std::chrono::steady_clock::now();
    if (line == last_logged_failure_ && now - last_logged_at_ < std::chrono::minutes(1))
      return false;
    host_.log(log_level::error, line + " (the same failure is logged again a minute later at the earliest)");
    last_logged_failure_ = line;
    last_logged_at_ = now;
    return true;
  }

  /// The notification of a change, or nothing when it is too long to send on PostgreSQL (the
  /// write is then refused: the other instances could not be told).
  std::optional<announcement> announce(bool tag, std::string ns, std::string what) const {
    announcement a{change{origin_, tag, std::move(ns), std::move(what), clock_.now_us()}, {}};
    a.head = encode_head(a.what);
    // Counted with the longest origin any process has, not this one's: whether a key fits must
    // not depend on the host's name (another node could not erase what this one wrote).
    const auto longest = a.head.size() + logged_payload_room - origin_.size() + origin_budget;
    if (longest > max_payload && db_->dialect() == storage::dialect::postgres)
      return std::nullopt;
    return a;
  }

  /// Why the layer cannot keep an entry of `ns`, `key` and `tags`, or empty when it can: the
  /// database must hold them as text (PostgreSQL: UTF-8 without NUL), the tags go with a hit as
  /// JSON (UTF-8: a tag replaced there would not be the tag the copy above is invalidated by), and
  /// the key's change, and each tag's invalidation, must fit a notification.
  std::string refusal(const std::string& ns, const std::string& key, const std::vector<std::string>& tags) const {
    const char* text = db_->dialect() == storage::dialect::postgres ? "UTF-8 without a NUL byte (PostgreSQL text)"
                                                                    : "text";
    if (!db_->holds_text(ns))
      return std::string("the namespace is not ") + text;
    if (!db_->holds_text(key))
      return std::string("the key is not ") + text;
    if (!announce(false, ns, key))
      return "the key is too long to announce (a NOTIFY payload holds 8000 bytes)";
    for (const auto& tag : tags) {
      if (!db_->holds_text(tag) || invalid_utf8_at(tag) != std::string::npos)
        return "a tag is not UTF-8";
      if (!announce(true, ns, tag))
        return "a tag is too long to announce (a NOTIFY payload holds 8000 bytes)";
    }
    return {};
  }

  /// A mark on the channel, with the database's clock, when the listener heard nothing for a while:
  /// hearing it shows how far it has heard, and not hearing it that its connection went deaf. From
  /// the layer's thread, not the listener's: a statement connection that stalls holds this thread
  /// until the deadline replaces the instance, and would have held the listener unseen. Only a
  /// quiet listener sends one: on a busy channel what it hears shows as much.
  void send_mark() {
    const auto now = std::chrono::steady_clock::now();
    if (!listener_ || listener_->heard_within(sync_listener::mark_every) || now - last_mark_ < sync_listener::mark_every)
      return;
    last_mark_ = now;
    change m;
    m.origin = origin_;
    m.mark = true;
    m.sent_us = clock_.now_us();
    listener_->send_mark([&] { db_->query(sql::mark, {channel_, encode_head(m)}); });
  }

  /// Logs the change and sends its notification in the change's transaction: both happen only if
  /// the change commits.
  void publish(storage::session& s, const announcement& a) {
    if (db_->dialect() != storage::dialect::postgres)
      return;
    s.query(sql::notify, {channel_, a.head, a.what.origin, std::int64_t{a.what.tag ? 1 : 0}, a.what.ns, a.what.what});
    sent_.inc();
  }

  status write(const std::string& ns, const std::string& key, const std::string& value, double confidence,
               std::chrono::milliseconds ttl, const std::vector<std::string>& tags) {
    if (!refusal(ns, key, tags).empty()) {
      // Kept by the layers above, if they can; what this layer held for the key goes, or it
      // would serve the old value once they let the new one go.
      if (!refusal(ns, key, {}).empty())
        return status::rejected; // no entry of that key can be here
      const auto dropped = erase(ns, key);
      return dropped == status::ok || dropped == status::not_found ? status::rejected : dropped;
    }
    const auto announced = announce(false, ns, key);
    const auto now = clock_.now_us();
    const auto expires = expiry_of(now, ttl);
    if (!attempt<access::write>([&] {
          db_->transact([&](storage::session& s) {
            s.execute(sql::upsert, {ns, key, storage::blob{value}, confidence, instance_id_,
                                    static_cast<std::int64_t>(validation::unverified), expires, now, tags_json(tags)});
            s.execute(sql::clear_tags, {ns, key});
            for (const auto& tag : tags)
              s.execute(sql::add_tag, {ns, tag, key});
            publish(s, *announced);
          });
          return true;
        }))
      return status::unavailable;
    return status::ok;
  }

  status describe(const std::string& ns, const std::string& key, std::string& json_out) {
    std::vector<storage::row> rows;
    if (!attempt<access::read>([&] { rows = db_->query(sql::entry, {ns, key}); })) {
      json_out = json{{"error", "the database is unreachable"}}.dump();
      return status::unavailable;
    }
    try {
      // An expired row not yet purged is no entry, as for a get and for validate.
      const auto expires = rows.empty() ? 0 : column("expires_at_us", [&] { return rows[0].integer(4); });
      if (rows.empty() || (expires != 0 && expires <= clock_.now_us())) {
        json_out = json{{"found", false}}.dump();
        return status::not_found;
      }
      const auto& r = rows[0];
      json_out = json{{"found", true},
                      {"value", column("value", [&] { return r.text(0); })},
                      {"confidence", column("confidence", [&] { return r.real(1); })},
                      {"writer", column("writer", [&] { return r.text(2); })},
                      {"state", to_string(state_of(column("state", [&] { return r.integer(3); })))},
                      {"expires_at_us", expires},
                      {"updated_at_us", column("updated_at_us", [&] { return r.integer(5); })},
                      {"tags", tags_of(column("tags", [&] { return r.text(6); }))}}
                   .dump(-1, ' ', false, json::error_handler_t::replace);
    } catch (const std::runtime_error& e) {
      json_out = json{{"error", unreadable(ns, key, e.what()).what()}}.dump(-1, ' ', false, json::error_handler_t::replace);
      return status::unavailable;
    }
    return status::ok;
  }

  /// The verdict on the entry; with `seen` (its updated_at_us as the reviewer's `entry` showed it),
  /// only if it has not changed since: another node may have written another value meanwhile,
  /// which a validate would have served unseen.
  status judge(const std::string& ns, const std::string& key, validation verdict, std::optional<std::int64_t> seen,
               std::string& json_out) {
    std::uint64_t changed = 0;
    const auto announced = announce(false, ns, key);
    if (!announced || !attempt<access::write>([&] {
          db_->transact([&](storage::session& s) {
            const auto now = clock_.now_us();
            const auto state = static_cast<std::int64_t>(verdict);
            changed = seen ? s.execute(sql::set_state_if, {ns, key, state, now, *seen})
                           : s.execute(sql::set_state, {ns, key, state, now});
            // A rejected entry is no longer served: every copy of it must go.
            if (changed > 0 && verdict == validation::rejected)
              publish(s, *announced);
          });
          return changed > 0;
        })) {
      json_out = json{{"error", "the database is unreachable"}}.dump();
      return status::unavailable;
    }
    if (changed > 0 && verdict == validation::rejected)
      host_.invalidate_key(ns, key);
    if (changed == 0 && seen) { // no such entry, or one written since the reviewer looked
      std::vector<storage::row> rows;
      if (attempt<access::read>([&] { rows = db_->query(sql::entry, {ns, key}); }) && !rows.empty()) {
        json_out = json{{"updated", false},
                        {"error", "the entry changed since updated_at_us " + std::to_string(*seen) + " (now " +
                                    std::to_string(rows[0].integer(5)) + "): look at it again (entry)"}}
                     .dump();
        return status::rejected;
      }
    }
    json_out = json{{"updated", changed > 0}, {"state", to_string(verdict)}}.dump();
    return changed > 0 ? status::ok : status::not_found;
  }

  plugin_host host_;
  health_board health_;
  std::unique_ptr<storage::store> db_;
  database_clock clock_; ///< every time written to or compared with the table's
  std::shared_ptr<const vector_index::file_claim> claim_; ///< SQLite: the file is this layer's
  std::string instance_id_; ///< the writer recorded with an entry
  std::string origin_;      ///< this process in its notifications, unique whatever instance_id says; at most origin_budget bytes
  std::string channel_;
  std::chrono::milliseconds default_ttl_;
  double default_confidence_;
  double min_confidence_;
  bool serve_unverified_;
  std::chrono::milliseconds maintenance_;
  std::chrono::milliseconds change_retention_;
  std::chrono::milliseconds timeout_run_gap_;
  backoff retry_;
  bool ready_ = false;
  bool down_ = false;
  std::atomic<bool> listener_heard_again_{false}; ///< set by the listener's thread
  bool outage_logged_ = false; ///< the failure that made the layer down was logged
  std::string write_failure_; ///< why the last write failed, until one succeeds; empty: none failed
  std::chrono::steady_clock::time_point last_write_probe_{}; ///< when probe_writes last wrote, or tried to
  /// When the run of statements cancelled by statement_timeout since the last success began, if
  /// any, and when the last of them was.
  std::optional<std::chrono::steady_clock::time_point> timing_out_since_;
  std::chrono::steady_clock::time_point last_timed_out_{};
  std::string last_logged_failure_;
  std::chrono::steady_clock::time_point last_logged_at_{};
  instruments::counter& errors_;
  instruments::counter& sent_;
  instruments::gauge& entries_;
  listener_metrics listener_metrics_;
  std::unique_ptr<sync_listener> listener_;
  std::chrono::steady_clock::time_point last_mark_{}; ///< when the last mark was sent
};

const strata_config_key schema_keys[] = {
  {"backend", STRATA_VALUE_STRING, "sqlite", "postgres (shared by every instance) or sqlite (one node)", 0, 0, 0, 0},
  {"dsn", STRATA_VALUE_STRING, "", "PostgreSQL connection string; empty: the environment variable STRATA_PG_DSN", 0, 0, 0, 0},
  // A file key (ABI 1.6), so that check-config refuses another part of the deployment on it (a
  // json exporter's snapshot replaced the database: audit). Its default, unused with backend
  // postgres, clashes with no other default (validate.cpp).
  {"sqlite_path", STRATA_VALUE_FILE, "strata-data/global.sqlite3", "SQLite database file (its folder is created)", 0, 0, 0, 0},
  {"instance_id", STRATA_VALUE_STRING, "", "this instance's name as the writer of entries; empty: host-pid-random", 0, 0, 0, 0},
  {"channel", STRATA_VALUE_STRING, "strata_global", "PostgreSQL NOTIFY channel of the instances that share the table", 0, 0, 0, 0},
  {"sync", STRATA_VALUE_BOOL, "true", "listen for other instances' changes and drop stale copies above (PostgreSQL)", 0, 0, 0, 0},
  {"pool_size", STRATA_VALUE_INT, "2", "PostgreSQL connections kept for statements", 1, 1, 1, 64},
  {"connect_timeout", STRATA_VALUE_DURATION, "2s", "how long a connection attempt may take", 1, 1000, 0, 0},
  // At most 2^31 - 1 ms (~24.8 days): SQLite's busy timeout and PostgreSQL's statement_timeout are ints of ms.
  {"statement_timeout", STRATA_VALUE_TIMEOUT, "500ms", "a statement slower than this fails", 1, 1, 1, 2147483647},
  {"retry_min", STRATA_VALUE_DURATION, "100ms", "first wait before trying an unreachable database again", 1, 1, 0, 0},
  {"retry_max", STRATA_VALUE_DURATION, "5s", "longest wait between tries (the wait doubles up to it)", 1, 1, 0, 0},
  {"default_ttl", STRATA_VALUE_DURATION, "0", "TTL of a put that names none; 0: no expiry", 1, 0, 0, 0},
  {"default_confidence", STRATA_VALUE_DOUBLE, "1.0", "confidence recorded with a put", 1, 0, 1, 1},
  {"min_confidence", STRATA_VALUE_DOUBLE, "0.0", "entries below this confidence are not served", 1, 0, 1, 1},
  {"serve_unverified", STRATA_VALUE_BOOL, "true", "serve entries nobody validated yet (rejected ones never are)", 0, 0, 0, 0},
  {"maintenance_interval", STRATA_VALUE_DURATION, "10s", "how often expired rows are removed and the entry count read", 1, 100, 0, 0},
  {"change_retention", STRATA_VALUE_DURATION, "1h", "how long announced changes are logged, for an instance that lost its listening connection to replay (PostgreSQL; the shortest of the instances sharing the table decides)", 1, 60000, 0, 0},
};

} // namespace
} // namespace strata::global

// Blocks on the database: not cooperative, each instance gets a thread of its own.
STRATA_LAYER_PLUGIN("global", "0.1.0", strata::global::global_layer, strata::global::schema_keys, 0)
