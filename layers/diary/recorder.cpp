#include "recorder.hpp"

#include "diary_schema.hpp"

#include <algorithm>

#include <time.h>

namespace strata::diary {

namespace {

constexpr const char* records_help =
  "Interactions the diary took, dropped (buffer full), wrote, or that the database refused for what they hold.";

/// The wall clock at the kernel's tick (1 to 4 ms), at a fraction of the cost of the precise one:
/// the order of records is their sequence number, not their time.
std::int64_t coarse_wall_clock_us() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000 + ts.tv_nsec / 1000;
}

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

/// Marks the writer's calls to the database in flight for the watcher: `begin` before each call,
/// `end` once the database answered, before the health is reported (a stamp left behind would
/// have the watcher report a stall after it).
class call_stamp {
public:
  explicit call_stamp(std::atomic<std::int64_t>& started) : started_(started) {}
  ~call_stamp() { end(); }
  call_stamp(const call_stamp&) = delete;
  call_stamp& operator=(const call_stamp&) = delete;
  void begin() { started_.store(steady_ns(), std::memory_order_release); }
  void end() { started_.store(0, std::memory_order_release); }

private:
  std::atomic<std::int64_t>& started_;
};

} // namespace

double importance_of(const interaction& what) {
  double base = 0.3; // writes and invalidations
  if (what.kind == interaction_kind::get)
    base = what.outcome != status::ok ? 0.6 : what.latency.count() < 0 ? 0.2 : 0.4;
  const double ms = what.latency.count() > 0 ? static_cast<double>(what.latency.count()) / 1e6 : 0.0;
  return std::min(1.0, base + std::min(0.4, ms / 250.0));
}

recorder::recorder(std::shared_ptr<storage::store> db, recorder_settings settings, plugin_host host,
                   std::function<std::string()> ensure_ready)
  : db_(std::move(db)), settings_(std::move(settings)), host_(host), ensure_ready_(std::move(ensure_ready)),
    accepted_(host_.counter("strata_diary_records_total", records_help,
                            {{"status", "accepted"}})),
    dropped_(host_.counter("strata_diary_records_total", records_help,
                           {{"status", "dropped"}})),
    written_(host_.counter("strata_diary_records_total", records_help,
                           {{"status", "written"}})),
    refused_(host_.counter("strata_diary_records_total", records_help,
                           {{"status", "refused"}})),
    errors_(host_.counter("strata_diary_write_errors_total", "Batches the diary failed to write (retried later), or with a record the database refused.")),
    buffered_gauge_(host_.gauge("strata_diary_buffered_records", "Records waiting to be written.")),
    retry_(settings_.retry_min, settings_.retry_max) {
  report(health_level::healthy, "0 records buffered"); // as after each write, rather than no detail until the first
  thread_ = std::thread([this] { run(); });
  watcher_ = std::thread([this] { watch(); });
}

recorder::~recorder() {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join(); // the watcher says if a call to a stalled database holds it
  {
    std::lock_guard<std::mutex> guard(mutex_);
    writer_done_ = true;
  }
  watch_wake_.notify_all();
  watcher_.join();
  publish_counts();
  const auto left = buffered();
  if (left > 0)
    host_.log(log_level::error, "diary stopped with " + std::to_string(left) +
                                  " records not written: the database was unreachable or too slow");
}

void recorder::record(const interaction& what) noexcept try {
  diary_record r;
  r.at_us = coarse_wall_clock_us();
  r.kind = what.kind;
  r.hit = what.kind == interaction_kind::get && what.outcome == status::ok;
  r.outcome = what.outcome;
  r.latency_us = what.latency.count() < 0 ? -1 : what.latency.count() / 1000;
  r.importance = importance_of(what);
  // A key PostgreSQL text cannot hold (not UTF-8, or a NUL) is recorded with U+FFFD in its place:
  // refused, it would hold up every record behind it.
  const auto text = [this](std::string_view t) { return db_->holds_text(t) ? std::string(t) : storage::storable_text(t); };
  r.ns = text(what.ns);
  r.query = text(what.key);
  r.layer = text(what.layer);
  if (what.embedding != nullptr && what.dimension > 0)
    r.embedding.assign(reinterpret_cast<const char*>(what.embedding), what.dimension * sizeof(float));
  bool wake = false;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    if (buffer_.size() + in_flight_ >= settings_.max_buffered) {
      ++dropped_count_; // the writer publishes and logs it, outside the caller's thread
      return;
    }
    r.seq = next_seq_++;
    buffer_.push_back(std::move(r));
    ++accepted_count_;
    wake = buffer_.size() == settings_.batch_size;
  }
  if (wake)
    wake_.notify_one();
} catch (...) {
  // Out of memory: this record is lost; the caller's request is not.
}

