// The listener on a store of its own making: when the layer stopped waiting for its first listen
// (and served meanwhile), the first listen replays from when it began; when it did not, nothing.

#include "global_schema.hpp"
#include "support/recording_host.hpp"
#include "sync_listener.hpp"

#include <catch2/catch.hpp>

#include <thread>

using namespace std::chrono_literals;

namespace {

/// A listener that hears nothing.
class silent_listener : public strata::storage::listener {
public:
  std::vector<strata::storage::notification> wait(std::chrono::milliseconds timeout) override {
    std::this_thread::sleep_for(timeout);
    return {};
  }
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
    return std::make_unique<silent_listener>();
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

private:
  std::chrono::milliseconds listen_takes_;
};

/// A listener on `db`, and whether the layer's wait of `layer_waits` for its first attempt listened.
struct started {
  strata::testing::recording_host host{STRATA_PLUGIN_LAYER, "shared"};
  strata::plugin_host plugin{host.api()};
  std::unique_ptr<strata::global::sync_listener> listener;
  bool listened_in_time;

  started(slow_listen_store& db, std::chrono::milliseconds layer_waits) {
    strata::global::listener_metrics metrics{plugin.histogram("strata_global_sync_latency_seconds", "latency"),
                                             plugin.counter("strata_global_sync_messages_total", "messages", {{"direction", "received"}}),
                                             plugin.counter("strata_global_errors_total", "errors", {{"source", "listener"}}),
                                             plugin.counter("strata_global_sync_messages_total", "messages", {{"direction", "replayed"}})};
    listener = std::make_unique<strata::global::sync_listener>(
      db, strata::global::listener_settings{"channel", "me", 50ms, 500ms, 7000ms}, plugin, metrics,
      [](bool, const std::string&) {});
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
