#include "sync_listener.hpp"

#include "global_schema.hpp"
#include "sync_message.hpp"

namespace strata::global {

namespace {
/// How long one wait for notifications lasts: the bound on how late the thread sees a stop.
constexpr std::chrono::milliseconds poll{200};
} // namespace

sync_listener::sync_listener(storage::store& db, listener_settings settings, plugin_host host,
                             listener_metrics metrics, std::function<void(bool, const std::string&)> on_state)
  : db_(db), settings_(std::move(settings)), host_(host), on_state_(std::move(on_state)), metrics_(metrics) {
  prepare_listener_statements(db_);
  thread_ = std::thread([this] { run(); });
}

bool sync_listener::await_first_attempt(std::chrono::milliseconds limit) {
  std::unique_lock<std::mutex> lock(mutex_);
  wake_.wait_for(lock, limit, [this] { return first_attempt_done_; });
  return listening_;
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
        listening = db_.listen(settings_.channel);
        replay_missed(); // before the layer is told it listens: nothing missed is served after that
        attempted(true);
        retry.succeeded();
        on_state_(true, "listening on " + settings_.channel);
        was_down = false;
      }
      for (const auto& n : listening->wait(poll))
        deliver(n);
    } catch (const std::exception& e) {
      listening.reset();
      attempted(false);
      if (!was_down) { // once per outage, not per try to listen again
        metrics_.errors.inc();
        host_.log(log_level::error, std::string("lost the listening connection: ") + e.what());
      }
      was_down = true;
      on_state_(false, std::string("not listening: ") + e.what());
      retry.failed();
      if (!pause(retry.wait()))
        return;
    }
  }
}

void sync_listener::replay_missed() {
  const auto now = db_.query(sql::database_now).at(0).integer(0);
  if (heard_us_ == 0) { // the first time: nothing above came from this layer before
    heard_us_ = now;
    return;
  }
  const auto from = heard_us_ - settings_.replay_allowance.count() * 1000;
  const auto rows = db_.query(sql::changes_since, {from, settings_.origin});
  for (const auto& r : rows) {
    if (r.integer(0) != 0)
      host_.invalidate_tag(r.text(1), r.text(2));
    else
      host_.invalidate_key(r.text(1), r.text(2));
  }
  metrics_.replayed.inc(rows.size());
  const bool beyond_retention = from < now - settings_.change_retention.count() * 1000;
  host_.log(beyond_retention ? log_level::error : log_level::warn,
            "listening again on '" + settings_.channel + "': dropped from the layers above " +
              std::to_string(rows.size()) + " keys and tags that other instances changed while it was not listening" +
              (beyond_retention ? "; it was not listening for longer than change_retention: older changes are "
                                  "no longer logged, and copies above they made stale live until their TTL"
                                : ""));
  heard_us_ = now;
}

void sync_listener::deliver(const storage::notification& n) {
  const auto c = decode(n.payload);
  if (!c)
    return;
  heard_us_ = std::max(heard_us_, c->logged_us); // its own changes, too, show how far it has heard
  if (c->origin == settings_.origin)
    return;
  metrics_.received.inc();
  const auto took_us = wall_clock_us() - c->sent_us;
  metrics_.latency.observe(static_cast<double>(std::max<std::int64_t>(0, took_us)) / 1e6);
  if (c->tag)
    host_.invalidate_tag(c->ns, c->what);
  else
    host_.invalidate_key(c->ns, c->what);
}

} // namespace strata::global