bool recorder::stopping() const {
  std::lock_guard<std::mutex> guard(mutex_);
  return stopping_;
}

std::size_t recorder::buffered() const {
  std::lock_guard<std::mutex> guard(mutex_);
  return buffer_.size() + in_flight_;
}

void recorder::publish_counts() {
  std::lock_guard<std::mutex> publishing(publish_mutex_);
  std::uint64_t accepted, dropped;
  std::size_t waiting;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    accepted = accepted_count_;
    dropped = dropped_count_;
    waiting = buffer_.size() + in_flight_;
  }
  accepted_.follow(accepted);
  if (dropped_.follow(dropped)) {
    if (!dropping_)
      host_.log(log_level::error, "diary buffer full (max_buffered: " + std::to_string(settings_.max_buffered) +
                                    " records): dropping new records until the database takes the buffered ones");
    dropping_ = true;
  } else if (dropping_ && waiting <= settings_.max_buffered / 2) {
    // Half empty, not merely below the bound: at the bound under a steady load the two lines
    // alternated, ~190 of them in 3 minutes.
    host_.log(log_level::warn, "diary buffer has room again; " + std::to_string(dropped - episode_start_) +
                                 " records were dropped (strata_diary_records_total{status=\"dropped\"})");
    dropping_ = false;
  }
  if (!dropping_)
    episode_start_ = dropped;
  buffered_gauge_.set(static_cast<double>(waiting));
}

long recorder::write_batch() {
  std::lock_guard<std::mutex> writing(write_mutex_);
  call_stamp call(call_started_ns_);
  if (written_upto_ == pending_.size()) {
    pending_.clear(); // keeps its capacity for the buffer it is swapped with
    written_upto_ = 0;
    std::lock_guard<std::mutex> guard(mutex_);
    pending_.swap(buffer_);
    in_flight_ = pending_.size();
  }
  if (pending_.empty()) {
    // Nothing to write says nothing of the database: one that was away (from the start, say)
    // is asked again, so that its return clears the health even with no traffic.
    if (down_) {
      call.begin();
      const auto why = ensure_ready_();
      call.end();
      if (!why.empty())
        retry_.failed();
      else
        database_answers();
    }
    return 0;
  }
  const auto first = pending_.begin() + static_cast<std::ptrdiff_t>(written_upto_);
  const auto last = first + static_cast<std::ptrdiff_t>(std::min(settings_.batch_size, pending_.size() - written_upto_));
  const auto insert = [this, &call](storage::session& s, const diary_record& r) {
    call.begin(); // the commit after the last one counts as part of its call
    s.execute(sql::insert, {settings_.writer, r.seq, r.at_us, r.ns, std::string(to_string(r.kind)), r.query,
                            r.embedding.empty() ? storage::value{} : storage::value{storage::blob{r.embedding}}, r.layer,
                            std::int64_t{r.hit ? 1 : 0},
                            r.latency_us < 0 ? storage::value{} : storage::value{r.latency_us}, r.importance,
                            std::string(to_string(r.outcome))});
  };
  std::size_t written = 0, refused = 0;
  try {
    call.begin();
    if (const auto why = ensure_ready_(); !why.empty())
      throw storage::store_error(status::unavailable, "the diary's schema is not ready: " + why);
    try {
      db_->transact([&](storage::session& s) {
        for (auto it = first; it != last; ++it)
          insert(s, *it);
      });
      written = static_cast<std::size_t>(last - first);
    } catch (const storage::store_error& e) {
      if (e.code() != status::invalid)
        throw;
      // The database refuses something in the batch for what it holds (not for now): one by one,
      // so that only what it refuses is dropped; written again it would be refused again, and
      // hold up every record behind it.
      std::string reason;
      for (auto it = first; it != last; ++it)
        try {
          db_->transact([&](storage::session& s) { insert(s, *it); });
          ++written;
        } catch (const storage::store_error& one) {
          if (one.code() != status::invalid)
            throw;
          ++refused;
          reason = one.what();
        }
      if (refused > 0)
        host_.log(log_level::error, "diary dropped " + std::to_string(refused) + " record" +
                                      (refused == 1 ? "" : "s") + " the database refused: " + reason);
    }
  } catch (const std::exception& e) {
    call.end();
    advance(written, refused); // the records before the failure are done
    return write_failed(e);
  }
  call.end();
  advance(written, refused);
  database_answers();
  return static_cast<long>(written + refused);
}

