// The diary on SQLite, through a real runtime: what it records, its analyses, its archive.

#include "diary_deployment.hpp"
#include "diary_schema.hpp"
#include "support/scratch_dir.hpp"

#include <strata/store.hpp>

#include <chrono>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <thread>
#include <tuple>
#include <vector>

using namespace std::chrono_literals;
using strata::status;
using strata::test::diary_command;
using strata::testing::start_yaml;
namespace fs = std::filesystem;

namespace {

std::string sqlite_settings(const fs::path& file, const std::string& extra = "") {
  return "      sqlite_path: " + file.string() + "\n      flush_interval: 20ms\n" + extra;
}

} // namespace

TEST_CASE("a SQLite file that holds another layer's data is refused by the diary, naming it", "[diary][sqlite]") {
  strata::test::scratch_dir dir{"strata-diary"};
  const auto file = dir.path / "global.sqlite3";
  strata::storage::open_store({strata::storage::dialect::sqlite, "", file.string()})
    ->migrate("global", {{1, "the global layer's", {"CREATE TABLE global_rows (x INTEGER)"}, {}}});
  CHECK_THAT(strata::testing::start_error(strata::test::diary_yaml(sqlite_settings(file))),
             Catch::Contains("sqlite_path: '" + file.string() + "' holds the data of another layer (schema 'global'): "
                             "give each layer its own sqlite_path"));
}

TEST_CASE("on SQLite the diary takes connect_timeout and refuses what only PostgreSQL reads", "[diary][sqlite]") {
  strata::test::scratch_dir dir{"strata-diary"};
  const auto file = dir.path / "diary.sqlite3";
  // connect_timeout counts in the writer's stall threshold on either backend.
  const auto taken = strata::parse_config(strata::test::diary_yaml(sqlite_settings(file, "      connect_timeout: 5s\n")),
                                          "inline.yaml");
  REQUIRE(taken.ok());
  CHECK(strata::validate(*taken.effective).errors_text().empty());
  const auto refused = strata::parse_config(strata::test::diary_yaml(sqlite_settings(file, "      pool_size: 4\n")),
                                            "inline.yaml");
  REQUIRE(refused.ok());
  CHECK_THAT(strata::validate(*refused.effective).errors_text(),
             Catch::Contains("layers[1].config.pool_size: 'pool_size' applies only with backend: postgres"));
}

TEST_CASE("the diary records every interaction, off the lookup path", "[diary][sqlite]") {
  strata::test::scratch_dir dir{"strata-diary"};
  auto rt = start_yaml(strata::test::diary_yaml(sqlite_settings(dir.path / "d.sqlite3")));
  const auto health_at_start = rt->health().layers.back(); // its detail was empty until a first write
  CHECK(health_at_start.name == "diary");
  CHECK(health_at_start.detail == "0 records buffered");
  REQUIRE(rt->put("a", "1") == status::ok);
  CHECK(rt->get("a").layer == "hot"); // a first-layer hit, in the caller's thread
  CHECK(rt->get("missing").code == status::not_found);
  CHECK(rt->erase("a") == status::ok);
  CHECK(rt->invalidate_tag("t").removed == 0);
  strata::request_options tenant;
  tenant.ns = "tenant";
  rt->get("b", tenant);
  // A conditional write and an expire look their key up through the chain, which the diary is not in.
  strata::put_options if_absent;
  if_absent.condition = strata::put_condition::if_absent;
  CHECK(rt->put("c", "1", if_absent) == status::ok);
  CHECK(rt->expire("gone", 1s) == status::not_found);
  diary_command(*rt, "flush");
  CHECK(diary_command(*rt, "count")["records"] == 7);
  CHECK(diary_command(*rt, "count", R"({"ns":"tenant"})")["records"] == 1);
  // The coordinator never asked the diary to answer: its request counters stay at zero.
  const auto text = rt->prometheus_text();
  for (const char* series : {"operation=\"get\",status=\"miss\"} 0", "operation=\"put\",status=\"ok\"} 0",
                             "operation=\"erase\",status=\"not_found\"} 0"})
    CHECK(text.find(std::string("strata_cache_requests_total{cache_layer=\"diary\",") + series) != std::string::npos);
  CHECK(text.find("strata_diary_records_total{cache_layer=\"diary\",status=\"written\"} 8") != std::string::npos);
}

