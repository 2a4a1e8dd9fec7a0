/// @file global_layer.cpp
/// The `global` layer plugin: entries shared by every instance through one database (PostgreSQL;
/// SQLite for a single node), with confidence, the writer, a validation state and a TTL. Every
/// change is announced on a NOTIFY channel; each instance's listener has its runtime drop the
/// stale copies in the layers above. While the database is unreachable the layer answers misses
/// at once, reports critical health, counts errors and retries with backoff (global_failures.cpp);
/// its commands are in global_commands.cpp. Here: the cache operations and the plugin.

#include "global_layer.hpp"

#include <strata/store_config.hpp>

#include <cmath>
#include <random>
#include <tuple>

#include <unistd.h>

namespace strata::global {
namespace {

std::chrono::milliseconds to_ms(std::chrono::nanoseconds d) { return std::chrono::ceil<std::chrono::milliseconds>(d); }

/// How long the constructor waits for PostgreSQL to take the listening connection.
constexpr std::chrono::milliseconds startup_wait{250};

/// The longest pause between two statements cancelled by statement_timeout that still continues
/// their run (timeouts_before_outage, in global_failures.cpp): a statement's time and a second.
/// Sparser ones (a maintenance delete past statement_timeout every 10 s on an idle node) each fail
/// alone; counted from the first, they made an outage of two.
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

std::string tags_json(const std::vector<std::string>& tags) {
  return json(tags).dump(-1, ' ', false, json::error_handler_t::replace);
}

const std::string& checked_channel(const std::string& channel) {
  if (channel.empty() || channel.size() > 63)
    throw std::invalid_argument("channel: a PostgreSQL channel name has 1 to 63 bytes (UTF-8), this one " +
                                std::to_string(channel.size()));
  return channel;
}

} // namespace

void global_layer::check_config(const plugin_config& config) {
  config_refusals refused;
  refused.check([&] { storage::store_options_from(config); });
  refused.check([&] { storage::retry_bounds_from(config); });
  refused.check([&] { checked_channel(config.get_string("channel")); });
  if (config.get_string("backend") == "postgres") // sqlite keeps no change log
    refused.check([&] { check_retention(config); });
  refused.done();
}

global_layer::global_layer(const layer_context& context)
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

global_layer::~global_layer() {
  listener_.reset();
}

status global_layer::get(std::string_view ns, std::string_view key, layer_hit& out) {
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

status global_layer::put(std::string_view ns, std::string_view key, std::string_view value, const entry_options& options) {
  if (options.ttl.count() < 0)
    return status::invalid; // not "no expiry": the runtime refuses it before any layer
  return write(std::string(ns), std::string(key), std::string(value), default_confidence_,
               options.ttl.count() > 0 ? options.ttl : default_ttl_, options.tags);
}

status global_layer::put_kept(std::string_view ns, std::string_view key, std::string_view value,
                              const entry_options& options) {
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

status global_layer::erase(std::string_view ns, std::string_view key) {
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

std::size_t global_layer::invalidate_tag(std::string_view ns, std::string_view tag) {
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

std::chrono::milliseconds global_layer::maintenance_interval() const {
  return maintenance_;
}

void global_layer::maintain() {
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

std::optional<announcement> global_layer::announce(bool tag, std::string ns, std::string what) const {
  announcement a{change{origin_, tag, std::move(ns), std::move(what), clock_.now_us()}, {}};
  a.head = encode_head(a.what);
  // Counted with the longest origin any process has, not this one's: whether a key fits must
  // not depend on the host's name (another node could not erase what this one wrote).
  const auto longest = a.head.size() + logged_payload_room - origin_.size() + origin_budget;
  if (longest > max_payload && db_->dialect() == storage::dialect::postgres)
    return std::nullopt;
  return a;
}

void global_layer::publish(storage::session& s, const announcement& a) {
  if (db_->dialect() != storage::dialect::postgres)
    return;
  s.query(sql::notify, {channel_, a.head, a.what.origin, std::int64_t{a.what.tag ? 1 : 0}, a.what.ns, a.what.what});
  sent_.inc();
}

status global_layer::write(const std::string& ns, const std::string& key, const std::string& value, double confidence,
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

namespace {

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
