// The listener on a store of its own making: when the layer stopped waiting for its first listen
// (and served meanwhile), the first listen replays from when it began; when it did not, nothing;
// a replacement's, from where its predecessor had heard. A mark heard before the statement that
// sent it returned is not awaited. A connection silent for too long is taken as lost.

#include "global_schema.hpp"
#include "support/recording_host.hpp"
#include "sync_listener.hpp"
#include "sync_message.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>

using namespace std::chrono_literals;

namespace {

/// What a test has the listening connection deliver.
struct feed {
  std::mutex mutex;
  std::condition_variable arrived;
  std::deque<strata::storage::notification> queued;
  void push(std::string payload) {
    {
      std::lock_guard<std::mutex> guard(mutex);
      queued.push_back({"channel", std::move(payload)});
    }
    arrived.notify_all();
  }
};

/// A listener that hears what the test feeds it, and nothing else.
class fed_listener : public strata::storage::listener {
public:
  explicit fed_listener(std::shared_ptr<feed> fed) : fed_(std::move(fed)) {}
  std::vector<strata::storage::notification> wait(std::chrono::milliseconds timeout) override {
    std::unique_lock<std::mutex> lock(fed_->mutex);
    fed_->arrived.wait_for(lock, timeout, [this] { return !fed_->queued.empty(); });
    std::vector<strata::storage::notification> out(fed_->queued.begin(), fed_->queued.end());
    fed_->queued.clear();
    return out;
  }

private:
  std::shared_ptr<feed> fed_;
};

/// PostgreSQL as the listener sees it: a listen that takes `listen_takes`, the database's clock at
/// `now_us`, one change logged just before, nothing pruned.
class slow_listen_store : public strata::storage::store {
public:
  static constexpr std::int64_t now_us = 1'800'000'000'000'000;
  explicit slow_listen_store(std::chrono::milliseconds listen_takes) : listen_takes_(listen_takes) {}

  strata::storage::dialect dialect() const noexcept override { return strata::storage::dialect::postgres; }
  int migrate(const std::string&, const std::vector<strata::storage::migration>&) override { return 2; }
  int schema_version(const std::string&) override { return 2; }
  void prepare(const std::string&, const std::string&) override {}
  void transact(const std::function<void(strata::storage::session&)>&) override {
    throw std::logic_error("the listener runs no transaction");
  }
  void notify(const std::string&, const std::string&) override {}
  std::unique_ptr<strata::storage::listener> listen(const std::string&) override {
    std::this_thread::sleep_for(listen_takes_);
    return std::make_unique<fed_listener>(fed);
  }
  std::vector<strata::storage::row> query(std::string_view statement, const strata::storage::params& args) override {
    using strata::storage::row;
    if (statement == strata::global::sql::database_now)
      return {row({now_us})};
    if (statement == strata::global::sql::pruned_upto)
      return {row({std::int64_t{0}})};
    if (statement == strata::global::sql::changes_since) {
      replays_ += 1;
      if (std::get<std::int64_t>(args.at(0)) > now_us - 1000)
        return {};
      return {row({now_us - 1000, std::int64_t{0}, std::string("default"), std::string("changed")})};
    }
    throw std::logic_error("unexpected statement " + std::string(statement));
  }
  std::atomic<int> replays_{0};
  std::shared_ptr<feed> fed = std::make_shared<feed>();

private:
  std::chrono::milliseconds listen_takes_;
};

/// What a test may set of the listener's settings.
struct listener_options {
  std::chrono::milliseconds silence_limit = 1h;
  std::int64_t predecessor_heard_us = 0;
};

/// A listener on `db`, and whether the layer's wait of `layer_waits` for its first attempt listened.
struct started {
  strata::testing::recording_host host{STRATA_PLUGIN_LAYER, "shared"};
  strata::plugin_host plugin{host.api()};
  std::unique_ptr<strata::global::sync_listener> listener;
  bool listened_in_time;

  started(slow_listen_store& db, std::chrono::milliseconds layer_waits, listener_options options = {}) {
    strata::global::listener_metrics metrics{plugin.histogram("strata_global_sync_latency_seconds", "latency"),
                                             plugin.counter("strata_global_sync_messages_total", "messages", {{"direction", "received"}}),
                                             plugin.counter("strata_global_errors_total", "errors", {{"source", "listener"}}),
                                             plugin.counter("strata_global_sync_messages_total", "messages", {{"direction", "replayed"}}),
                                             plugin.gauge("strata_global_heard_until_seconds", "heard")};
    listener = std::make_unique<strata::global::sync_listener>(
      db,
      strata::global::listener_settings{"channel", "me", 50ms, 500ms, 7000ms, options.silence_limit,
                                        options.predecessor_heard_us},
      plugin, metrics, [](bool, const std::string&) {});
    listened_in_time = listener->await_first_attempt(layer_waits);
  }
};

bool eventually(const std::function<bool()>& holds) {
  for (int i = 0; i < 100; ++i) {
    if (holds())
      return true;
    std::this_thread::sleep_for(20ms);
  }
  return holds();
}

} // namespace