TEST_CASE("a diary whose file lost its table keeps its records, critical, and writes them once the table is back",
          "[diary][sqlite]") {
  // The file's state was taken for records the database refused: every record was dropped while
  // the diary said it was healthy (audit: a file made read-only, a damaged page, a table dropped).
  strata::test::scratch_dir dir{"strata-diary"};
  const auto file = dir.path / "d.sqlite3";
  auto rt = start_yaml(strata::test::diary_yaml(sqlite_settings(file)));
  REQUIRE(rt->put("before", "1") == status::ok);
  CHECK(diary_command(*rt, "flush")["written"] == 1);
  auto other = strata::storage::open_store({strata::storage::dialect::sqlite, "", file.string()});
  other->prepare("hide", "ALTER TABLE strata_diary RENAME TO strata_diary_hidden");
  other->prepare("restore", "ALTER TABLE strata_diary_hidden RENAME TO strata_diary");
  other->execute("hide");
  for (int i = 0; i < 3; ++i)
    REQUIRE(rt->put("while-hidden-" + std::to_string(i), "1") == status::ok);
  CHECK(rt->layer_command("diary", "flush", "{}").code == status::unavailable);
  const auto hidden = strata::test::diary_health(*rt);
  CHECK(hidden.level == strata::health_level::critical);
  CHECK_THAT(hidden.detail, Catch::Contains("no such table: strata_diary"));
  other->execute("restore");
  CHECK(strata::testing::eventually([&] { return rt->layer_command("diary", "flush", "{}").code == status::ok; }, 10s));
  CHECK(diary_command(*rt, "count")["records"] == 4);
  CHECK(rt->prometheus_text().find("strata_diary_records_total{cache_layer=\"diary\",status=\"refused\"} 0") !=
        std::string::npos);
}

TEST_CASE("a flush publishes the diary's counts at once", "[diary][sqlite]") {
  // The records it wrote were counted at once, those it took in only at the writer's next wake
  // (a flush_interval later): written read above accepted.
  strata::test::scratch_dir dir{"strata-diary"};
  auto rt = start_yaml(strata::test::diary_yaml("      sqlite_path: " + (dir.path / "d.sqlite3").string() +
                                                "\n      flush_interval: 10m\n"));
  for (int i = 0; i < 5; ++i)
    REQUIRE(rt->put("k" + std::to_string(i), "v") == status::ok);
  CHECK(diary_command(*rt, "flush")["written"] == 5);
  const auto text = rt->prometheus_text();
  CHECK(text.find("strata_diary_records_total{cache_layer=\"diary\",status=\"accepted\"} 5") != std::string::npos);
  CHECK(text.find("strata_diary_records_total{cache_layer=\"diary\",status=\"written\"} 5") != std::string::npos);
  CHECK(text.find("strata_diary_buffered_records{cache_layer=\"diary\"} 0") != std::string::npos);
}

