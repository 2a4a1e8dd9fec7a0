// The PostgreSQL backend against the Store's contract and through a server crash, on the server
// of scripts/pg-start (STRATA_PG_DSN). Each test works in a schema of its own.

#include "pg_scratch.hpp"
#include "store_contract.hpp"
#include "support/scoped_env.hpp"

#include <pqxx/pqxx>

#include <atomic>
#include <string>
#include <chrono>
#include <thread>

using namespace std::chrono_literals;

namespace {

strata::storage::store_options pg(const std::string& dsn) {
  strata::storage::store_options o;
  o.backend = strata::storage::dialect::postgres;
  o.dsn = dsn;
  return o;
}

} // namespace

TEST_CASE("the PostgreSQL store keeps the Store's contract", "[store][postgres]") {
  strata::test::scratch_schema schema{"t"};
  auto db = strata::storage::open_store(pg(schema.dsn));
  strata::test::check_store_contract(*db);
}

TEST_CASE("instances migrating one database at once apply each step once", "[store][postgres]") {
  strata::test::scratch_schema schema{"t"};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i)
    threads.emplace_back([&] {
      try {
        auto db = strata::storage::open_store(pg(schema.dsn));
        if (db->migrate("contract", strata::test::contract_schema()) != 2)
          ++failures;
      } catch (const std::exception& e) {
        UNSCOPED_INFO(e.what());
        ++failures;
      }
    });
  for (auto& t : threads)
    t.join();
  CHECK(failures == 0);
}

TEST_CASE("a notification reaches a listener of its channel", "[store][postgres]") {
  auto db = strata::storage::open_store(pg(strata::test::pg_dsn()));
  auto listener = db->listen("strata_test_channel");
  REQUIRE(listener != nullptr);
  db->notify("strata_test_channel", "hello 'world'");
  db->notify("another_channel", "not for us");
  std::vector<strata::storage::notification> got;
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (got.empty() && std::chrono::steady_clock::now() < until)
    for (auto& n : listener->wait(200ms))
      got.push_back(n);
  REQUIRE(got.size() == 1);
  CHECK(got[0].channel == "strata_test_channel");
  CHECK(got[0].payload == "hello 'world'");
}

TEST_CASE("a listener whose connection the server ended says which server", "[store][postgres]") {
  // libpq's words alone ("Connection to database failed") named no server (audit).
  const auto dsn = strata::test::pg_dsn();
  auto db = strata::storage::open_store(pg(dsn));
  auto listener = db->listen("strata_test_ended");
  REQUIRE(listener != nullptr);
  pqxx::connection admin(dsn);
  pqxx::nontransaction(admin).exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE "
                                   "'LISTEN%strata_test_ended%'");
  std::string message;
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (message.empty() && std::chrono::steady_clock::now() < until) {
    try {
      listener->wait(200ms);
    } catch (const strata::storage::store_error& e) {
      message = e.what();
    }
  }
  const auto port = dsn.substr(dsn.find("port=") + 5, dsn.find(' ', dsn.find("port=")) - dsn.find("port=") - 5);
  CHECK_THAT(message, Catch::StartsWith("postgres: ") && Catch::Contains(":" + port + " "));
}

TEST_CASE("no connection string is a clear error and an unreachable server is unavailable, quickly", "[store][postgres]") {
  {
    strata::test::scoped_env unset("STRATA_PG_DSN", nullptr);
    CHECK_THROWS_WITH(strata::storage::open_store(pg("")), Catch::Contains("STRATA_PG_DSN"));
  }
  auto db = strata::storage::open_store(pg("host=127.0.0.1 port=1 dbname=strata user=postgres"));
  db->prepare("one", "SELECT 1");
  const auto start = std::chrono::steady_clock::now();
  try {
    db->query("one");
    FAIL("a query reached a server that does not exist");
  } catch (const strata::storage::store_error& e) {
    CHECK(e.code() == strata::status::unavailable);
    CHECK_THAT(e.what(), Catch::Contains("cannot connect with the connection string of dsn: "));
    // libpq's hint ("Is the server running...") is on the same line, for a log or a health reason.
    CHECK_THAT(e.what(), Catch::Contains("Connection refused; Is the server running"));
    CHECK(std::string(e.what()).find('\n') == std::string::npos);
  }
  CHECK(std::chrono::steady_clock::now() - start < 3s);
}

TEST_CASE("the store's connections say they are strata's unless the connection string names them", "[store][postgres]") {
  const auto application_of = [](const std::string& dsn) {
    auto db = strata::storage::open_store(pg(dsn));
    db->prepare("name", "SELECT current_setting('application_name')");
    return db->query("name").at(0).text(0);
  };
  CHECK(application_of(strata::test::pg_dsn()) == "strata");
  CHECK(application_of(strata::test::pg_dsn() + " application_name=node-a") == "node-a");
  // The same server as a URI, from the key=value words of scripts/pg-start's DSN.
  const auto dsn = strata::test::pg_dsn();
  const auto word = [&](const std::string& key) {
    const auto at = dsn.find(key + "=");
    return at == std::string::npos ? std::string() : dsn.substr(at + key.size() + 1, dsn.find(' ', at) - at - key.size() - 1);
  };
  if (word("host").empty() || word("host")[0] == '/' || word("port").empty() || word("user").empty() ||
      word("dbname").empty())
    return; // not a DSN of scripts/pg-start: the key=value form above is checked
  const auto uri = "postgresql://" + word("user") + "@" + word("host") + ":" + word("port") + "/" + word("dbname");
  CHECK(application_of(uri) == "strata");
  CHECK(application_of(uri + "?application_name=node-b") == "node-b");
}

