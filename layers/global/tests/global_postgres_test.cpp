// Two runtimes sharing one real PostgreSQL (scripts/pg-start) through their global layers, and a
// runtime whose server is killed and restarted under load.

#include "global_deployment.hpp"
#include "pg_scratch.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include <atomic>
#include <csignal>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using strata::status;
using strata::testing::eventually;
using strata::testing::start_yaml;

namespace {

/// A schema and a channel of their own for one test, so that tests do not see each other.
struct scratch : strata::test::scratch_schema {
  scratch() : scratch_schema("g") {}
  std::string settings(const std::string& instance, const std::string& retry = "retry_min: 50ms\n      retry_max: 500ms") const {
    return "      backend: postgres\n      dsn: \"" + dsn + "\"\n      channel: " + name +
           "\n      instance_id: " + instance + "\n      " + retry + "\n      maintenance_interval: 200ms\n";
  }
  /// An instance that listens again only 2 s after it lost its connection: what the others change
  /// in that gap it does not hear, it can only replay.
  std::string late_listener(const std::string& instance) const {
    return settings(instance, "retry_min: 1s\n      retry_max: 2s");
  }
  /// The server process of the one listening connection on the test's channel.
  int listener_pid() const {
    pqxx::connection admin(strata::test::pg_dsn());
    const auto r = pqxx::nontransaction(admin).exec("SELECT pid FROM pg_stat_activity WHERE query LIKE 'LISTEN %" +
                                                    name + "%'");
    REQUIRE(r.size() == 1);
    return r[0][0].as<int>();
  }
  /// `settings(instance)` with its connections named `application`, so that a test finds them.
  std::string named_settings(const std::string& instance, const std::string& application) const {
    auto text = settings(instance);
    const auto at = text.find(dsn);
    REQUIRE(at != std::string::npos);
    return text.insert(at + dsn.size(), " application_name=" + application);
  }
  /// The server processes of the connections named `application`.
  std::vector<int> pids_of(const std::string& application) const {
    pqxx::connection admin(strata::test::pg_dsn());
    const auto r = pqxx::nontransaction(admin).exec("SELECT pid FROM pg_stat_activity WHERE application_name = " +
                                                    admin.quote(application));
    std::vector<int> pids;
    for (const auto& row : r)
      pids.push_back(row[0].as<int>());
    return pids;
  }
  /// Ends the listening connection of every instance on the test's channel.
  void terminate_listeners() const {
    pqxx::connection admin(strata::test::pg_dsn());
    pqxx::nontransaction(admin).exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE "
                                     "'LISTEN %" + name + "%'");
  }
};

double layer_sample(strata::runtime& rt, const std::string& family, const std::string& labels) {
  return strata::test::sample(rt.prometheus_text(), family + "{cache_layer=\"shared\"" + labels + "}");
}

} // namespace

TEST_CASE("two runtimes on one PostgreSQL see each other's writes and invalidations", "[global][postgres]") {
  scratch db;
  auto a = start_yaml(strata::test::two_layer_yaml(db.settings("node-a")));
  auto b = start_yaml(strata::test::two_layer_yaml(db.settings("node-b")));

  strata::put_options tagged;
  tagged.tags = {"group"};
  REQUIRE(a->put("k", "v1", tagged) == status::ok);
  auto got = b->get("k");
  CHECK(got.code == status::ok);
  CHECK(got.value == "v1");
  CHECK(got.layer == "shared");
  REQUIRE(eventually([&] { return b->get("k").layer == "hot"; })); // b now holds a copy above

  SECTION("a write in one drops the other's copy above, which then reads the new value") {
    REQUIRE(a->put("k", "v2") == status::ok);
    CHECK(eventually([&] { return b->get("k").value == "v2"; }));
    CHECK(layer_sample(*b, "strata_global_sync_messages_total", ",direction=\"received\"") >= 1);
    CHECK(layer_sample(*a, "strata_global_sync_messages_total", ",direction=\"sent\"") >= 2);
    CHECK(layer_sample(*b, "strata_global_sync_latency_seconds_count", "") >= 1);
    // Its own change is not heard back as a change from elsewhere.
    CHECK(layer_sample(*a, "strata_global_sync_messages_total", ",direction=\"received\"") == 0);
  }

  SECTION("an erase in one drops the other's copy") {
    REQUIRE(a->erase("k") == status::ok);
    CHECK(eventually([&] { return b->get("k").code == status::not_found; }));
  }

  SECTION("a tag invalidation in one drops the other's tagged copies") {
    CHECK(a->invalidate_tag("group").removed >= 1);
    CHECK(eventually([&] { return b->get("k").code == status::not_found; }));
  }

  SECTION("a rejection in one stops the other serving its copy") {
    CHECK(a->layer_command("shared", "reject", R"({"key":"k"})").code == status::ok);
    CHECK(eventually([&] { return b->get("k").code == status::not_found; }));
    CHECK_THAT(b->layer_command("shared", "entry", R"({"key":"k"})").json,
               Catch::Contains("\"state\":\"rejected\"") && Catch::Contains("\"writer\":\"node-a\""));
  }

  SECTION("the invalidation heard by b does not echo: b sends nothing") {
    REQUIRE(a->put("k", "v3") == status::ok);
    REQUIRE(eventually([&] { return b->get("k").value == "v3"; }));
    std::this_thread::sleep_for(300ms);
    CHECK(layer_sample(*b, "strata_global_sync_messages_total", ",direction=\"sent\"") == 0);
    CHECK(layer_sample(*a, "strata_global_sync_messages_total", ",direction=\"received\"") == 0);
  }
}