TEST_CASE("the diary keeps what each request answered and upgrades a version 1 database with its records",
          "[diary][sqlite]") {
  strata::test::scratch_dir dir{"strata-diary"};
  const auto file = dir.path / "d.sqlite3";
  const auto open = [&] { return strata::storage::open_store({strata::storage::dialect::sqlite, "", file.string()}); };
  {
    // What a build of schema version 1 left, which did not keep the outcome.
    auto db = open();
    REQUIRE(db->migrate(strata::diary::schema_component, {strata::diary::schema().front()}) == 1);
    db->prepare("old", "INSERT INTO strata_diary (writer, seq, at_us, ns, operation, query, layer, hit, importance) "
                       "VALUES ('old', 1, 1, 'default', 'get', 'before', '', 0, 0.6)");
    db->execute("old");
  }
  strata::runtime_options options;
  options.loader = [](std::string_view, std::string_view key) -> std::optional<strata::loaded_value> {
    if (key == "fails")
      throw std::runtime_error("the model is down");
    return std::nullopt;
  };
  auto rt = start_yaml(strata::test::diary_yaml(sqlite_settings(file)), std::move(options));
  REQUIRE(rt->put("a", "1") == status::ok);
  REQUIRE(rt->get("a").code == status::ok);
  REQUIRE(rt->get("missing").code == status::not_found);
  REQUIRE(rt->get("fails").code == status::internal); // recorded as a miss before version 2
  diary_command(*rt, "flush");
  auto db = open();
  db->prepare("rows", "SELECT query, operation, outcome, hit FROM strata_diary ORDER BY at_us, seq");
  db->prepare("age", "UPDATE strata_diary SET at_us = 2 WHERE query = 'fails'");
  db->prepare("archived", "SELECT outcome FROM strata_diary_archive WHERE query = 'fails'");
  CHECK(db->schema_version(strata::diary::schema_component) == 2);
  std::vector<std::tuple<std::string, std::string, std::string, std::int64_t>> rows;
  for (const auto& r : db->query("rows"))
    rows.emplace_back(r.text(0), r.text(1), r.text(2), r.integer(3));
  CHECK(rows == decltype(rows){{"before", "get", "", 0},
                               {"a", "put", "ok", 0},
                               {"a", "get", "ok", 1},
                               {"missing", "get", "not_found", 0},
                               {"fails", "get", "internal", 0}});
  // The archive keeps it too.
  db->execute("age");
  diary_command(*rt, "archive");
  CHECK(db->query("archived").at(0).text(0) == "internal");
}

TEST_CASE("a prefetch does not ask the diary, which answers nothing", "[diary][sqlite]") {
  strata::test::scratch_dir dir{"strata-diary"};
  strata::runtime_options options;
  options.loader = [](std::string_view, std::string_view key) -> std::optional<strata::loaded_value> {
    return strata::loaded_value{"value of " + std::string(key), {}};
  };
  auto rt = start_yaml(std::string("plugins:\n  path: [\"") + STRATA_TEST_PLUGIN_DIR + "\"]\n"
                       "runtime: {stats_interval: 20ms}\n"
                       "layers:\n"
                       "  - name: hot\n    plugin: predictive\n"
                       "    config: {policy: predictive, prefetch: true, prefetch_confidence: 0.6, expiry_interval: 10ms}\n"
                       "  - name: diary\n    plugin: diary\n    config:\n" + sqlite_settings(dir.path / "d.sqlite3"),
                       std::move(options));
  for (int i = 0; i < 6; ++i) { // B follows A; the first loads fill `hot` a moment later
    if (i == 1)
      std::this_thread::sleep_for(50ms);
    REQUIRE(rt->get("A").code == status::ok);
    REQUIRE(rt->get("B").code == status::ok);
  }
  REQUIRE(rt->erase("B") == status::ok);
  REQUIRE(rt->get("A").code == status::ok); // the model predicts B, which is loaded
  REQUIRE(strata::testing::eventually([&] {
    return rt->prometheus_text().find(
             "strata_predictive_prefetches_total{cache_layer=\"hot\",outcome=\"filled\"} 1") != std::string::npos;
  }));
  // Asked on the prefetch's walk down the chain, it answered a miss; one busy with a long command
  // would have timed out, and been replaced.
  CHECK(rt->prometheus_text().find("strata_cache_requests_total{cache_layer=\"diary\",operation=\"get\",status=\"miss\"} 0") !=
        std::string::npos);
}

