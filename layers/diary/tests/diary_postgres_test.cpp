// The diary on a real PostgreSQL (scripts/pg-start), killed and restarted during a write loop:
// every interaction the runtime acknowledged must be in the database afterwards.

#include "diary_deployment.hpp"
#include "pg_scratch.hpp"

#include <pqxx/pqxx>

#include "support/scratch_dir.hpp"

#include <atomic>
#include <fstream>
#include <future>
#include <iterator>
#include <thread>

using namespace std::chrono_literals;
using strata::status;
using strata::test::diary_command;
using strata::testing::eventually;
using strata::testing::start_yaml;

namespace {

struct scratch : strata::test::scratch_schema {
  scratch() : scratch_schema("d") {}
  std::string settings(const std::string& extra = "") const {
    return "      backend: postgres\n      dsn: \"" + dsn +
           "\"\n      flush_interval: 20ms\n      batch_size: 64\n      retry_min: 50ms\n      retry_max: 500ms\n" + extra;
  }
  long long rows(const std::string& where = "") const {
    pqxx::connection c(strata::test::pg_dsn());
    pqxx::nontransaction t(c);
    return t.exec("SELECT COUNT(*) FROM " + name + ".strata_diary " + where)[0][0].as<long long>();
  }
};

} // namespace

TEST_CASE("every interaction acknowledged while PostgreSQL was killed and restarted is in the diary",
          "[diary][postgres][faults]") {
  scratch db;
  auto rt = start_yaml(strata::test::diary_yaml(db.settings()));
  std::atomic<bool> stop{false};
  std::atomic<long long> acknowledged{0};
  std::thread loop([&] {
    for (long long i = 0; !stop; ++i) {
      rt->get("key" + std::to_string(i % 100)); // answered: a record the diary accepted
      ++acknowledged;
    }
  });
  REQUIRE(eventually([&] { return acknowledged > 2000; }, 10s));
  strata::test::kill_server();
  const long long at_kill = acknowledged;
  REQUIRE(eventually([&] { return acknowledged > at_kill + 5000; }, 10s)); // the runtime goes on
  CHECK(eventually([&] { return rt->health().overall == strata::health_level::critical; }));
  strata::test::restart_server();
  std::this_thread::sleep_for(200ms);
  stop = true;
  loop.join();
  CHECK(eventually([&] { return db.rows() == acknowledged; }, 15s));
  CHECK(db.rows() == acknowledged);
  CHECK(rt->prometheus_text().find("strata_diary_records_total{cache_layer=\"diary\",status=\"dropped\"} 0") !=
        std::string::npos);
  CHECK(eventually([&] { return rt->health().overall == strata::health_level::healthy; }));
}

TEST_CASE("a key PostgreSQL text cannot hold is recorded with U+FFFD, and holds up no record behind it",
          "[diary][postgres]") {
  scratch db;
  auto rt = start_yaml(strata::test::diary_yaml(db.settings()));
  using namespace std::string_literals;
  rt->get("\xff-bin");
  rt->get("nul\0byte"s);
  for (int i = 0; i < 100; ++i)
    rt->get("after" + std::to_string(i));
  diary_command(*rt, "flush");
  CHECK(eventually([&] { return db.rows() == 102; }));
  CHECK(db.rows("WHERE query = '\xEF\xBF\xBD-bin'") == 1);
  CHECK(db.rows("WHERE query = 'nul\xEF\xBF\xBD" "byte'") == 1);
  CHECK(rt->health().overall == strata::health_level::healthy);
}