TEST_CASE("an EXPIRE whose node still holds the old value never writes it over another node's write or erase",
          "[global][postgres]") {
  // An EXPIRE looks the value up and writes it back with the new TTL. Node b looked in its copy
  // above, which the other node's change (its notification still on the way) had made stale:
  // the write-back put the old value in the shared table, which both nodes then served.
  scratch db;
  auto b = start_yaml(strata::test::two_layer_yaml(db.settings("node-b")));
  REQUIRE(b->put("k", "old") == status::ok);
  REQUIRE(b->get("k").layer == "hot");
  pqxx::connection other(db.dsn); // the other node, whose notification has not reached b yet
  const auto row_of = [&](const std::string& key) {
    const auto r = pqxx::nontransaction(other).exec("SELECT encode(value, 'escape'), expires_at_us FROM "
                                                    "strata_global_entries WHERE key = " + other.quote(key));
    return r.empty() ? std::string("(none)") : r[0][0].as<std::string>();
  };

  SECTION("replaced") {
    pqxx::nontransaction(other).exec("UPDATE strata_global_entries SET value = 'new' WHERE key = 'k'");
    CHECK(b->expire("k", 1h) == status::ok); // ordered before the other's write, it found the key
    CHECK(row_of("k") == "new");
  }
  SECTION("erased") {
    pqxx::nontransaction(other).exec("DELETE FROM strata_global_entries WHERE key = 'k'");
    CHECK(b->expire("k", 1h) == status::ok);
    CHECK(row_of("k") == "(none)");
  }
  SECTION("expired since b found it alive: it takes the new TTL, as b's copy does") {
    // Left expired, b served its copy for an hour and a, finding none, nothing.
    pqxx::nontransaction(other).exec("UPDATE strata_global_entries SET expires_at_us = 1 WHERE key = 'k'");
    CHECK(b->expire("k", 1h) == status::ok);
    CHECK(row_of("k") == "old");
    const auto expires = pqxx::nontransaction(other)
                           .exec("SELECT expires_at_us FROM strata_global_entries WHERE key = 'k'")[0][0]
                           .as<std::int64_t>();
    CHECK(expires > std::chrono::duration_cast<std::chrono::microseconds>(
                      (std::chrono::system_clock::now() + 59min).time_since_epoch()).count());
  }
  SECTION("unchanged: the TTL is set there, and the other nodes drop their copies") {
    CHECK(b->expire("k", 1h) == status::ok);
    CHECK(row_of("k") == "old");
    const auto expires = pqxx::nontransaction(other)
                           .exec("SELECT expires_at_us FROM strata_global_entries WHERE key = 'k'")[0][0]
                           .as<std::int64_t>();
    const auto in_an_hour = std::chrono::duration_cast<std::chrono::microseconds>(
                              (std::chrono::system_clock::now() + 1h).time_since_epoch()).count();
    CHECK(expires > in_an_hour - 60'000'000);
    CHECK(expires <= in_an_hour);
    CHECK(layer_sample(*b, "strata_global_sync_messages_total", ",direction=\"sent\"") >= 2);
  }
}

TEST_CASE("keys PostgreSQL text cannot hold are kept above, never cut short into another key", "[global][postgres]") {
  scratch db;
  auto a = start_yaml(strata::test::two_layer_yaml(db.settings("node-a")));
  auto b = start_yaml(strata::test::two_layer_yaml(db.settings("node-b")));
  using namespace std::string_literals;
  REQUIRE(a->put("acct", "acct-data") == status::ok);
  // A NUL byte cut the key at libpq's C string: "acct\0victim" overwrote "acct" in the table.
  CHECK(a->put("acct\0victim"s, "victim-data") == status::ok); // kept by `hot`
  CHECK(a->get("acct\0victim"s).value == "victim-data");
  CHECK(b->get("acct").value == "acct-data");
  CHECK(b->get("acct\0victim"s).code == status::not_found);
  // A key that is not UTF-8 made every statement fail, and the layer was replaced.
  CHECK(a->put("\xff-bin", "v") == status::ok);
  CHECK(a->get("\xff-bin").value == "v");
  CHECK(b->get("\xff-bin").code == status::not_found);
  CHECK(a->health().layers.at(1).level == strata::health_level::healthy);
  CHECK(layer_sample(*a, "strata_cache_layer_errors_total", ",type=\"exception\"") <= 0);
  // A tag cut short, or that could not be announced, would survive its invalidation.
  strata::put_options nul_tag;
  nul_tag.tags = {"team\0a"s};
  CHECK(a->put("tagged", "t", nul_tag) == status::ok);
  CHECK(b->get("tagged").code == status::not_found);
  CHECK(a->invalidate_tag("team").removed == 0);
  CHECK(a->layer_command("shared", "put", R"({"key":"k\u0000x","value":"v"})").code == status::invalid);
  for (const char* command : {"entry", "validate", "reject"}) // answered, not a fault of the layer
    CHECK(a->layer_command("shared", command, R"({"key":"k\u0000x"})").code == status::invalid);
  CHECK(a->health().layers.at(1).level == strata::health_level::healthy);
}

TEST_CASE("two instances given the same instance_id still hear each other", "[global][postgres]") {
  scratch db;
  auto a = start_yaml(strata::test::two_layer_yaml(db.settings("node")));
  auto b = start_yaml(strata::test::two_layer_yaml(db.settings("node")));
  REQUIRE(a->put("price", "100") == status::ok);
  REQUIRE(b->get("price").value == "100");
  REQUIRE(eventually([&] { return b->get("price").layer == "hot"; }));
  REQUIRE(a->put("price", "200") == status::ok);
  CHECK(eventually([&] { return b->get("price").value == "200"; }));
}