TEST_CASE("the diary's analyses: most frequent queries and sequences", "[diary][sqlite]") {
  strata::test::scratch_dir dir{"strata-diary"};
  auto rt = start_yaml(strata::test::diary_yaml(sqlite_settings(dir.path / "d.sqlite3")));
  // a → b three times, then c once; b is asked 3 times, a 3, c 1.
  for (int i = 0; i < 3; ++i) {
    rt->get("a");
    rt->get("b");
  }
  rt->get("c");
  diary_command(*rt, "flush");
  auto top = diary_command(*rt, "top_queries", R"({"limit":2})")["queries"];
  REQUIRE(top.size() == 2);
  CHECK(top[0]["query"] == "a");
  CHECK(top[0]["count"] == 3);
  CHECK(top[1]["query"] == "b");
  CHECK(top[1]["count"] == 3);
  auto sequences = diary_command(*rt, "top_sequences")["sequences"];
  REQUIRE(sequences.size() == 3);
  CHECK(sequences[0]["sequence"] == nlohmann::json::array({"a", "b"}));
  CHECK(sequences[0]["count"] == 3);
  CHECK(sequences[1]["sequence"] == nlohmann::json::array({"b", "a"}));
  CHECK(sequences[1]["count"] == 2);
  CHECK(sequences[2]["sequence"] == nlohmann::json::array({"b", "c"}));
  CHECK(rt->layer_command("diary", "top_queries", R"({"limit":0})").code == status::invalid);
  // Each argument must be one the command takes, of its type, and the error names it (a string
  // limit said "[json.exception.type_error.302] ..."; an unknown argument, 2.5 or -5 were taken).
  for (const auto& [command, args, says] : std::vector<std::tuple<std::string, std::string, std::string>>{
         {"top_queries", R"({"limit":"5"})", "'limit' must be an integer"},
         {"top_queries", R"({"limit":2.5})", "'limit' must be an integer"},
         {"top_sequences", R"({"since_us":-5})", "'since_us' must be microseconds since the epoch, from 0 to 9223372036854775807"},
         {"top_queries", R"({"since_us":18446744073709551615})",
          "'since_us' must be microseconds since the epoch, from 0 to 9223372036854775807"},
         {"count", R"({"bogus":1})", "unknown argument 'bogus'; count takes ns"},
         {"count", R"({"ns":""})", "'ns' must be a non-empty string"},
         {"flush", R"({"limit":1})", "unknown argument 'limit'; flush takes none"},
         // The command first: its arguments were judged by another's rules ("'limit' must be ...").
         {"nosuch", R"({"limit":0})", "unknown command 'nosuch' (archive, clusters, count, flush, top_queries, top_sequences)"},
         {"nosuch", "[]", "unknown command 'nosuch' (archive, clusters, count, flush, top_queries, top_sequences)"},
         {"count", "[]", "the arguments are not a JSON object"}}) {
    const auto r = rt->layer_command("diary", command, args);
    INFO(command << " " << args << ": " << r.json);
    CHECK(r.code == status::invalid);
    CHECK(nlohmann::json::parse(r.json).at("error") == says);
  }
}

