#pragma once
/// @file global_layer.hpp
/// The global layer's class and what its files share: global_layer.cpp (the cache operations and
/// the plugin), global_commands.cpp (entry, put, validate, reject) and global_failures.cpp (an
/// unreachable or failing database: readiness, backoff, health).

#include "database_clock.hpp"
#include "file_claim.hpp"
#include "global_schema.hpp"
#include "sync_listener.hpp"
#include "sync_message.hpp"

#include <strata/backoff.hpp>
#include <strata/entry.hpp>
#include <strata/sdk.hpp>
#include <strata/store.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace strata::global {

using json = nlohmann::json;

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

/// A change, and the head of its notification, which the database completes with the time it
/// logs the change.
struct announcement {
  change what;
  std::string head;
};

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

inline validation state_of(std::int64_t stored) {
  if (stored < 0 || stored > static_cast<std::int64_t>(validation::rejected))
    throw std::runtime_error("column state: " + std::to_string(stored) +
                             " is none of 0 (unverified), 1 (validated), 2 (rejected)");
  return static_cast<validation>(stored);
}

inline std::vector<std::string> tags_of(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  if (!j.is_array() || !std::all_of(j.begin(), j.end(), [](const json& t) { return t.is_string(); }))
    throw std::runtime_error("column tags: not a JSON list of strings");
  return j.get<std::vector<std::string>>();
}

/// The `global` layer: entries shared by every instance through one database, with confidence,
/// the writer, a validation state and a TTL; each change announced to the other instances, whose
/// listeners drop the stale copies above (global_layer.cpp says more).
class global_layer : public layer {
public:
  /// Above the default connect_timeout (2 s, the least libpq takes; a request reconnects after a
  /// server restart) and statement_timeout (500 ms): a slow statement or connection then answers
  /// the layer's own `unavailable`, not the coordinator's `timeout`.
  static constexpr std::chrono::milliseconds default_deadline{3000};

  /// What only one backend reads: set with the other, refused (ABI 1.8), not ignored.
  static constexpr strata_key_condition key_conditions[] = {
    {"dsn", "backend", "postgres"},     {"pool_size", "backend", "postgres"},
    {"connect_timeout", "backend", "postgres"}, {"channel", "backend", "postgres"},
    {"sync", "backend", "postgres"},    {"change_retention", "backend", "postgres"},
    {"sqlite_path", "backend", "sqlite"},
  };

  /// What the schema cannot say: the backend's name, the DSN's form, the channel's length, the
  /// order of the retry bounds, a change_retention too short for statement_timeout (PostgreSQL:
  /// sqlite keeps no change log).
  static void check_config(const plugin_config& config);

  explicit global_layer(const layer_context& context);

  ~global_layer() override;

  status get(std::string_view ns, std::string_view key, layer_hit& out) override;

  status put(std::string_view ns, std::string_view key, std::string_view value, const entry_options& options) override;

  /// An EXPIRE: the TTL of the entry (0: none), if it still holds `value` (another instance may
  /// have replaced or erased it since the runtime looked), also if it expired since. Its
  /// confidence, state, writer and tags stay. `not_found` either way: no value is written, so
  /// nothing a late answer would need mended.
  status put_kept(std::string_view ns, std::string_view key, std::string_view value,
                  const entry_options& options) override;

  status erase(std::string_view ns, std::string_view key) override;

  std::size_t invalidate_tag(std::string_view ns, std::string_view tag) override;

  std::chrono::milliseconds maintenance_interval() const override;

  /// Removes expired rows and changes older than `change_retention`, refreshes the entry count,
  /// and sends the listener's mark when the channel is quiet; also how the layer finds the database
  /// again when no request comes.
  void maintain() override;

  status command(std::string_view name, std::string_view json_args, std::string& json_out) override;

private:
  /// Makes sure the schema is migrated and the statements registered; once, when the database
  /// first answers.
  void ready();

  /// Reads the database's clock again (PostgreSQL; SQLite's is this host's): hosts whose clocks
  /// differ then agree on expiries, and the offset follows a clock stepped since. A failure is
  /// the caller's, and the offset stays as it was.
  void measure_clock();

  /// Whether the listener listens again since the last call: the database answers, and a request
  /// in the statements' backoff tries it at once (the replay as it listened again dropped copies
  /// above, which a read then found unavailable for up to `retry_max`; audit).
  bool listener_heard_again();

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
  void probe_writes();

  /// The statements' health once the database answered: critical while writes fail.
  void report_statements();

  void failed(const storage::store_error& e);

  /// The answer to a read of `key`'s row, which cannot be read for `why` (a column changed outside
  /// strata): logged as a failure is, and answered `unavailable`, as the layer is not at fault.
  layer_unavailable unreadable(std::string_view ns, std::string_view key, const std::string& why);

  /// Logs the failure `line`, unless it is the one logged last and that was less than a minute
  /// ago: writes failing between reads that succeed (a full disk, a deleted file) logged two lines
  /// per write. Whether it logged.
  bool log_failure(const std::string& line);

  /// The notification of a change, or nothing when it is too long to send on PostgreSQL (the
  /// write is then refused: the other instances could not be told).
  std::optional<announcement> announce(bool tag, std::string ns, std::string what) const;

  /// Why the layer cannot keep an entry of `ns`, `key` and `tags`, or empty when it can: the
  /// database must hold them as text (PostgreSQL: UTF-8 without NUL), the tags go with a hit as
  /// JSON (UTF-8: a tag replaced there would not be the tag the copy above is invalidated by), and
  /// the key's change, and each tag's invalidation, must fit a notification.
  std::string refusal(const std::string& ns, const std::string& key, const std::vector<std::string>& tags) const;

  /// A mark on the channel, with the database's clock, when the listener heard nothing for a while:
  /// hearing it shows how far it has heard, and not hearing it that its connection went deaf. From
  /// the layer's thread, not the listener's: a statement connection that stalls holds this thread
  /// until the deadline replaces the instance, and would have held the listener unseen. Only a
  /// quiet listener sends one: on a busy channel what it hears shows as much.
  void send_mark();

  /// Logs the change and sends its notification in the change's transaction: both happen only if
  /// the change commits.
  void publish(storage::session& s, const announcement& a);

  status write(const std::string& ns, const std::string& key, const std::string& value, double confidence,
               std::chrono::milliseconds ttl, const std::vector<std::string>& tags);

  status describe(const std::string& ns, const std::string& key, std::string& json_out);

  /// The verdict on the entry; with `seen` (its updated_at_us as the reviewer's `entry` showed it),
  /// only if it has not changed since: another node may have written another value meanwhile,
  /// which a validate would have served unseen.
  status judge(const std::string& ns, const std::string& key, validation verdict, std::optional<std::int64_t> seen,
               std::string& json_out);

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

} // namespace strata::global