TEST_CASE("an instance that lost its listening connection drops what the others changed meanwhile",
          "[global][postgres][faults]") {
  scratch db;
  auto a = start_yaml(strata::test::two_layer_yaml(db.settings("node-a")));
  auto b = start_yaml(strata::test::two_layer_yaml(db.late_listener("node-b"))); // a's changes below fall in its gap
  strata::put_options tagged;
  tagged.tags = {"group"};
  REQUIRE(a->put("k", "v1") == status::ok);
  REQUIRE(a->put("gone", "x") == status::ok);
  REQUIRE(a->put("member", "m", tagged) == status::ok);
  for (const char* key : {"k", "gone", "member"})
    REQUIRE(eventually([&] { return b->get(key).layer == "hot"; })); // b holds copies above

  db.terminate_listeners(); // a's too: it is back at once, and has nothing of b's to replay
  REQUIRE(eventually([&] { return layer_sample(*b, "strata_global_errors_total", ",source=\"listener\"") >= 1; }));
  REQUIRE(a->put("k", "v2") == status::ok);
  REQUIRE(a->erase("gone") == status::ok);
  REQUIRE(a->invalidate_tag("group").removed >= 1);
  CHECK(layer_sample(*b, "strata_global_sync_messages_total", ",direction=\"replayed\"") == 0);

  CHECK(eventually([&] { return b->get("k").value == "v2"; }, 10s));
  CHECK(b->get("gone").code == status::not_found);
  CHECK(b->get("member").code == status::not_found);
  // The three, and what changed just before the last change heard (the tagged put: a change may
  // commit after a later one).
  CHECK(layer_sample(*b, "strata_global_sync_messages_total", ",direction=\"replayed\"") >= 3);
  CHECK(layer_sample(*a, "strata_global_sync_messages_total", ",direction=\"replayed\"") == 0); // its own
  // Listening again, b hears the next change as before.
  REQUIRE(eventually([&] { return b->get("k").layer == "hot"; }));
  REQUIRE(a->put("k", "v3") == status::ok);
  CHECK(eventually([&] { return b->get("k").value == "v3"; }));
}

TEST_CASE("a node whose connections all stop answering drops what changed meanwhile, with or without requests",
          "[global][postgres][faults]") {
  // An audit froze one node's link to the database: with no request to the node, its maintenance
  // waited on a statement for good, sent no mark, and the node served an overwritten value for as
  // long as the link stayed frozen, healthy; replaced as hung (requests timed out), the new
  // instance listened afresh and the copy above lived until its TTL.
  scratch db;
  auto a = start_yaml(strata::test::two_layer_yaml(db.settings("node-a") + "      sync: false\n")); // b listens alone
  const auto b_connections = db.name + "_b";
  auto b = start_yaml(strata::test::two_layer_yaml(db.named_settings("node-b", b_connections)));
  REQUIRE(a->put("k", "v1") == status::ok);
  REQUIRE(eventually([&] { return b->get("k").layer == "hot"; }));
  std::this_thread::sleep_for(500ms); // b's maintenance between two runs
  const auto frozen = db.pids_of(b_connections);
  REQUIRE(frozen.size() >= 2); // the listening connection and a statement one
  struct resumed {
    std::vector<int> pids;
    ~resumed() {
      for (int pid : pids)
        ::kill(pid, SIGCONT);
    }
  } resume_at_end{frozen};
  for (int pid : frozen)
    REQUIRE(::kill(pid, SIGSTOP) == 0);
  const auto since = std::chrono::steady_clock::now();
  REQUIRE(a->put("k", "v2") == status::ok);
  SECTION("no request: the listener hears nothing, not even a mark, and listens again") {
    // Found within the mark's 15 s, or the 20.5 s of silence here, then replayed: dropped above,
    // the key is read from the global layer (which waits on its frozen connection: timeout).
    CHECK(eventually([&] { return b->get("k").value != "v1"; }, 40s));
  }
  SECTION("replaced as hung: the new instance replays from where the one it replaces had heard") {
    CHECK(b->get("absent").code == status::timeout); // the global layer waits on its frozen connection
    // Replaced 5 s past the deadline (2 s); before the old listener's silence (20.5 s) could find it.
    CHECK(eventually([&] { return b->get("k").value == "v2"; }, 15s));
    CHECK(std::chrono::steady_clock::now() - since < 20s);
    CHECK(layer_sample(*b, "strata_cache_layer_restarts_total", "") >= 1);
  }
}

TEST_CASE("once its listener listens again, a node's statements try the database without waiting out their backoff",
          "[global][postgres][faults]") {
  // An audit restarted PostgreSQL: the replay as the listener listened again dropped good copies
  // above, and reading them again answered unavailable for 2 s more, the statements' backoff.
  scratch db;
  auto a = start_yaml(strata::test::two_layer_yaml(db.settings("node-a") + "      sync: false\n"));
  const auto b_connections = db.name + "_b";
  auto settings = db.named_settings("node-b", b_connections);
  for (const auto& [from, to] : {std::pair<std::string, std::string>{"retry_min: 50ms", "retry_min: 8s"},
                                 {"retry_max: 500ms", "retry_max: 8s"},
                                 {"maintenance_interval: 200ms", "maintenance_interval: 1h"}}) // no statement but the test's
    settings.replace(settings.find(from), from.size(), to);
  auto b = start_yaml(strata::test::two_layer_yaml(settings));
  REQUIRE(a->put("k", "v") == status::ok); // in the database, not above in b
  const auto stopped = std::chrono::steady_clock::now();
  strata::test::kill_server();
  // b's listener tries again 8 s after it lost its connection; its statements, after this failure
  // 2 s after the stop, 10 s after it.
  std::this_thread::sleep_until(stopped + 2s);
  REQUIRE(b->get("k").code == status::unavailable);
  strata::test::restart_server();
  // Read as soon as the listener listens again (its connection shows before it has replayed and
  // said so: polled rather than waited for).
  CHECK(eventually([&] { return b->get("k").value == "v"; }, 15s));
  CHECK(std::chrono::steady_clock::now() - stopped < 10s);
}

