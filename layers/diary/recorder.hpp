#pragma once
// The diary's observer: takes every interaction into a bounded buffer in the caller's thread
// (a copy and a short lock), and a writer thread of its own inserts the buffer in batches. While
// the database is away the records wait (up to the bound; beyond it new records are dropped,
// counted and logged) and are written when it is back. A watcher thread says when a call of the
// writer waits past every timeout (a frozen server, which fails nothing). Outlives the layer
// object: the runtime keeps it until it is destroyed.

#include <strata/backoff.hpp>
#include <strata/interaction.hpp>
#include <strata/plugin_host.hpp>
#include <strata/store.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace strata::diary {

struct recorder_settings {
  std::string writer;             ///< this process, unique per start
  std::size_t max_buffered = 100000;
  std::size_t batch_size = 512;
  std::chrono::milliseconds flush_interval{200};
  std::chrono::milliseconds retry_min{100}, retry_max{5000};
  /// A call to the database unanswered this long is stalled: longer than it may wait when the
  /// server answers (the layer sets 2 × connect_timeout + 4 × statement_timeout).
  std::chrono::milliseconds stalled_after{24000};
};

/// One interaction as the diary keeps it.
struct diary_record {
  std::int64_t seq = 0;
  std::int64_t at_us = 0;
  interaction_kind kind = interaction_kind::get;
  bool hit = false;
  status outcome = status::ok; ///< what the request answered
  std::int64_t latency_us = -1; ///< -1: not measured
  double importance = 0;
  std::string ns, query, layer, embedding;
};

/// How much a record is worth keeping, 0 to 1 (see README.md): a miss more than a hit, a hit
/// found deep more than one on the first layer, a slow answer more than a fast one.
double importance_of(const interaction& what);

class recorder : public interaction_observer {
public:
  /// `db` is shared with the layer; the schema must be ready or become so (`ensure_ready`: empty
  /// when it is, else why not, such as the database's refusal of the connection).
  recorder(std::shared_ptr<storage::store> db, recorder_settings settings, plugin_host host,
           std::function<std::string()> ensure_ready);
  ~recorder() override; ///< writes what it can (for at most 5 s), then stops
  /// The database was away when the diary started: said now (log, health critical), and cleared
  /// once it answers, whether or not there is anything to write.
  void starts_down(const std::string& why);

  void record(const interaction& what) noexcept override;

  /// Writes everything buffered now, from the calling thread; returns records written.
  std::size_t flush_now();

  std::size_t buffered() const;

private:
  void run();
  /// One batch of at most batch_size records: the records written or refused by the database
  /// (which are dropped; 0: nothing to write), or -1 when the write failed (the records not
  /// written are kept for the next attempt).
  long write_batch();
  /// `written` and `refused` records of the batch are done with.
  void advance(std::size_t written, std::size_t refused);
  /// The database took a write, or answered after being away: out of backoff, healthy.
  void database_answers();
  /// Counts, logs and reports a failed write, and starts the backoff; -1.
  long write_failed(const std::exception& e);
  /// The writer's report of the health; ends a stall the watcher reported (true if there was one).
  bool report(health_level level, const std::string& detail);
  /// The watcher's loop, until the writer ends: every quarter of `stalled_after` (at most a
  /// second), `check_stall`.
  void watch();
  /// A call in flight since before `stalled_after`: health critical, logged once, counts published;
  /// once more when it holds the stop.
  void check_stall();
  void publish_counts();
  bool stopping() const;

  std::shared_ptr<storage::store> db_;
  recorder_settings settings_;
  plugin_host host_;
  std::function<std::string()> ensure_ready_;
  instruments::counter_total accepted_;
  instruments::counter_total dropped_;
  instruments::counter& written_;
  instruments::counter& refused_;
  instruments::counter& errors_;
  instruments::gauge& buffered_gauge_;

  mutable std::mutex mutex_;
  std::condition_variable wake_;       ///< the writer's
  std::condition_variable watch_wake_; ///< the watcher's
  /// Filled by record(). The writer swaps it with its emptied `pending_`, so that in a steady
  /// state neither side allocates, and the caller's lock is held for a push_back only.
  std::vector<diary_record> buffer_;
  std::size_t in_flight_ = 0; ///< taken by the writer, not yet written (still count against the bound)
  std::int64_t next_seq_ = 0;
  std::uint64_t accepted_count_ = 0, dropped_count_ = 0; ///< published by publish_counts
  bool stopping_ = false;
  bool writer_done_ = false;

  std::mutex publish_mutex_; ///< publish_counts: the writer's, and the watcher's during a stall
  std::uint64_t episode_start_ = 0; ///< the episode of drops logged
  bool dropping_ = false;

  std::mutex write_mutex_; ///< one batch at a time (the writer thread, or flush_now)
  std::vector<diary_record> pending_; ///< taken from the buffer; written from `written_upto_` on
  std::size_t written_upto_ = 0;
  std::uint64_t written_total_ = 0; ///< records written since the start; under write_mutex_
  backoff retry_;
  bool down_ = false;

  /// When the writer's call to the database in flight began (steady clock, ns); 0: none.
  std::atomic<std::int64_t> call_started_ns_{0};
  std::mutex health_mutex_; ///< orders the watcher's reports with the writer's
  bool stalled_ = false;    ///< the watcher reported the call in flight; under health_mutex_
  bool stop_held_ = false;  ///< the watcher said that call holds the stop; under health_mutex_

  std::thread thread_;
  std::thread watcher_;
};

} // namespace strata::diary
