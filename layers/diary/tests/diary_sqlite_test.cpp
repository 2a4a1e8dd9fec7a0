// The diary on SQLite, through a real runtime: what it records, its analyses, its archive.

#include "diary_deployment.hpp"

#include <filesystem>
#include <random>
#include <thread>

using namespace std::chrono_literals;
using strata::status;
using strata::test::diary_command;
using strata::testing::start_yaml;
namespace fs = std::filesystem;

namespace {

struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("strata-diary-" + std::to_string(std::random_device{}()));
  ~temp_dir() { fs::remove_all(path); }
};

std::string sqlite_settings(const fs::path& file, const std::string& extra = "") {
  return "      sqlite_path: " + file.string() + "\n      flush_interval: 20ms\n" + extra;
}

} // namespace

TEST_CASE("the diary records every interaction, off the lookup path", "[diary][sqlite]") {
  temp_dir dir;
  auto rt = start_yaml(strata::test::diary_yaml(sqlite_settings(dir.path / "d.sqlite3")));
  REQUIRE(rt->put("a", "1") == status::ok);
  CHECK(rt->get("a").layer == "hot"); // a first-layer hit, in the caller's thread
  CHECK(rt->get("missing").code == status::not_found);
  CHECK(rt->erase("a") == status::ok);
  CHECK(rt->invalidate_tag("t").removed == 0);
  strata::request_options tenant;
  tenant.ns = "tenant";
  rt->get("b", tenant);
  diary_command(*rt, "flush");
  CHECK(diary_command(*rt, "count")["records"] == 5);
  CHECK(diary_command(*rt, "count", R"({"ns":"tenant"})")["records"] == 1);
  // The coordinator never asked the diary to answer: its request counters stay at zero.
  const auto text = rt->prometheus_text();
  for (const char* series : {"operation=\"get\",status=\"miss\"} 0", "operation=\"put\",status=\"ok\"} 0",
                             "operation=\"erase\",status=\"not_found\"} 0"})
    CHECK(text.find(std::string("strata_cache_requests_total{cache_layer=\"diary\",") + series) != std::string::npos);
  CHECK(text.find("strata_diary_records_total{cache_layer=\"diary\",status=\"written\"} 6") != std::string::npos);
}

TEST_CASE("the diary's analyses: most frequent queries and sequences", "[diary][sqlite]") {
  temp_dir dir;
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
  auto clusters = rt->layer_command("diary", "clusters");
  CHECK(clusters.code == status::invalid);
  CHECK_THAT(clusters.json, Catch::Contains("vector index"));
  CHECK(rt->layer_command("diary", "top_queries", R"({"limit":0})").code == status::invalid);
}

TEST_CASE("archiving moves old and unimportant records to the archive table", "[diary][sqlite]") {
  temp_dir dir;
  SECTION("by age") {
    auto rt = start_yaml(strata::test::diary_yaml(sqlite_settings(dir.path / "d.sqlite3", "      archive_after: 50ms\n")));
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
      sqlite_settings(dir.path / "d.sqlite3", "      min_importance: 0.3\n      low_importance_after: 1ms\n")));
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
}