TEST_CASE("a replay the log was pruned under says it is not whole", "[global][postgres][faults]") {
  scratch db;
  auto a = start_yaml(strata::test::two_layer_yaml(db.settings("node-a")));
  auto b = start_yaml(strata::test::two_layer_yaml(db.late_listener("node-b")));
  REQUIRE(a->put("k", "v1") == status::ok);
  REQUIRE(eventually([&] { return b->get("k").layer == "hot"; }));
  pqxx::connection admin(db.dsn);
  db.terminate_listeners();
  REQUIRE(eventually([&] { return layer_sample(*b, "strata_global_errors_total", ",source=\"listener\"") >= 1; }));
  REQUIRE(a->put("k", "v2") == status::ok);
  // As an instance of a short change_retention would, while b is not listening.
  pqxx::nontransaction(admin).exec("WITH gone AS (DELETE FROM strata_global_changes RETURNING logged_us) "
                                   "UPDATE strata_global_pruned SET upto_us = (SELECT MAX(logged_us) FROM gone)");
  // b listens again, finds nothing to replay, and says the replay is not whole: an error counted
  // (it said "dropped 0" as a warning, and served v1).
  CHECK(eventually([&] { return layer_sample(*b, "strata_global_errors_total", ",source=\"listener\"") >= 2; }, 10s));
  CHECK(layer_sample(*b, "strata_global_sync_messages_total", ",direction=\"replayed\"") == 0);
}

TEST_CASE("a listener on a quiet channel keeps how far it has heard recent: a blip after a prune is whole",
          "[global][postgres][faults]") {
  scratch db;
  auto b = start_yaml(strata::test::two_layer_yaml(db.settings("node-b")));
  pqxx::connection admin(db.dsn);
  // As if a change logged 3 s before b listened had been pruned since (b hears none at all).
  pqxx::nontransaction(admin).exec("UPDATE strata_global_pruned SET upto_us = "
                                   "(extract(epoch from clock_timestamp()) * 1000000)::bigint - 3000000");
  std::this_thread::sleep_for(12s); // two reads of the database's clock, 5 s apart, each confirmed
  db.terminate_listeners();
  REQUIRE(eventually([&] { return layer_sample(*b, "strata_global_errors_total", ",source=\"listener\"") >= 1; }));
  std::this_thread::sleep_for(500ms); // past the moment between counting the loss and saying it in health
  REQUIRE(eventually([&] { return b->health().layers.at(1).level == strata::health_level::healthy; }, 5s));
  // Its replay began where it last knew it heard all, after the prune: whole (from the time it
  // began listening, it was said not to be, and an error counted on every blip of a quiet channel).
  CHECK(layer_sample(*b, "strata_global_errors_total", ",source=\"listener\"") == 1);
}

TEST_CASE("a listening connection that went deaf is found by its marks, and replayed from before it went deaf",
          "[global][postgres][faults]") {
  scratch db;
  auto a = start_yaml(strata::test::two_layer_yaml(db.settings("node-a") + "      sync: false\n")); // b listens alone
  auto b = start_yaml(strata::test::two_layer_yaml(db.settings("node-b")));
  REQUIRE(a->put("k", "v1") == status::ok);
  REQUIRE(eventually([&] { return b->get("k").layer == "hot"; }));
  const int pid = db.listener_pid();
  // b's connection takes nothing more and says nothing of it (the kernel still answers for it).
  REQUIRE(::kill(pid, SIGSTOP) == 0);
  struct resumed {
    int pid;
    ~resumed() { ::kill(pid, SIGCONT); }
  } resume_at_end{pid};
  REQUIRE(a->put("k", "v2") == status::ok);
  // b's marks go unheard: after 15 s it takes the connection as lost (v1 was served for as long as
  // the server process stayed stopped), listens on a new one, and replays from before v2 (a clock
  // read on the statements' connections had moved how far it had heard past v2: v1 after the replay).
  CHECK(eventually([&] { return b->get("k").value == "v2"; }, 40s));
  CHECK(layer_sample(*b, "strata_global_errors_total", ",source=\"listener\"") >= 1);
  CHECK(layer_sample(*b, "strata_global_sync_messages_total", ",direction=\"replayed\"") >= 1);
}

TEST_CASE("a time heard far ahead of the database's clock is not taken for how far it has heard",
          "[global][postgres][faults]") {
  scratch db;
  auto a = start_yaml(strata::test::two_layer_yaml(db.settings("node-a")));
  auto b = start_yaml(strata::test::two_layer_yaml(db.late_listener("node-b")));
  REQUIRE(a->put("k", "v1") == status::ok);
  REQUIRE(eventually([&] { return b->get("k").layer == "hot"; }));
  pqxx::connection other(db.dsn); // something else on the channel, or a server clock stepped back
  pqxx::nontransaction(other).exec("NOTIFY " + db.name + ", '{\"o\":\"other\",\"k\":\"mark\",\"n\":\"\",\"w\":\"\"," +
                                   "\"t\":0,\"a\":9000000000000000}'");
  std::this_thread::sleep_for(300ms); // heard by b
  db.terminate_listeners();
  REQUIRE(eventually([&] { return layer_sample(*b, "strata_global_errors_total", ",source=\"listener\"") >= 1; }));
  REQUIRE(a->put("k", "v2") == status::ok);
  CHECK(eventually([&] { return b->get("k").value == "v2"; }, 10s)); // replayed: it served v1
}

TEST_CASE("a change is logged with the database's clock, which its notification carries", "[global][postgres]") {
  scratch db;
  auto a = start_yaml(strata::test::two_layer_yaml(db.settings("node-a")));
  pqxx::connection c(db.dsn);
  struct receiver : pqxx::notification_receiver {
    using pqxx::notification_receiver::notification_receiver;
    void operator()(const std::string& payload, int) override { payloads.push_back(payload); }
    std::vector<std::string> payloads;
  } heard(c, db.name);
  c.get_notifs(); // sends LISTEN
  REQUIRE(a->put("k", "v") == status::ok);
  for (int i = 0; i < 50 && heard.payloads.empty(); ++i)
    c.await_notification(0, 100000);
  REQUIRE(heard.payloads.size() == 1);
  const auto message = nlohmann::json::parse(heard.payloads[0]);
  const auto logged = pqxx::nontransaction(c).exec("SELECT logged_us, origin, tag, ns, what FROM strata_global_changes");
  REQUIRE(logged.size() == 1);
  CHECK(message.at("a").get<long long>() == logged[0][0].as<long long>());
  CHECK(message.at("o").get<std::string>() == logged[0][1].as<std::string>());
  CHECK(logged[0][2].as<int>() == 0);
  CHECK(logged[0][3].as<std::string>() == "default");
  CHECK(logged[0][4].as<std::string>() == "k");
}