TEST_CASE("the diary's clusters of near-duplicate queries", "[diary][sqlite]") {
  strata::test::scratch_dir dir{"strata-diary"};
  auto rt = start_yaml(strata::test::diary_yaml(sqlite_settings(dir.path / "d.sqlite3")));
  const std::vector<std::pair<std::string, int>> asked{
    {"how do I reset my password", 4}, {"how to reset my password", 2}, {"how can I reset the password", 1},
    {"weather forecast for paris tomorrow", 2}, {"paris weather forecast tomorrow", 2},
    {"best pizza recipe with mozzarella", 1}};
  for (const auto& [query, times] : asked)
    for (int i = 0; i < times; ++i)
      rt->get(query);
  strata::request_options tenant;
  tenant.ns = "tenant";
  rt->get("weather forecast for paris tomorrow", tenant); // another namespace: not counted
  diary_command(*rt, "flush");
  auto answer = diary_command(*rt, "clusters");
  CHECK(answer["queries"] == 6);
  auto clusters = answer["clusters"];
  REQUIRE(clusters.size() == 3);
  CHECK(clusters[0]["representative"] == "how do I reset my password");
  CHECK(clusters[0]["count"] == 7);
  REQUIRE(clusters[0]["members"].size() == 3);
  CHECK(clusters[0]["members"][1] == nlohmann::json({{"query", "how to reset my password"}, {"count", 2}}));
  CHECK(clusters[1]["representative"] == "paris weather forecast tomorrow"); // ties: the smaller text
  CHECK(clusters[1]["count"] == 4);
  CHECK(clusters[1]["members"].size() == 2);
  CHECK(clusters[2]["representative"] == "best pizza recipe with mozzarella");
  CHECK(clusters[2]["members"].size() == 1);
  // limit keeps the largest; threshold 1 keeps only identical texts together; candidates bound the texts.
  CHECK(diary_command(*rt, "clusters", R"({"limit":1})")["clusters"].size() == 1);
  CHECK(diary_command(*rt, "clusters", R"({"threshold":1.0})")["clusters"].size() == 6);
  auto few = diary_command(*rt, "clusters", R"({"candidates":2})");
  CHECK(few["queries"] == 2);
  CHECK(few["clusters"].size() == 1);
  CHECK(few["clusters"][0]["count"] == 6);
  // The window: nothing was asked after now.
  const auto later = std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count() + 60'000'000;
  CHECK(diary_command(*rt, "clusters", R"({"since_us":)" + std::to_string(later) + "}")["clusters"].empty());
  CHECK(diary_command(*rt, "clusters", R"({"ns":"tenant"})")["clusters"].size() == 1);
  for (const char* bad : {R"({"threshold":0})", R"({"threshold":1.5})", R"({"candidates":0})",
                          R"({"candidates":5001})", R"({"limit":0})", R"({"threshold":"high"})"}) {
    auto r = rt->layer_command("diary", "clusters", bad);
    CHECK(r.code == status::invalid);
    CHECK_THAT(r.json, Catch::Contains("error"));
  }
  CHECK_THAT(rt->layer_command("diary", "clusters", R"({"threshold":0})").json, Catch::Contains("threshold"));
}

TEST_CASE("archiving moves archive_batch records a statement, the oldest first, until none is left", "[diary][sqlite]") {
  // One statement for everything held the file's lock while it ran (4.2 s for a million records
  // here; on PostgreSQL an hour of records at a thousand a second ran past statement_timeout and
  // was never done).
  namespace diary = strata::diary;
  strata::test::scratch_dir dir{"strata-diary"};
  const auto file = dir.path / "d.sqlite3";
  const auto rows = 2 * diary::archive_batch + 500;
  {
    auto db = strata::storage::open_store({strata::storage::dialect::sqlite, "", file.string()});
    db->migrate(diary::schema_component, diary::schema());
    diary::prepare_statements(*db);
    // Records of 1970 (at_us 1 to rows), in an order that is not theirs, and one of now.
    db->prepare("bulk", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) "
                        "INSERT INTO strata_diary (writer, seq, at_us, ns, operation, query, layer, hit, importance) "
                        "SELECT 'bulk', i, (i * 7919) % $1 + 1, 'default', 'get', 'q', 'hot', 1, 0.5 FROM n");
    REQUIRE(db->execute("bulk", {std::int64_t{rows}}) == static_cast<std::uint64_t>(rows));
    db->prepare("recent", "INSERT INTO strata_diary (writer, seq, at_us, ns, operation, query, layer, hit, importance) "
                          "VALUES ('bulk', 0, 4000000000000000, 'default', 'get', 'q', 'hot', 1, 0.5)");
    REQUIRE(db->execute("recent") == 1);
    db->prepare("oldest left", "SELECT MIN(at_us) FROM strata_diary");
    // The statements themselves: a batch at most, the oldest first.
    const strata::storage::value older_than{std::int64_t{1000000}}, none{0.0}, low{std::int64_t{-1}},
      from{std::numeric_limits<std::int64_t>::min()};
    std::int64_t last_copied = 0;
    std::uint64_t moved = 0;
    db->transact([&](strata::storage::session& s) {
      for (const auto& copied : s.query(diary::sql::archive_copy, {older_than, none, low, std::int64_t{9}, older_than, from}))
        last_copied = std::max(last_copied, copied.integer(0));
      moved = s.execute(diary::sql::archive_delete, {older_than, none, low, older_than, from});
    });
    CHECK(moved == static_cast<std::uint64_t>(diary::archive_batch));
    CHECK(last_copied == diary::archive_batch); // where the next batch starts
    CHECK(db->query("oldest left").at(0).integer(0) == diary::archive_batch + 1);
  }
  // The rest through the runtime's command, which goes on batch after batch.
  auto rt = start_yaml(strata::test::diary_yaml(sqlite_settings(file, "      archive_after: 1h\n      archive_interval: 0\n")));
  std::int64_t archived = 0;
  nlohmann::json done;
  for (int call = 0; call < 10; ++call) { // a call starts no batch after its budget (2 s), and says "more"
    done = diary_command(*rt, "archive");
    archived += done["archived"].get<std::int64_t>();
    if (!done["more"].get<bool>())
      break;
  }
  CHECK_FALSE(done["more"].get<bool>());
  CHECK(archived == rows - diary::archive_batch);
  const auto count = diary_command(*rt, "count");
  CHECK(count["records"] == 1);
  CHECK(count["archived"] == rows);
}

