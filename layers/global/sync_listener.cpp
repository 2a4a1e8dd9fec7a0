#include "sync_listener.hpp"

#include "global_schema.hpp"
#include "sync_message.hpp"

#include <set>
#include <tuple>
#include <utility>

namespace strata::global {

namespace {
/// How long one wait for notifications lasts: the bound on how late the thread sees a stop.
constexpr std::chrono::milliseconds poll{200};
/// Changes read from the log per statement of a replay: each page is quick under the layer's
/// statement_timeout, however long the outage was.
constexpr std::int64_t replay_page = 1000;
/// The most distinct keys and tags a replay remembers, so as to drop each once: beyond, it
/// forgets them (a key may be dropped again), rather than hold all an hour of changes names.
constexpr std::size_t replay_remembered = 100'000;
/// How far ahead of the database's clock, as last read and counted on since, a time heard may be:
/// one beyond (sent by something else on the channel, or read before the server's clock stepped
/// back) would put how far it has heard past what it has.
constexpr std::int64_t plausible_ahead_us = 60'000'000;

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

std::int64_t microseconds(std::chrono::steady_clock::duration d) {
  return std::chrono::duration_cast<std::chrono::microseconds>(d).count();
}

/// `d` in whole milliseconds, for a message.
std::string ms_text(std::chrono::nanoseconds d) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}
} // namespace

sync_listener::sync_listener(storage::store& db, listener_settings settings, plugin_host host,
                             listener_metrics metrics, std::function<void(bool, const std::string&)> on_state)
  : db_(db), settings_(std::move(settings)), host_(host), on_state_(std::move(on_state)), metrics_(metrics),
    heard_us_(settings_.predecessor_heard_us) {
  prepare_listener_statements(db_);
  thread_ = std::thread([this] { run(); });
}

bool sync_listener::await_first_attempt(std::chrono::milliseconds limit) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (!wake_.wait_for(lock, limit, [this] { return first_attempt_done_; }))
    served_before_listening_ = true;
  return listening_;
}

bool sync_listener::heard_within(std::chrono::steady_clock::duration d) const {
  return steady_ns() - heard_at_ns_.load(std::memory_order_relaxed) < std::chrono::nanoseconds(d).count();
}

void sync_listener::send_mark(const std::function<void()>& send) {
  // Awaited before it is sent: awaited after, a mark heard in between stayed awaited, and the
  // connection was taken as deaf 15 s later (every ~40 s under light traffic; audit).
  const auto now = steady_ns();
  std::int64_t none = 0; // an earlier mark still unheard keeps its time
  const bool awaited_here = unheard_mark_sent_at_ns_.compare_exchange_strong(none, now, std::memory_order_relaxed);
  try {
    send();
  } catch (...) {
    auto expected = now; // not sent: not to be heard (unless heard meanwhile, or an earlier one is awaited)
    if (awaited_here)
      unheard_mark_sent_at_ns_.compare_exchange_strong(expected, 0, std::memory_order_relaxed);
    throw;
  }
}

bool sync_listener::awaiting_mark() const { return unheard_mark_sent_at_ns_.load(std::memory_order_relaxed) != 0; }

void sync_listener::check_deaf() const {
  const auto sent = unheard_mark_sent_at_ns_.load(std::memory_order_relaxed);
  const auto unheard_for = std::chrono::nanoseconds(steady_ns() - sent);
  if (sent != 0 && unheard_for >= deaf_after)
    throw storage::store_error(status::unavailable, "the listening connection has not delivered this instance's mark, "
                                                    "sent " + ms_text(unheard_for) + " ms ago: taken as lost");
  // No mark was sent, or none for long: the layer's thread is held (a statement on a connection
  // that stopped answering, and no request to time out), and this connection, through the same
  // network or server, may have gone deaf unseen (an audit saw a node serve an overwritten value
  // for as long as its link stayed frozen).
  const auto silent_for = std::chrono::nanoseconds(steady_ns() - heard_at_ns_.load(std::memory_order_relaxed));
  if (silent_for >= settings_.silence_limit)
    throw storage::store_error(status::unavailable, "the listening connection delivered nothing for " + ms_text(silent_for) +
                                                    " ms, not even a mark: taken as lost");
}

void sync_listener::attempted(bool listening) {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    first_attempt_done_ = true;
    listening_ = listening;
  }
  wake_.notify_all();
}

