/// @file global_failures.cpp
/// How the global layer meets an unreachable or failing database: readiness, the database's
/// clock, failed statements and their backoff, health, the log's pace, the listener's mark.

#include "global_layer.hpp"

namespace strata::global {
namespace {

/// How long statements cancelled by statement_timeout, with none succeeding between, go on before
/// the database is taken as failing (backoff, critical health); until then each fails only its own
/// request. A time, not a count: a put on a row locked elsewhere times out, and so does its undo
/// and a retry of it, three in a moment.
constexpr std::chrono::seconds timeouts_before_outage{5};

} // namespace

void global_layer::ready() {
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

void global_layer::measure_clock() {
  if (db_->dialect() == storage::dialect::postgres)
    clock_.measure([this] { return db_->query(sql::database_now).at(0).integer(0); });
}

bool global_layer::listener_heard_again() {
  return listener_heard_again_.exchange(false, std::memory_order_relaxed);
}

void global_layer::probe_writes() {
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

void global_layer::report_statements() {
  if (write_failure_.empty())
    health_.statements(true, "schema version " + std::to_string(schema().size()));
  else
    health_.statements(false, "writes fail, reads are answered: " + write_failure_);
}

void global_layer::failed(const storage::store_error& e) {
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

layer_unavailable global_layer::unreadable(std::string_view ns, std::string_view key, const std::string& why) {
  errors_.inc();
  const auto what = "the row of key '" + std::string(key) + "' in namespace '" + std::string(ns) +
                    "' cannot be read (" + why + "): changed outside strata? a write of the key replaces it";
  log_failure(what);
  return layer_unavailable(what);
}

bool global_layer::log_failure(const std::string& line) {
  const auto now = std::chrono::steady_clock::now();
  if (line == last_logged_failure_ && now - last_logged_at_ < std::chrono::minutes(1))
    return false;
  host_.log(log_level::error, line + " (the same failure is logged again a minute later at the earliest)");
  last_logged_failure_ = line;
  last_logged_at_ = now;
  return true;
}

void global_layer::send_mark() {
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

} // namespace strata::global