TEST_CASE("archiving moves old and unimportant records to the archive table", "[diary][sqlite]") {
  strata::test::scratch_dir dir{"strata-diary"};
  // The command alone archives in the first two (a second after the start, the schedule would too).
  SECTION("by age") {
    auto rt = start_yaml(strata::test::diary_yaml(
      sqlite_settings(dir.path / "d.sqlite3", "      archive_after: 50ms\n      archive_interval: 0\n")));
    rt->get("old");
    diary_command(*rt, "flush");
    std::this_thread::sleep_for(100ms);
    rt->get("new");
    diary_command(*rt, "flush");
    CHECK(diary_command(*rt, "archive")["archived"] == 1);
    auto count = diary_command(*rt, "count");
    CHECK(count["records"] == 1);
    CHECK(count["archived"] == 1);
  }
  SECTION("by importance: first-layer hits (0.2) go, misses (0.6) stay") {
    auto rt = start_yaml(strata::test::diary_yaml(
      sqlite_settings(dir.path / "d.sqlite3",
                      "      min_importance: 0.3\n      low_importance_after: 1ms\n      archive_interval: 0\n")));
    rt->put("k", "v");
    rt->get("k");
    rt->get("k");
    rt->get("gone");
    diary_command(*rt, "flush");
    std::this_thread::sleep_for(5ms);
    CHECK(diary_command(*rt, "archive")["archived"] == 2);
    CHECK(diary_command(*rt, "count")["records"] == 2);
  }
  SECTION("on its schedule") {
    auto rt = start_yaml(strata::test::diary_yaml(
      sqlite_settings(dir.path / "d.sqlite3", "      archive_after: 1ms\n      archive_interval: 100ms\n")));
    rt->get("x");
    diary_command(*rt, "flush");
    CHECK(strata::testing::eventually([&] { return diary_command(*rt, "count")["archived"] == 1; }));
  }
  SECTION("a second after each start, not one archive_interval after it") {
    const auto yaml = strata::test::diary_yaml(
      sqlite_settings(dir.path / "d.sqlite3", "      archive_after: 1ms\n      archive_interval: 1h\n"));
    {
      auto rt = start_yaml(yaml);
      rt->get("x");
      diary_command(*rt, "flush");
    }
    auto rt = start_yaml(yaml);
    CHECK(strata::testing::eventually([&] { return diary_command(*rt, "count")["archived"] == 1; }));
  }
}