TEST_CASE("a record the database refuses is dropped alone, not with its batch, and counted as refused",
          "[diary][postgres]") {
  scratch db;
  auto rt = start_yaml(strata::test::diary_yaml(db.settings()));
  // A key too large for the (ns, query) index's rows (PostgreSQL's btree limit is ~2.7 KB), and
  // too random to compress below it.
  std::string huge;
  std::uint64_t x = 88172645463325252ull;
  for (int i = 0; i < 20000; ++i) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    huge.push_back(static_cast<char>('a' + x % 26));
  }
  for (int i = 0; i < 50; ++i)
    rt->get("before" + std::to_string(i));
  rt->get(huge);
  for (int i = 0; i < 50; ++i)
    rt->get("after" + std::to_string(i));
  diary_command(*rt, "flush");
  CHECK(db.rows() == 100);
  const auto text = rt->prometheus_text();
  CHECK(text.find("strata_diary_records_total{cache_layer=\"diary\",status=\"refused\"} 1") != std::string::npos);
  CHECK(text.find("strata_diary_records_total{cache_layer=\"diary\",status=\"dropped\"} 0") != std::string::npos);
  CHECK(rt->health().overall == strata::health_level::healthy);
}

TEST_CASE("beyond max_buffered, records are dropped, counted and logged while the server is down",
          "[diary][postgres][faults]") {
  scratch db;
  auto rt = start_yaml(strata::test::diary_yaml(db.settings("      max_buffered: 100\n")));
  rt->get("before");
  diary_command(*rt, "flush");
  strata::test::kill_server();
  for (int i = 0; i < 300; ++i)
    rt->get("during" + std::to_string(i));
  CHECK(eventually([&] {
    return rt->prometheus_text().find("strata_diary_records_total{cache_layer=\"diary\",status=\"dropped\"} 200") !=
           std::string::npos;
  }));
  // What is buffered is said while the database is away, by a flush and a count that fail.
  const auto flush = rt->layer_command("diary", "flush", "{}");
  CHECK(flush.code == status::unavailable);
  CHECK(nlohmann::json::parse(flush.json)["buffered"] == 100);
  CHECK(nlohmann::json::parse(flush.json)["error"] == "100 records are still buffered: the database does not take them now");
  const auto count = rt->layer_command("diary", "count", "{}");
  CHECK(count.code == status::unavailable);
  CHECK(nlohmann::json::parse(count.json)["buffered"] == 100);
  strata::test::restart_server();
  CHECK(eventually([&] { return db.rows() == 101; }, 15s));
}

TEST_CASE("a diary started while PostgreSQL is down is critical, and healthy once it is back, with no traffic",
          "[diary][postgres][faults]") {
  // Only a write cleared its health: with nothing recorded it stayed critical, and a balancer
  // that routes on /v1/health would send it nothing to record.
  scratch db;
  strata::test::kill_server();
  auto rt = start_yaml(strata::test::diary_yaml(db.settings()));
  const auto diary = [&] { return strata::test::diary_health(*rt); };
  CHECK(diary().level == strata::health_level::critical);
  strata::test::restart_server();
  CHECK(eventually([&] { return diary().level == strata::health_level::healthy; }, 10s));
  CHECK(diary_command(*rt, "count")["records"] == 0);
}

TEST_CASE("a diary whose server stops answering is critical past connect_timeout and statement_timeout",
          "[diary][postgres][faults]") {
  // A frozen server fails no batch (its statement_timeout is its own, libpq has none): the diary
  // stayed healthy through a 120 s freeze.
  scratch db;
  auto rt = start_yaml(strata::test::diary_yaml(db.settings("      connect_timeout: 1s\n      statement_timeout: 1s\n")));
  const auto diary = [&] { return strata::test::diary_health(*rt); };
  rt->get("before");
  diary_command(*rt, "flush");
  REQUIRE(diary().level == strata::health_level::healthy);
  {
    strata::test::frozen_server frozen;
    for (int i = 0; i < 100; ++i)
      rt->get("during" + std::to_string(i));
    CHECK(eventually([&] { return diary().level == strata::health_level::critical; }, 15s)); // past 2 × 1 s + 4 × 1 s
    CHECK_THAT(diary().detail, Catch::Contains("has not answered a write for") && Catch::Contains("stalled"));
    CHECK_THAT(rt->prometheus_text(), Catch::Contains("strata_diary_buffered_records{cache_layer=\"diary\"} 100"));
  }
  CHECK(eventually([&] { return db.rows() == 101; }, 15s));
  CHECK(eventually([&] { return diary().level == strata::health_level::healthy; }, 10s));
}