TEST_CASE("a first listen later than the layer waited replays from when the listener began", "[global][unit]") {
  slow_listen_store db(400ms);
  started s(db, 50ms); // the layer serves meanwhile, and may take copies above
  CHECK_FALSE(s.listened_in_time);
  // What changed while the layer served and it did not listen yet is dropped (it was not: the first
  // listen took nothing to be above, and the copy stayed).
  REQUIRE(eventually([&] { return !s.host.invalidations().empty(); }));
  const auto dropped = s.host.invalidations();
  CHECK(dropped.front().ns == "default");
  CHECK(dropped.front().what == "changed");
  CHECK(db.replays_ == 1);
}

TEST_CASE("a first listen the layer waited for replays nothing", "[global][unit]") {
  slow_listen_store db(0ms);
  started s(db, 2000ms);
  CHECK(s.listened_in_time);
  std::this_thread::sleep_for(100ms);
  CHECK(s.host.invalidations().empty());
  CHECK(db.replays_ == 0);
}

TEST_CASE("a mark heard before the statement that sent it returned is not awaited", "[global][unit]") {
  slow_listen_store db(0ms);
  started s(db, 2000ms);
  REQUIRE(s.listened_in_time);
  strata::global::change mark;
  mark.origin = "me";
  mark.mark = true;
  const auto payload = strata::global::encode_head(mark) + std::to_string(slow_listen_store::now_us) + "}";
  // The listening connection delivers it before the statement returns, as on a quick server: the
  // mark awaited after the statement was never heard again, and the connection taken as deaf.
  s.listener->send_mark([&] {
    db.fed->push(payload);
    REQUIRE(eventually([&] { return s.listener->heard_within(10s); }));
  });
  CHECK(eventually([&] { return !s.listener->awaiting_mark(); })); // the thread clears it just after
  s.listener->send_mark([] {}); // sent, not heard yet
  CHECK(s.listener->awaiting_mark());
  db.fed->push(payload);
  CHECK(eventually([&] { return !s.listener->awaiting_mark(); }));
  CHECK_THROWS(s.listener->send_mark([] { throw std::runtime_error("the statement failed"); }));
  CHECK_FALSE(s.listener->awaiting_mark()); // never sent: not to be heard
}

TEST_CASE("a replacement's first listen replays from where the instance it replaces had heard", "[global][unit]") {
  // It listened afresh, and the copies above that its predecessor had not heard changed (a link
  // that froze, then the instance replaced as hung) were served until their TTL.
  slow_listen_store db(0ms);
  started s(db, 2000ms, {1h, slow_listen_store::now_us - 5'000'000});
  CHECK(s.listened_in_time);
  REQUIRE(eventually([&] { return !s.host.invalidations().empty(); }));
  CHECK(s.host.invalidations().front().what == "changed");
  CHECK(db.replays_ == 1);
  CHECK(s.host.value("strata_global_heard_until_seconds").value_or(0) == Approx(slow_listen_store::now_us / 1e6));
  const auto logs = s.host.logs();
  CHECK(std::any_of(logs.begin(), logs.end(), [](const auto& l) {
    return l.message.rfind("listening on 'channel' from where the instance it replaces had heard, 5000 ms ago: "
                           "dropped from the layers above 1 keys",
                           0) == 0;
  }));
}

TEST_CASE("a listening connection that delivers nothing for its silence limit is taken as lost", "[global][unit]") {
  // The layer's thread held on a statement that never returns sends no mark: a deaf connection
  // went unnoticed for as long as the link stayed frozen.
  slow_listen_store db(0ms);
  started s(db, 2000ms, {300ms, 0});
  REQUIRE(s.listened_in_time);
  REQUIRE(eventually([&] { return !s.host.invalidations().empty(); })); // listens again, and replays
  CHECK(s.host.value("strata_global_errors_total", {{"source", "listener"}}).value_or(0) >= 1);
  const auto logs = s.host.logs();
  CHECK(std::any_of(logs.begin(), logs.end(), [](const auto& l) {
    return l.message.find("the listening connection delivered nothing for ") != std::string::npos &&
           l.message.find(" ms, not even a mark: taken as lost") != std::string::npos;
  }));
}