TEST_CASE("maintenance forgets the changes older than change_retention, and keeps the others", "[global][postgres]") {
  scratch db;
  auto a = start_yaml(strata::test::two_layer_yaml(db.settings("node-a") + "      change_retention: 1m\n"));
  REQUIRE(a->put("recent", "v") == status::ok);
  pqxx::connection c(db.dsn);
  pqxx::nontransaction(c).exec("INSERT INTO strata_global_changes (logged_us, origin, tag, ns, what) VALUES "
                               "((extract(epoch from clock_timestamp()) * 1000000)::bigint - 61000000, 'x', 0, "
                               "'default', 'old')");
  const auto logged = [&] {
    return pqxx::nontransaction(c).exec("SELECT what FROM strata_global_changes ORDER BY what");
  };
  CHECK(eventually([&] { return logged().size() == 1; }, 5s)); // maintenance every 200 ms
  CHECK(logged()[0][0].as<std::string>() == "recent");
}

TEST_CASE("maintenance deletes expired rows and old changes in batches until none is left", "[global][postgres]") {
  // One statement for all of them ran past statement_timeout with a million, was rolled back, and
  // was tried again at each maintenance: never done. Here 200 000 of each against 150 ms: one
  // statement takes several times that, a batch of 10 000 a fraction.
  scratch db;
  auto a = start_yaml(strata::test::two_layer_yaml(db.settings("node-a") +
                                                   "      change_retention: 1m\n      statement_timeout: 150ms\n"));
  REQUIRE(a->put("kept", "v") == status::ok);
  pqxx::connection c(db.dsn);
  const std::string rows = "200000"; // twenty batches (global_schema.hpp's maintenance_batch, 10 000)
  pqxx::nontransaction(c).exec("INSERT INTO strata_global_entries (ns, key, value, confidence, writer, state, "
                               "expires_at_us, updated_at_us, tags) SELECT 'bulk', g::text, '', 1, 'x', 0, 1, 0, "
                               "'[]' FROM generate_series(1, " + rows + ") g");
  pqxx::nontransaction(c).exec("INSERT INTO strata_global_changes (logged_us, origin, tag, ns, what) SELECT "
                               "(extract(epoch from clock_timestamp()) * 1000000)::bigint - 61000000 - g, 'x', 0, "
                               "'default', 'old' || g FROM generate_series(1, " + rows + ") g");
  const auto count = [&](const std::string& table) {
    return pqxx::nontransaction(c).exec("SELECT COUNT(*) FROM " + table)[0][0].as<long long>();
  };
  CHECK(eventually([&] { return count("strata_global_entries") == 1; }, 20s)); // maintenance every 200 ms
  CHECK(eventually([&] { return count("strata_global_changes WHERE what LIKE 'old%'") == 0; }, 20s));
  CHECK(a->get("kept").value == "v");
}

TEST_CASE("maintenance prunes the change log through its index, however long the log", "[global][postgres]") {
  // Compared with the volatile clock_timestamp() itself, the bound was read on every row: a scan
  // of the whole log, which an hour of writes made slower than statement_timeout.
  scratch db;
  pqxx::connection c(db.dsn);
  auto a = start_yaml(strata::test::two_layer_yaml(db.settings("node-a") + "      change_retention: 1m\n"));
  pqxx::nontransaction(c).exec("INSERT INTO strata_global_changes (logged_us, origin, tag, ns, what) SELECT "
                               "(extract(epoch from clock_timestamp()) * 1000000)::bigint + g, 'x', 0, 'default', "
                               "'k' || g FROM generate_series(1, 100000) g");
  pqxx::nontransaction(c).exec("ANALYZE strata_global_changes");
  const auto index_scans = [&] {
    return pqxx::nontransaction(c)
      .exec("SELECT idx_scan FROM pg_stat_user_indexes WHERE schemaname = current_schema() AND indexrelname = "
            "'strata_global_changes_logged'")[0][0]
      .as<long long>();
  };
  const auto before = index_scans();
  CHECK(eventually([&] { return index_scans() > before; }, 5s)); // maintenance every 200 ms
  CHECK(pqxx::nontransaction(c).exec("SELECT COUNT(*) FROM strata_global_changes")[0][0].as<long long>() >= 100000);
}

TEST_CASE("the entry count is exact below a million rows and PostgreSQL's estimate above", "[global][postgres]") {
  // A count reads the whole table: past statement_timeout, every maintenance failed.
  scratch db;
  auto a = start_yaml(strata::test::two_layer_yaml(db.settings("node-a")));
  REQUIRE(a->put("one", "v") == status::ok);
  REQUIRE(a->put("two", "v") == status::ok);
  const auto entries = [&] {
    const auto text = a->prometheus_text();
    const std::string series = "strata_cache_entries{cache_layer=\"shared\"} ";
    const auto at = text.find(series);
    return at == std::string::npos ? -1.0 : std::stod(text.substr(at + series.size()));
  };
  CHECK(eventually([&] { return entries() == 2; }, 5s)); // maintenance every 200 ms
  pqxx::connection c(db.dsn);
  // No ANALYZE of autovacuum's between the estimate the test sets and the layer's read of it.
  pqxx::nontransaction(c).exec("ALTER TABLE strata_global_entries SET (autovacuum_enabled = false)");
  // Stale statistics do not matter below the bound: an estimate of 2.5 M rows, 2 counted.
  pqxx::nontransaction(c).exec("UPDATE pg_class SET reltuples = 2500000 WHERE oid = 'strata_global_entries'::regclass");
  std::this_thread::sleep_for(500ms);
  CHECK(entries() == 2);
  // A million rows (3 to 7 s to insert here): counted up to the bound, then the estimate, as large as
  // the test says the table is (its user owns the server).
  pqxx::nontransaction(c).exec("INSERT INTO strata_global_entries (ns, key, value, confidence, writer, state, "
                               "expires_at_us, updated_at_us, tags) SELECT 'bulk', g::text, '', 1, 'x', 0, 0, 0, "
                               "'[]' FROM generate_series(1, 999998) g");
  pqxx::nontransaction(c).exec("UPDATE pg_class SET reltuples = 2500000 WHERE oid = 'strata_global_entries'::regclass");
  CHECK(eventually([&] { return entries() == 2500000; }, 5s));
}

