// The recorder alone, on SQLite: importance, the bound, batching.

#include "recorder.hpp"
#include "diary_schema.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <filesystem>
#include <random>

using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST_CASE("importance: misses over deep hits over first-layer hits, slow over fast", "[diary][unit]") {
  strata::interaction i;
  i.outcome = strata::status::ok;
  const double first = strata::diary::importance_of(i);
  i.latency = 50us;
  const double deep = strata::diary::importance_of(i);
  i.outcome = strata::status::not_found;
  const double miss = strata::diary::importance_of(i);
  i.latency = 100ms;
  const double slow_miss = strata::diary::importance_of(i);
  i.latency = 10s;
  CHECK(first < deep);
  CHECK(deep < miss);
  CHECK(miss < slow_miss);
  CHECK(strata::diary::importance_of(i) == 1.0);
}

TEST_CASE("the recorder keeps at most max_buffered records and counts the rest as dropped", "[diary][unit]") {
  const auto dir = fs::temp_directory_path() / ("strata-recorder-" + std::to_string(std::random_device{}()));
  auto db = std::shared_ptr<strata::storage::store>(
    strata::storage::open_store({strata::storage::dialect::sqlite, "", (dir / "d.sqlite3").string()}));
  strata::plugin_host host;
  std::atomic<bool> ready{false}; // the database "is away" until the test says otherwise
  {
    strata::diary::recorder_settings s;
    s.writer = "test";
    s.max_buffered = 10;
    s.batch_size = 4;
    // The writer thread tries once (when the first batch fills) and then waits: the test's own
    // flush_now calls are the only writes.
    s.flush_interval = 1h;
    s.retry_min = 1h;
    s.retry_max = 1h;
    strata::diary::recorder r(db, s, host, [&] {
      if (ready) {
        db->migrate(strata::diary::schema_component, strata::diary::schema());
        strata::diary::prepare_statements(*db);
      }
      return ready ? std::string() : std::string("not yet");
    });
    strata::interaction what;
    what.key = "k";
    what.ns = "default";
    for (int i = 0; i < 25; ++i)
      r.record(what);
    CHECK(r.buffered() == 10);
    CHECK(r.flush_now() == 0);
    ready = true;
    CHECK(r.flush_now() == 10);
    CHECK(r.buffered() == 0);
    CHECK(db->query(strata::diary::sql::count, {std::string("default")}).at(0).integer(0) == 10);
  }
  // The writer thread publishes the counts; it does a last time when it stops.
  CHECK(host.counter("strata_diary_records_total", "", {{"status", "dropped"}}).value() == 15);
  CHECK(host.counter("strata_diary_records_total", "", {{"status", "accepted"}}).value() == 10);
  fs::remove_all(dir);
}