void recorder::database_answers() {
  retry_.succeeded();
  const bool was_stalled = report(health_level::healthy, std::to_string(buffered()) + " records buffered");
  if (down_ || was_stalled) {
    down_ = false;
    host_.log(log_level::info, "diary writes again");
  }
}

bool recorder::report(health_level level, const std::string& detail) {
  std::lock_guard<std::mutex> guard(health_mutex_);
  host_.set_health(level, detail);
  return std::exchange(stalled_, false);
}

void recorder::watch() {
  const auto tick = std::clamp(settings_.stalled_after / 4, std::chrono::milliseconds(10),
                               std::chrono::milliseconds(1000));
  std::unique_lock<std::mutex> lock(mutex_);
  while (!watch_wake_.wait_for(lock, tick, [this] { return writer_done_; })) {
    lock.unlock();
    check_stall();
    lock.lock();
  }
}

void recorder::check_stall() {
  const auto started = call_started_ns_.load(std::memory_order_acquire);
  if (started == 0)
    return;
  const auto waited = std::chrono::nanoseconds(steady_ns() - started);
  if (waited < settings_.stalled_after)
    return;
  const auto seconds = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(waited).count());
  {
    std::lock_guard<std::mutex> guard(health_mutex_);
    if (call_started_ns_.load(std::memory_order_acquire) != started)
      return; // answered meanwhile: the writer reports
    // The server's statement_timeout fails a slow statement, and a connection attempt fails by
    // connect_timeout: a call past what they allow is one the server has not taken up (frozen, or
    // its machine stalled); libpq has no timeout of its own to end it.
    const std::string why = "the database has not answered a write for " + seconds +
                            " s (beyond its connect_timeout and statement_timeout: the server is stalled)";
    if (!stalled_)
      host_.log(log_level::error, "diary cannot write: " + why + "; records are buffered until it answers");
    stalled_ = true;
    host_.set_health(health_level::critical, "diary cannot write: " + why);
    if (stopping() && !stop_held_) {
      host_.log(log_level::error, "diary stopping with " + std::to_string(buffered()) +
                                    " records not written: the stop waits for the database, which has not answered "
                                    "a write for " + seconds + " s");
      stop_held_ = true;
    }
  }
  publish_counts(); // the writer, waiting, does not
}

void recorder::advance(std::size_t written, std::size_t refused) {
  written_upto_ += written + refused;
  written_.inc(written);
  refused_.inc(refused);
  errors_.inc(refused > 0 ? 1 : 0);
  written_total_ += written;
  std::lock_guard<std::mutex> guard(mutex_);
  in_flight_ = pending_.size() - written_upto_;
}

void recorder::starts_down(const std::string& why) {
  std::lock_guard<std::mutex> writing(write_mutex_);
  host_.log(log_level::warn, "diary: its database is away (" + why + "); records are buffered until it is back");
  down_ = true;
  report(health_level::critical, "diary cannot write: " + why);
}

long recorder::write_failed(const std::exception& e) {
  errors_.inc();
  retry_.failed();
  if (!down_)
    host_.log(log_level::error, std::string("diary cannot write, buffering: ") + e.what());
  down_ = true;
  report(health_level::critical, std::string("diary cannot write: ") + e.what());
  return -1;
}

std::size_t recorder::flush_now() {
  const auto written = [this] {
    std::lock_guard<std::mutex> writing(write_mutex_);
    return written_total_;
  };
  const auto before = written();
  while (write_batch() > 0) {
  }
  publish_counts(); // as the writer does after its batches: written is counted already, accepted not
  return static_cast<std::size_t>(written() - before);
}

void recorder::run() {
  for (;;) {
    bool stopping;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait_for(lock, settings_.flush_interval,
                     [this] { return stopping_ || buffer_.size() >= settings_.batch_size; });
      stopping = stopping_;
    }
    publish_counts();
    if (stopping) {
      // What can be written in a few seconds; a database that is away or slow now loses the
      // rest (the destructor logs how much).
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      while (std::chrono::steady_clock::now() < deadline && write_batch() > 0) {
      }
      return;
    }
    bool due;
    {
      std::lock_guard<std::mutex> writing(write_mutex_);
      due = retry_.due();
    }
    if (!due)
      continue;
    // Everything taken, then a partial batch waits for the next interval. The counts go out after
    // each batch: a backlog of 100 000 records took seconds, and its gauge, its drops and their
    // log line waited for all of it.
    while (write_batch() > 0) {
      publish_counts();
      std::lock_guard<std::mutex> guard(mutex_);
      if (stopping_ || (in_flight_ == 0 && buffer_.size() < settings_.batch_size))
        break;
    }
    publish_counts();
  }
}

} // namespace strata::diary