TEST_CASE("a server that refuses the connection string names it and where it came from", "[store][postgres]") {
  const std::string no_such_database = strata::test::pg_dsn() + " dbname=strata_no_such_database";
  const auto refusal = [](strata::storage::store& db) {
    db.prepare("one", "SELECT 1");
    try {
      db.query("one");
    } catch (const strata::storage::store_error& e) {
      CHECK(e.code() == strata::status::unavailable);
      return std::string(e.what());
    }
    FAIL("a query reached a database that does not exist");
    return std::string();
  };
  const auto from_environment = [&] {
    strata::test::scoped_env refused("STRATA_PG_DSN", no_such_database.c_str());
    return refusal(*strata::storage::open_store(pg("")));
  }();
  CHECK_THAT(from_environment, Catch::Contains("with the connection string of STRATA_PG_DSN (dsn is empty): "));
  CHECK_THAT(from_environment, Catch::Contains("\"strata_no_such_database\" does not exist"));
  CHECK_THAT(refusal(*strata::storage::open_store(pg(no_such_database))),
             Catch::Contains("with the connection string of dsn: "));
}

TEST_CASE("the store recovers by itself after the server was killed and restarted", "[store][postgres][faults]") {
  strata::test::scratch_schema schema{"t"};
  auto db = strata::storage::open_store(pg(schema.dsn));
  db->migrate("contract", strata::test::contract_schema());
  db->prepare("ins", "INSERT INTO t_items (id, name) VALUES ($1, $2)");
  db->prepare("count", "SELECT COUNT(*) FROM t_items");
  db->execute("ins", {std::int64_t{1}, std::string("before")});
  strata::test::kill_server();
  try {
    db->execute("ins", {std::int64_t{2}, std::string("during")});
    FAIL("a write succeeded while the server was down");
  } catch (const strata::storage::store_error& e) {
    CHECK(e.code() == strata::status::unavailable);
  }
  strata::test::restart_server();
  db->execute("ins", {std::int64_t{3}, std::string("after")});
  CHECK(db->query("count").at(0).integer(0) == 2);
}

TEST_CASE("a pooled connection the server closed while it was idle is replaced, not reported", "[store][postgres]") {
  strata::test::scratch_schema schema{"t"};
  auto options = pg(schema.dsn);
  options.pool_size = 1;
  auto db = strata::storage::open_store(options);
  db->migrate("contract", strata::test::contract_schema());
  db->prepare("ins", "INSERT INTO t_items (id, name) VALUES ($1, $2)");
  db->prepare("pid", "SELECT pg_backend_pid()");
  db->prepare("count", "SELECT COUNT(*) FROM t_items");
  db->execute("ins", {std::int64_t{1}, std::string("before")});
  const auto pid = db->query("pid").at(0).integer(0);
  {
    pqxx::connection admin(strata::test::pg_dsn());
    pqxx::nontransaction t(admin);
    REQUIRE(t.exec("SELECT pg_terminate_backend(" + std::to_string(pid) + ")")[0][0].as<bool>());
  }
  std::this_thread::sleep_for(100ms); // the backend is gone
  // A write and a transaction, each on a connection the server has closed.
  CHECK(db->execute("ins", {std::int64_t{2}, std::string("after")}) == 1);
  CHECK(db->query("pid").at(0).integer(0) != pid);
  const auto second = db->query("pid").at(0).integer(0);
  {
    pqxx::connection admin(strata::test::pg_dsn());
    pqxx::nontransaction t(admin);
    REQUIRE(t.exec("SELECT pg_terminate_backend(" + std::to_string(second) + ")")[0][0].as<bool>());
  }
  std::this_thread::sleep_for(100ms);
  db->transact([](strata::storage::session& s) { s.execute("ins", {std::int64_t{3}, std::string("in a transaction")}); });
  CHECK(db->query("count").at(0).integer(0) == 3);
}

TEST_CASE("with idle_in_transaction_timeout, a transaction whose client stops between statements is ended, and nothing of it is kept",
          "[store][postgres]") {
  strata::test::scratch_schema schema{"t"};
  auto options = pg(schema.dsn);
  options.idle_in_transaction_timeout = 200ms;
  auto db = strata::storage::open_store(options);
  db->migrate("contract", strata::test::contract_schema());
  db->prepare("ins", "INSERT INTO t_items (id, name) VALUES ($1, $2)");
  db->prepare("count", "SELECT COUNT(*) FROM t_items");
  // Idle in its transaction for longer than idle_in_transaction_timeout: the server ends the
  // session (it held its locks, and a global change it logged for others to replay, for as long as
  // it was away).
  CHECK_THROWS_AS(db->transact([](strata::storage::session& s) {
                    s.execute("ins", {std::int64_t{1}, std::string("first")});
                    std::this_thread::sleep_for(600ms);
                    s.execute("ins", {std::int64_t{2}, std::string("second")});
                  }),
                  strata::storage::store_error);
  CHECK(db->query("count").at(0).integer(0) == 0);
  // A transaction that does not pause commits as before.
  db->transact([](strata::storage::session& s) { s.execute("ins", {std::int64_t{3}, std::string("quick")}); });
  CHECK(db->query("count").at(0).integer(0) == 1);
}