sync_listener::~sync_listener() {
  {
    std::lock_guard<std::mutex> guard(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

bool sync_listener::pause(std::chrono::milliseconds d) {
  std::unique_lock<std::mutex> lock(mutex_);
  return !wake_.wait_for(lock, d, [this] { return stopping_; });
}

void sync_listener::run() {
  backoff retry(settings_.retry_min, settings_.retry_max);
  std::unique_ptr<storage::listener> listening;
  bool was_down = false;
  for (;;) {
    {
      std::lock_guard<std::mutex> guard(mutex_);
      if (stopping_)
        return;
    }
    try {
      if (!listening) {
        auto fresh = db_.listen(settings_.channel);
        bool served;
        {
          std::lock_guard<std::mutex> guard(mutex_);
          served = served_before_listening_;
        }
        // A predecessor's heard point: what it had not heard when it was replaced is replayed.
        replay_missed(was_down || served || heard_us_ != 0); // the drops are asked for before the layer's health says it listens
        listening = std::move(fresh); // not before: a replay that fails is not a connection lost
        unheard_mark_sent_at_ns_.store(0, std::memory_order_relaxed); // one sent before is not to be heard
        heard_at_ns_.store(steady_ns(), std::memory_order_relaxed); // silence counts from here
        attempted(true);
        retry.succeeded();
        on_state_(true, "listening on " + settings_.channel);
        was_down = false;
      }
      for (const auto& n : listening->wait(poll))
        deliver(n);
      check_deaf();
    } catch (const std::exception& e) {
      const bool lost = listening != nullptr;
      if (lost) // lost now; one that never listened has been not listening since the thread began
        not_listening_since_ = std::chrono::steady_clock::now();
      listening.reset();
      if (!was_down) { // once per outage, not per try to listen again
        metrics_.errors.inc();
        host_.log(log_level::error, std::string(lost ? "lost the listening connection: " : "cannot listen: ") + e.what());
      }
      was_down = true;
      on_state_(false, std::string("not listening: ") + e.what());
      attempted(false); // after its state: the layer awaiting the first attempt reads why it failed
      retry.failed();
      if (!pause(retry.wait()))
        return;
    }
  }
}

void sync_listener::replay_missed(bool missed) {
  const auto now = db_.query(sql::database_now).at(0).integer(0);
  if (!missed) { // the first attempt, which the layer awaited before it served: nothing is above yet
    hears_from(now);
    return;
  }
  // Not listening since this instance began, or since its predecessor last heard (by the database's
  // clock), for a replacement's first listen.
  const bool after_predecessor = heard_us_ != 0 && heard_us_ == settings_.predecessor_heard_us;
  const auto down_for = after_predecessor ? std::chrono::microseconds(std::max<std::int64_t>(0, now - heard_us_))
                                          : std::chrono::steady_clock::now() - not_listening_since_;
  // Never listened (the first attempt failed or was late, and the layer serves meanwhile): from when
  // it began.
  auto from = (heard_us_ != 0 ? heard_us_ : now - microseconds(down_for)) - settings_.replay_allowance.count() * 1000;
  const auto start = from;
  std::set<std::tuple<bool, std::string, std::string>> remembered; // a key changed often is dropped once
  std::uint64_t dropped = 0;
  for (;;) {
    const auto rows = db_.query(sql::changes_since, {from, settings_.origin, replay_page});
    for (const auto& r : rows) {
      auto change = std::make_tuple(r.integer(1) != 0, r.text(2), r.text(3));
      if (remembered.count(change) != 0)
        continue;
      if (remembered.size() == replay_remembered)
        remembered.clear();
      const auto& [tag, ns, what] = change;
      tag ? host_.invalidate_tag(ns, what) : host_.invalidate_key(ns, what);
      metrics_.replayed.inc();
      ++dropped;
      remembered.insert(std::move(change));
    }
    if (rows.size() < static_cast<std::size_t>(replay_page))
      break;
    // The next page starts at the last change read (those logged in the same microsecond are read
    // again); past it when a whole page was of that microsecond, which would not move otherwise.
    const auto last = rows.back().integer(0);
    from = last == from ? last + 1 : last;
    heard_up_to(std::max(heard_us_, last)); // a replay cut short goes on from here
  }
  // Pruned past where the replay started (by an instance of a shorter change_retention, maybe),
  // the log did not hold all it needed: read after the changes, so as to see a prune made while
  // they were read.
  const bool whole = db_.query(sql::pruned_upto).at(0).integer(0) < start;
  if (!whole)
    metrics_.errors.inc();
  const auto ms = ms_text(down_for);
  host_.log(whole ? log_level::warn : log_level::error,
            (after_predecessor ? "listening on '" + settings_.channel + "' from where the instance it replaces had heard, " +
                                   ms + " ms ago"
                               : "listening again on '" + settings_.channel + "' after " + ms + " ms") +
              ": dropped from the layers above " + std::to_string(dropped) +
              " keys and tags that other instances changed meanwhile" +
              (whole ? "" : "; the log of changes was pruned past where this replay began (by change_retention, the "
                            "shortest of the instances'): copies above that older changes made stale live until "
                            "their TTL"));
  hears_from(now);
}

void sync_listener::hears_from(std::int64_t database_us) {
  heard_up_to(database_us);
  clock_us_ = database_us;
  clock_read_at_ = std::chrono::steady_clock::now();
}

void sync_listener::heard_up_to(std::int64_t database_us) {
  heard_us_ = database_us;
  metrics_.heard_until.set(static_cast<double>(database_us) / 1e6);
}

bool sync_listener::plausible(std::int64_t logged_us) const {
  return logged_us <= clock_us_ + microseconds(std::chrono::steady_clock::now() - clock_read_at_) + plausible_ahead_us;
}

void sync_listener::deliver(const storage::notification& n) {
  const auto c = decode(n.payload);
  if (!c)
    return;
  heard_at_ns_.store(steady_ns(), std::memory_order_relaxed);
  if (c->mark && c->origin == settings_.origin)
    unheard_mark_sent_at_ns_.store(0, std::memory_order_relaxed);
  if (plausible(c->logged_us) && c->logged_us > heard_us_) // its own changes and marks, and the others', show how far it has heard
    heard_up_to(c->logged_us);
  if (c->mark || c->origin == settings_.origin)
    return;
  metrics_.received.inc();
  const auto took_us = (settings_.clock ? settings_.clock->now_us() : wall_clock_us()) - c->sent_us;
  metrics_.latency.observe(static_cast<double>(std::max<std::int64_t>(0, took_us)) / 1e6);
  if (c->tag)
    host_.invalidate_tag(c->ns, c->what);
  else
    host_.invalidate_key(c->ns, c->what);
}

} // namespace strata::global