TEST_CASE("a killed PostgreSQL neither crashes nor blocks the runtime, which recovers by itself",
          "[global][postgres][faults]") {
  scratch db;
  auto a = start_yaml(strata::test::two_layer_yaml(db.settings("node-a")));
  auto b = start_yaml(strata::test::two_layer_yaml(db.settings("node-b")));
  REQUIRE(a->put("stable", "before") == status::ok);
  strata::put_options tagged;
  tagged.tags = {"t"};
  REQUIRE(a->put("tagged", "kept", tagged) == status::ok);
  REQUIRE(b->put("only-in-db", "b's") == status::ok); // in the database and b's hot layer, not a's

  std::atomic<bool> stop{false};
  std::atomic<long> operations{0}, slowest_us{0};
  std::thread load([&] {
    for (long i = 0; !stop; ++i) {
      const auto start = std::chrono::steady_clock::now();
      a->put("loop" + std::to_string(i % 50), "x");
      a->get("other" + std::to_string(i % 50));
      const long us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
      slowest_us = std::max(slowest_us.load(), us);
      ++operations;
    }
  });
  std::this_thread::sleep_for(200ms);
  strata::test::kill_server();
  const long at_kill = operations;

  // Down: gets answer at once, unavailable (the key may be in the database: not a miss), health
  // turns critical, errors are counted.
  CHECK(eventually([&] { return a->health().overall == strata::health_level::critical; }));
  CHECK(eventually([&] { return b->get("never-written").code == status::unavailable; }));
  CHECK(a->get("only-in-db").code == status::unavailable); // it is there: a miss would say it is not
  CHECK(eventually([&] { return operations > at_kill + 20; }));
  CHECK(layer_sample(*a, "strata_global_errors_total", ",source=\"statement\"") >= 1);
  CHECK(eventually([&] { return layer_sample(*b, "strata_global_errors_total", ",source=\"listener\"") >= 1; }));
  // What could not reach the database says so, and changes nothing the layer above would serve
  // instead of the database's copy.
  CHECK(a->erase("stable") == status::unavailable);
  CHECK(a->invalidate_tag("t").code == status::unavailable);
  CHECK(a->put("unwritten", "x") == status::unavailable);
  CHECK(a->get("unwritten").code == status::unavailable); // the put was undone in hot
  strata::put_options if_absent;
  if_absent.condition = strata::put_condition::if_absent;
  CHECK(a->put("only-in-db", "a's", if_absent) == status::unavailable); // it cannot tell the key is absent

  strata::test::restart_server();
  // Back: writes land again, health recovers, and sync works again between the two.
  CHECK(eventually([&] { return a->put("after", "restart") == status::ok; }, 10s));
  CHECK(eventually([&] { return a->health().overall == strata::health_level::healthy; }, 10s));
  stop = true;
  load.join();
  // b finds the database again when its own backoff (up to retry_max) has passed.
  CHECK(eventually([&] { return b->get("after").value == "restart"; }, 10s));
  REQUIRE(eventually([&] { return b->get("after").layer == "hot"; }));
  CHECK(eventually([&] { return b->health().overall == strata::health_level::healthy; }, 10s));
  REQUIRE(a->put("after", "synced") == status::ok);
  CHECK(eventually([&] { return b->get("after").value == "synced"; }, 10s));
  CHECK(b->get("stable").value == "before"); // the erase that answered unavailable did not happen
  CHECK(a->get("only-in-db").value == "b's");
  CHECK(b->get("tagged").value == "kept");
  // Nothing waited on the dead server longer than a connection attempt (connect_timeout 2s).
  CHECK(slowest_us < 2'500'000);
}