TEST_CASE("a diary whose stop waits for a stalled server says so in the log, and writes everything once it answers",
          "[diary][postgres][faults]") {
  // The stop of `strata serve` waited for the stuck batch until its drain limit, and the log said
  // nothing of the diary or its records.
  scratch db;
  strata::test::scratch_dir dir;
  const auto log_file = (dir.path / "runtime.log").string();
  auto rt = start_yaml("logging: {output: " + log_file + "}\n" +
                       strata::test::diary_yaml(db.settings("      connect_timeout: 1s\n      statement_timeout: 1s\n")));
  std::future<void> stopped;
  {
    strata::test::frozen_server frozen;
    for (int i = 0; i < 100; ++i)
      rt->get("during" + std::to_string(i));
    REQUIRE(eventually([&] { return strata::test::diary_health(*rt).level == strata::health_level::critical; }, 15s));
    stopped = std::async(std::launch::async, [&] { rt.reset(); });
    CHECK(stopped.wait_for(3s) == std::future_status::timeout); // held by the batch in flight
  }
  REQUIRE(stopped.wait_for(20s) == std::future_status::ready);
  CHECK(db.rows() == 100);
  std::ifstream in(log_file);
  const std::string logged{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  CHECK_THAT(logged, Catch::Contains("diary stopping with 100 records not written: the stop waits for the database, "
                                     "which has not answered a write for"));
}

TEST_CASE("a diary whose database does not exist says so, in its health and its commands", "[diary][postgres]") {
  // It said only "the diary's schema is not ready", and was healthy until the first interaction.
  auto dsn = strata::test::pg_dsn();
  const auto at = dsn.find("dbname=");
  REQUIRE(at != std::string::npos);
  dsn.replace(at, dsn.find(' ', at) - at, "dbname=strata_no_such_database");
  auto rt = start_yaml(strata::test::diary_yaml("      backend: postgres\n      dsn: \"" + dsn +
                                                "\"\n      retry_min: 50ms\n      retry_max: 500ms\n"));
  const auto diary = [&] { return strata::test::diary_health(*rt); };
  CHECK(diary().level == strata::health_level::critical);
  CHECK_THAT(diary().detail, Catch::Contains("strata_no_such_database") && Catch::Contains("does not exist"));
  const auto count = rt->layer_command("diary", "count", "{}");
  CHECK(count.code == status::unavailable);
  CHECK_THAT(count.json, Catch::Contains("does not exist"));
}

TEST_CASE("the diary's analyses run on PostgreSQL", "[diary][postgres]") {
  scratch db;
  auto rt = start_yaml(strata::test::diary_yaml(db.settings()));
  for (int i = 0; i < 3; ++i) {
    rt->get("x");
    rt->get("y");
  }
  strata::request_options help;
  help.ns = "help";
  rt->get("how do I reset my password", help);
  rt->get("how to reset my password", help);
  rt->get("weather in paris", help);
  diary_command(*rt, "flush");
  auto top = diary_command(*rt, "top_queries")["queries"];
  REQUIRE(top.size() == 2);
  CHECK(top[0]["count"] == 3);
  auto seq = diary_command(*rt, "top_sequences")["sequences"];
  REQUIRE(seq.size() == 2);
  CHECK(seq[0]["sequence"] == nlohmann::json::array({"x", "y"}));
  CHECK(seq[0]["count"] == 3);
  auto clusters = diary_command(*rt, "clusters", R"({"ns":"help"})")["clusters"];
  REQUIRE(clusters.size() == 2);
  CHECK(clusters[0]["count"] == 2);
  CHECK(clusters[0]["members"].size() == 2);
  CHECK(clusters[1]["representative"] == "weather in paris");
  std::this_thread::sleep_for(5ms);
  CHECK(rt->layer_command("diary", "archive").code == status::ok);
}