TEST_CASE("a node whose writes the database refuses stays critical while reads are answered, and recovers without a write",
          "[global][postgres][faults]") {
  // A full disk: every put failed, yet the next read that succeeded (a get, the maintenance) made
  // the layer healthy again within a maintenance interval, and the health alert could never fire.
  scratch db;
  auto a = start_yaml(strata::test::two_layer_yaml(db.settings("node-a")));
  REQUIRE(a->put("before", "kept") == status::ok);
  pqxx::connection admin(db.dsn);
  // Row triggers: the maintenance's deletes and prune, which find no row, still succeed.
  pqxx::nontransaction(admin).exec(
    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
    "'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$; "
    "CREATE TRIGGER full_entries BEFORE INSERT OR UPDATE ON strata_global_entries FOR EACH ROW EXECUTE FUNCTION refuse(); "
    "CREATE TRIGGER full_pruned BEFORE UPDATE ON strata_global_pruned FOR EACH ROW EXECUTE FUNCTION refuse()");
  const auto shared = [&] { return a->health().layers.at(1); };
  CHECK(a->put("refused", "x") == status::unavailable);
  CHECK(eventually([&] { return a->get("never-written").code == status::not_found; }, 5s)); // past the backoff
  std::this_thread::sleep_for(1500ms); // maintenances ran, and a write probe
  CHECK(a->get("never-written").code == status::not_found);
  CHECK(shared().level == strata::health_level::critical);
  CHECK_THAT(shared().detail, Catch::Contains("writes fail, reads are answered: ") && Catch::Contains("No space left"));
  // An erase of an absent key writes nothing, and proves nothing: it made the layer healthy.
  CHECK(a->erase("never-written") == status::not_found);
  CHECK(shared().level == strata::health_level::critical);
  // A read-only server (statement triggers: a delete of no row is refused too): reads are answered
  // throughout, the maintenance no longer failing on its deletes and leaving them unanswered.
  pqxx::nontransaction(admin).exec(
    "DROP TRIGGER full_entries ON strata_global_entries; "
    "CREATE FUNCTION read_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION "
    "'cannot execute a write in a read-only transaction' USING ERRCODE = 'read_only_sql_transaction'; END $$; "
    "CREATE TRIGGER read_only_entries BEFORE INSERT OR UPDATE OR DELETE ON strata_global_entries "
    "FOR EACH STATEMENT EXECUTE FUNCTION read_only()");
  CHECK(a->put("refused", "y") == status::unavailable);
  CHECK(eventually([&] { return a->get("never-written").code == status::not_found; }, 5s)); // past the backoff
  for (int i = 0; i < 10; ++i) { // 2 s: ten maintenances
    CHECK(a->get("never-written").code == status::not_found);
    std::this_thread::sleep_for(200ms);
  }
  CHECK(shared().level == strata::health_level::critical);
  // The database takes writes again: the write probe finds it, with no write asked for.
  pqxx::nontransaction(admin).exec("DROP TRIGGER read_only_entries ON strata_global_entries; "
                                   "DROP TRIGGER full_pruned ON strata_global_pruned");
  CHECK(eventually([&] { return shared().level == strata::health_level::healthy; }, 5s));
  CHECK(a->put("after", "written") == status::ok);
}

TEST_CASE("a node whose database refuses it says why in its health from the start", "[global][postgres]") {
  // It said "not reached within 250 ms of the start" until the first maintenance found the reason.
  scratch db;
  auto settings = db.settings("lost");
  const auto at = settings.find(db.dsn);
  REQUIRE(at != std::string::npos);
  settings.insert(at + db.dsn.size(), " dbname=strata_no_such_database");
  const std::string every_200ms = "maintenance_interval: 200ms";
  settings.replace(settings.find(every_200ms), every_200ms.size(), "maintenance_interval: 10m");
  auto rt = start_yaml(strata::test::two_layer_yaml(settings));
  const auto shared = [&] { return rt->health().layers.at(1); };
  CHECK(shared().level == strata::health_level::critical);
  // At once, or once the listener's first attempt has failed, if that took longer than the start waits.
  CHECK(eventually([&] { return shared().detail.find("\"strata_no_such_database\" does not exist") != std::string::npos; }, 2s));
  CHECK_THAT(shared().detail, Catch::Contains("trying again from the layer's thread"));
}

TEST_CASE("a node on a read-only server starts and serves reads, critical for its writes", "[global][postgres][faults]") {
  // Each failure made the layer migrate again, and the migration's CREATE TABLE IF NOT EXISTS,
  // refused there, failed every read (audit: ALTER DATABASE ... SET default_transaction_read_only).
  scratch db;
  auto writer = start_yaml(strata::test::two_layer_yaml(db.settings("node-a")));
  REQUIRE(writer->put("before", "v1") == status::ok);
  auto settings = db.settings("standby");
  const std::string search_path = "-c search_path=" + db.name;
  const auto at = settings.find(search_path);
  REQUIRE(at != std::string::npos);
  settings.insert(at + search_path.size(), " -c default_transaction_read_only=on");
  auto standby = start_yaml(strata::test::two_layer_yaml(settings));
  // No put: its maintenance's first delete, refused, marks writes as failing, once; as a read's
  // failure it left reads unanswered at every maintenance (every 200 ms here).
  std::this_thread::sleep_for(600ms);
  CHECK(eventually([&] { return standby->get("before").value == "v1"; }, 5s)); // past that one backoff
  for (int i = 0; i < 10; ++i) {
    REQUIRE(writer->put("k" + std::to_string(i), "w") == status::ok);
    CHECK(standby->get("k" + std::to_string(i)).value == "w");
    std::this_thread::sleep_for(200ms);
  }
  const auto shared = standby->health().layers.at(1);
  CHECK(shared.level == strata::health_level::critical);
  CHECK_THAT(shared.detail, Catch::Contains("writes fail, reads are answered: ") && Catch::Contains("read-only"));
  CHECK(standby->put("refused", "x") == status::unavailable);
}

TEST_CASE("a statement past statement_timeout fails its own request, and 5 s of them are an outage",
          "[global][postgres][faults]") {
  // One slow statement was taken for an outage: every request answered unavailable until the
  // backoff (here 10 s) had passed and the schema had been checked again.
  scratch db;
  const auto settings = [&](const std::string& instance) {
    return "      backend: postgres\n      dsn: \"" + db.dsn + "\"\n      channel: " + db.name + "\n      instance_id: " +
           instance + "\n      retry_min: 10s\n      retry_max: 10s\n      maintenance_interval: 10m\n"
           "      statement_timeout: 200ms\n";
  };
  auto a = start_yaml(strata::test::two_layer_yaml(settings("node-a")));
  auto b = start_yaml(strata::test::two_layer_yaml(settings("node-b")));
  for (int k = 0; k < 100; ++k) // in the database, not in a's layer above
    REQUIRE(b->put("k" + std::to_string(k), "v" + std::to_string(k)) == status::ok);
  const auto shared_level = [&] { return a->health().layers.at(1).level; };
  pqxx::connection locker(db.dsn);
  {
    pqxx::work lock(locker); // a's reads wait for the lock, and are cancelled after 200 ms
    lock.exec("LOCK TABLE strata_global_entries IN ACCESS EXCLUSIVE MODE");
    for (int k = 0; k < 3; ++k) // a put's, its undo's and a retry's, say
      CHECK(a->get("k" + std::to_string(k)).code == status::unavailable);
  }
  CHECK(a->get("k3").value == "v3"); // at once: no backoff after a few slow statements
  CHECK(shared_level() == strata::health_level::healthy);
  {
    // Slow for 5 s with none succeeding: the database is taken as failing, and left alone for the
    // backoff.
    pqxx::work lock(locker);
    lock.exec("LOCK TABLE strata_global_entries IN ACCESS EXCLUSIVE MODE");
    const auto start = std::chrono::steady_clock::now();
    int k = 4;
    while (shared_level() != strata::health_level::critical && std::chrono::steady_clock::now() - start < 10s)
      CHECK(a->get("k" + std::to_string(k++)).code == status::unavailable);
    CHECK(shared_level() == strata::health_level::critical);
    CHECK(std::chrono::steady_clock::now() - start >= 5s);
  }
  CHECK(a->get("k99").code == status::unavailable); // the lock is gone; the backoff is not
}

TEST_CASE("statements past statement_timeout far apart are no outage, however long since the first",
          "[global][postgres][faults]") {
  // The 5 s were counted from the first timeout since the last success: two lone slow statements
  // 5 s apart (a maintenance delete every 10 s on an idle node) made an outage.
  scratch db;
  auto a = start_yaml(strata::test::two_layer_yaml(
    "      backend: postgres\n      dsn: \"" + db.dsn + "\"\n      channel: " + db.name +
    "\n      instance_id: node-a\n      retry_min: 10s\n      retry_max: 10s\n      maintenance_interval: 10m\n"
    "      statement_timeout: 200ms\n"));
  pqxx::connection locker(db.dsn);
  const auto slow_get = [&](const std::string& key) {
    pqxx::work lock(locker); // a's read waits for the lock, and is cancelled after 200 ms
    lock.exec("LOCK TABLE strata_global_entries IN ACCESS EXCLUSIVE MODE");
    CHECK(a->get(key).code == status::unavailable);
  };
  slow_get("x1");
  std::this_thread::sleep_for(5500ms); // no statement between
  slow_get("x2");
  CHECK(a->health().layers.at(1).level == strata::health_level::healthy);
  CHECK(a->get("absent").code == status::not_found); // asked of the database at once: no backoff
}

TEST_CASE("a database migrated by a newer build while it was away is refused when it is back", "[global][postgres][faults]") {
  // The schema was checked at start only: a node that reconnected wrote on into tables a newer
  // build had changed, and its health still said "schema version 1".
  scratch db;
  auto a = start_yaml(strata::test::two_layer_yaml(db.settings("node-a")));
  REQUIRE(a->put("before", "v") == status::ok);
  { // as a newer build would (before the outage: the node reconnects at once after it)
    pqxx::connection c(db.dsn);
    pqxx::work w(c);
    w.exec("UPDATE strata_schema_version SET version = 3 WHERE component = 'global'");
    w.commit();
  }
  strata::test::kill_server();
  SECTION("a statement failed during the outage") {
    CHECK(eventually([&] { return a->get("other").code == status::unavailable && a->health().overall == strata::health_level::critical; }));
    strata::test::restart_server();
  }
  SECTION("no statement saw the outage") {
    // The pool replaced its closed connections silently, and nothing checked the schema again.
    strata::test::restart_server();
    CHECK(a->put("after", "v") != status::ok);
  }
  const auto shared = [&] {
    for (const auto& l : a->health().layers)
      if (l.name == "shared")
        return l;
    return strata::layer_health{};
  };
  CHECK(eventually([&] {
    a->put("after", "v"); // each finds the database again once its backoff has passed
    return shared().detail.find("newer than this build") != std::string::npos;
  }, 10s));
  CHECK(shared().level == strata::health_level::critical);
  pqxx::connection c(db.dsn);
  pqxx::nontransaction t(c);
  CHECK(t.exec("SELECT COUNT(*) FROM strata_global_entries WHERE key = 'after'")[0][0].as<long long>() == 0);
}

TEST_CASE("a stalled PostgreSQL delays requests by at most the layer's deadline, and the runtime goes on",
          "[global][postgres][faults]") {
  scratch db;
  auto a = start_yaml(strata::test::two_layer_yaml(db.settings("node-a") + "      connect_timeout: 1s\n"));
  REQUIRE(a->put("k", "v") == status::ok);
  std::atomic<bool> stop{false};
  std::atomic<long> operations{0}, slowest_us{0};
  std::thread load([&] {
    for (long i = 0; !stop; ++i) {
      const auto start = std::chrono::steady_clock::now();
      a->get("other" + std::to_string(i % 50));
      const long us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
      slowest_us = std::max(slowest_us.load(), us);
      ++operations;
    }
  });
  std::this_thread::sleep_for(200ms);
  long during = 0;
  {
    strata::test::frozen_server frozen;
    const long before = operations;
    std::this_thread::sleep_for(4s);
    during = operations - before;
    // A hit above never waits for the database.
    const auto start = std::chrono::steady_clock::now();
    CHECK(a->get("k").layer == "hot");
    CHECK(std::chrono::steady_clock::now() - start < 100ms);
  }
  CHECK(during >= 1); // each waits at most the deadline (2 s here); then the layer is replaced
  CHECK(eventually([&] { return a->put("after", "stall") == status::ok; }, 15s));
  stop = true;
  load.join();
  CHECK(slowest_us < 3'500'000); // deadline 2 s + a replacement's 250 ms wait, with room
  // Recovered: healthy, or a warning for the requests that timed out in the stall (for a minute
  // after the last of them), nothing worse.
  CHECK(eventually([&] {
    const auto shared = a->health().layers.at(1);
    return shared.level == strata::health_level::healthy ||
           (shared.level == strata::health_level::warning && shared.detail.find(" timed out ") != std::string::npos);
  }, 15s));
}
