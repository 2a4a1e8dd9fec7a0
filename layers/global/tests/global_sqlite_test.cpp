// The global layer on its single-node backend (SQLite), through a real runtime and real plugins.

#include "global_deployment.hpp"
#include "support/nothing_layer.hpp"
#include "support/scoped_env.hpp"
#include "support/scratch_dir.hpp"
#include "support/sqlite_locked.hpp"
#include "support/static_layer.hpp"

#include <strata/sdk.hpp>
#include <strata/store.hpp>
#include <strata/units.hpp>

#include <nlohmann/json.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <thread>
#include <utility>
#include <vector>

#include <sys/resource.h>

using namespace std::chrono_literals;
using strata::testing::eventually;
using strata::testing::start_yaml;
namespace fs = std::filesystem;

namespace {

std::string sqlite_settings(const fs::path& file, const std::string& extra = "") {
  return "      backend: sqlite\n      sqlite_path: " + file.string() + "\n      instance_id: node-a\n" + extra;
}

nlohmann::json answer(const strata::command_result& r) { return nlohmann::json::parse(r.json); }

} // namespace

TEST_CASE("the global layer keeps entries in its SQLite file across runtimes, schema version recorded",
          "[global][sqlite]") {
  strata::test::scratch_dir dir{"strata-global"};
  const auto file = dir.path / "sub" / "global.sqlite3";
  {
    auto rt = start_yaml(strata::test::two_layer_yaml(sqlite_settings(file)));
    strata::put_options o;
    o.tags = {"fruit"};
    REQUIRE(rt->put("apple", "red", o) == strata::status::ok);
  }
  REQUIRE(fs::exists(file));
  auto rt = start_yaml(strata::test::two_layer_yaml(sqlite_settings(file)));
  auto got = rt->get("apple");
  CHECK(got.code == strata::status::ok);
  CHECK(got.value == "red");
  CHECK(got.layer == "shared");
  // Promoted with its tag: a tag invalidation reaches the copy above.
  CHECK(eventually([&] { return rt->get("apple").layer == "hot"; }));
  CHECK(rt->invalidate_tag("fruit").removed == 2);
  CHECK(rt->get("apple").code == strata::status::not_found);
  auto db = strata::storage::open_store({strata::storage::dialect::sqlite, "", file.string()});
  CHECK(db->schema_version("global") == 2);
}

TEST_CASE("a second global layer on one SQLite file is refused: neither would hear the other's changes",
          "[global][sqlite]") {
  strata::test::scratch_dir dir{"strata-global"};
  const auto file = dir.path / "global.sqlite3";
  auto first = start_yaml(strata::test::two_layer_yaml(sqlite_settings(file)));
  auto second = strata::test::two_layer_yaml(sqlite_settings(file));
  second.replace(second.find("name: shared"), std::string("name: shared").size(), "name: other");
  const auto error = strata::testing::start_error(second);
  CHECK_THAT(error, Catch::Contains("layers[1].config.sqlite_path") &&
                      Catch::Contains("sqlite_path: '" + file.string() + "': in use by the layer 'shared' of this "
                                      "process: on SQLite the global layer is for one node"));
  // The same file through a symbolic link (of the file, or of its folder) is the same file.
  fs::create_symlink(file, dir.path / "link.sqlite3");
  fs::create_directory_symlink(dir.path, dir.path / "folder");
  for (const auto& other : {dir.path / "link.sqlite3", dir.path / "folder" / "global.sqlite3"}) {
    auto through_link = strata::test::two_layer_yaml(sqlite_settings(other));
    through_link.replace(through_link.find("name: shared"), std::string("name: shared").size(), "name: other");
    CHECK_THAT(strata::testing::start_error(through_link), Catch::Contains("in use by the layer 'shared' of this process"));
  }
  first.reset(); // released: one alone starts on it
  start_yaml(second).reset();
}

TEST_CASE("a SQLite file that holds another layer's data is refused, naming it", "[global][sqlite]") {
  // Given the diary's file, the layer started empty beside the diary's records, and wrote its
  // tables into that file.
  strata::test::scratch_dir dir{"strata-global"};
  const auto file = dir.path / "diary.sqlite3";
  strata::storage::open_store({strata::storage::dialect::sqlite, "", file.string()})
    ->migrate("diary", {{1, "the diary's", {"CREATE TABLE diary_rows (x INTEGER)"}, {}}});
  const auto error = strata::testing::start_error(strata::test::two_layer_yaml(sqlite_settings(file)));
  CHECK_THAT(error, Catch::Contains("layers[1].config.sqlite_path") &&
                      Catch::Contains("sqlite_path: '" + file.string() + "': holds the data of another layer (schema "
                                      "'diary'): give each layer its own sqlite_path"));
  auto db = strata::storage::open_store({strata::storage::dialect::sqlite, "", file.string()});
  CHECK(db->schema_version("global") == 0); // nothing of the global layer's was written there
}

TEST_CASE("on SQLite, long keys and tags are kept and invalidated: nothing is announced there", "[global][sqlite]") {
  strata::test::scratch_dir dir{"strata-global"};
  const auto file = dir.path / "g.sqlite3";
  const std::string long_key(10000, 'L'), long_tag(8200, 'T');
  {
    auto rt = start_yaml(strata::test::two_layer_yaml(sqlite_settings(file)));
    REQUIRE(rt->put(long_key, "persist-me") == strata::status::ok);
    strata::put_options tagged;
    tagged.tags = {long_tag};
    REQUIRE(rt->put("longtag", "secret-v1", tagged) == strata::status::ok);
    CHECK(rt->invalidate_tag(long_tag).removed == 2); // `hot` and `shared`
    CHECK(rt->get("longtag").code == strata::status::not_found);
  }
  auto rt = start_yaml(strata::test::two_layer_yaml(sqlite_settings(file)));
  CHECK(rt->get(long_key).value == "persist-me");
}

TEST_CASE("a tag that is not UTF-8 is declined: a hit's tags travel as JSON, where it would change", "[global][sqlite]") {
  strata::test::scratch_dir dir{"strata-global"};
  auto rt = start_yaml(strata::test::two_layer_yaml(sqlite_settings(dir.path / "g.sqlite3")));
  strata::put_options tagged;
  tagged.tags = {"team-\xff"};
  REQUIRE(rt->put("k", "v", tagged) == strata::status::ok); // kept by `hot`
  CHECK(rt->get("k").layer == "hot");
  CHECK_THAT(rt->layer_command("shared", "entry", R"({"key":"k"})").json, Catch::Contains("\"found\":false"));
  CHECK(rt->put("\xff-key", "binary keys are text to SQLite") == strata::status::ok);
  CHECK(rt->erase("\xff-key") == strata::status::ok);
  // Declining a put, the layer drops what it held for the key: the old value would come back
  // once `hot` let the new one go (or after a restart, or on another instance).
  REQUIRE(rt->put("old", "OLD") == strata::status::ok);
  CHECK_THAT(rt->layer_command("shared", "entry", R"({"key":"old"})").json, Catch::Contains("\"value\":\"OLD\""));
  REQUIRE(rt->put("old", "NEW", tagged) == strata::status::ok);
  CHECK_THAT(rt->layer_command("shared", "entry", R"({"key":"old"})").json, Catch::Contains("\"found\":false"));
  CHECK(rt->get("old").value == "NEW");
}

TEST_CASE("the global layer's commands refuse unknown arguments, a negative TTL, an empty namespace",
          "[global][sqlite]") {
  strata::test::scratch_dir dir{"strata-global"};
  auto rt = start_yaml(strata::test::two_layer_yaml(sqlite_settings(dir.path / "g.sqlite3")));
  auto typo = rt->layer_command("shared", "put", R"({"key":"k","value":"v","confidance":0.2})");
  CHECK(typo.code == strata::status::invalid);
  CHECK(answer(typo)["error"] ==
        "unknown argument 'confidance' (put takes key, ns, value, confidence, ttl_ms, tags)");
  CHECK(rt->layer_command("shared", "put", R"({"key":"k","value":"v","ttl":"30s"})").code == strata::status::invalid);
  CHECK(rt->layer_command("shared", "entry", R"({"key":"k","value":"v"})").code == strata::status::invalid);
  auto negative = rt->layer_command("shared", "put", R"({"key":"k","value":"v","ttl_ms":-5})");
  CHECK(negative.code == strata::status::invalid);
  CHECK(answer(negative)["error"] == "'ttl_ms' must not be negative");
  CHECK(rt->layer_command("shared", "put", R"({"key":"k","value":"v","ns":""})").code == strata::status::invalid);
  CHECK(rt->layer_command("shared", "put", R"({"key":"k","value":"v","ns":7})").code == strata::status::invalid);
  // A wrong type is named (it said "[json.exception.type_error.302] ..."), and 1e20 is no integer
  // of milliseconds (it was called negative).
  for (const auto& [args, says] : std::vector<std::pair<std::string, std::string>>{
         {R"({"key":"k","value":"v","confidence":"high"})", "'confidence' must be a number between 0 and 1"},
         {R"({"key":"k","value":"v","ttl_ms":1e20})", "'ttl_ms' must be an integer of milliseconds"},
         // Past the longest TTL: the row was written and every read of it failed, on every node.
         {R"({"key":"k","value":"v","ttl_ms":9223372036854775807})", "'ttl_ms' must be at most 9199958400000 (106481 days)"},
         {R"({"key":"k","value":"v","ttl_ms":18446744073709551615})", "'ttl_ms' must be at most 9199958400000 (106481 days)"},
         {R"({"key":"k","value":"v","tags":["a",1]})", "'tags' must be a list of strings"},
         {R"({"key":"k","ns":7})", "'ns' must be a string"}}) {
    const auto r = rt->layer_command("shared", "put", args);
    INFO(args);
    CHECK(r.code == strata::status::invalid);
    CHECK(answer(r)["error"] == says);
  }
  CHECK(rt->layer_command("shared", "put", R"({"key":"k","value":"v","ttl_ms":60000})").code == strata::status::ok);
  CHECK(rt->layer_command("shared", "put", R"({"key":"longest","value":"v","ttl_ms":9199958400000})").code ==
        strata::status::ok);
  CHECK(rt->get("longest").value == "v");
}

TEST_CASE("the global layer's commands: entry, put with confidence, validate, reject", "[global][sqlite]") {
  strata::test::scratch_dir dir{"strata-global"};
  auto rt = start_yaml(strata::test::two_layer_yaml(sqlite_settings(dir.path / "g.sqlite3", "      min_confidence: 0.5\n")));
  REQUIRE(rt->put("k", "v") == strata::status::ok);

  auto entry = rt->layer_command("shared", "entry", R"({"key":"k"})");
  REQUIRE(entry.code == strata::status::ok);
  auto e = answer(entry);
  CHECK(e["value"] == "v");
  CHECK(e["writer"] == "node-a");
  CHECK(e["state"] == "unverified");
  CHECK(e["confidence"] == 1.0);

  SECTION("validate marks it validated; reject stops serving it everywhere in this runtime") {
    auto v = rt->layer_command("shared", "validate", R"({"key":"k"})");
    CHECK(v.code == strata::status::ok);
    CHECK(answer(rt->layer_command("shared", "entry", R"({"key":"k"})"))["state"] == "validated");
    CHECK(rt->get("k").code == strata::status::ok); // now also in `hot`
    CHECK(rt->layer_command("shared", "reject", R"({"key":"k"})").code == strata::status::ok);
    CHECK(eventually([&] { return rt->get("k").code == strata::status::not_found; }));
    CHECK(answer(rt->layer_command("shared", "entry", R"({"key":"k"})"))["state"] == "rejected");
  }

  SECTION("an entry below min_confidence is kept but not served; a put command drops the stale copy above") {
    CHECK(rt->get("k").value == "v");
    auto p = rt->layer_command("shared", "put", R"({"key":"k","value":"doubtful","confidence":0.2,"tags":["t"]})");
    CHECK(p.code == strata::status::ok);
    CHECK(eventually([&] { return rt->get("k").code == strata::status::not_found; }));
    auto d = answer(rt->layer_command("shared", "entry", R"({"key":"k"})"));
    CHECK(d["value"] == "doubtful");
    CHECK(d["confidence"] == 0.2);
    CHECK(d["tags"] == nlohmann::json::array({"t"}));
  }

  SECTION("bad commands are refused with a reason, and change nothing") {
    auto unknown = rt->layer_command("shared", "explode", R"({"key":"k"})");
    CHECK(unknown.code == strata::status::invalid);
    CHECK_THAT(unknown.json, Catch::Contains("unknown command 'explode'"));
    // Named as unknown whatever its arguments, not asked for the key a known command needs.
    CHECK_THAT(rt->layer_command("shared", "explode", "{}").json, Catch::Contains("unknown command 'explode'"));
    CHECK(rt->layer_command("shared", "validate", "not json").code == strata::status::invalid);
    CHECK_THAT(rt->layer_command("shared", "put", R"({"key":"k","value":"x","confidence":3})").json,
               Catch::Contains("between 0 and 1"));
    // Stored, every get of it would be refused: its hit has a tag no invalidation can name.
    CHECK_THAT(rt->layer_command("shared", "put", R"({"key":"k","value":"x","tags":["t",""]})").json,
               Catch::Contains("'tags' must not hold an empty tag"));
    CHECK(rt->layer_command("nowhere", "entry", R"({"key":"k"})").code == strata::status::invalid);
    CHECK(rt->layer_command("shared", "validate", R"({"key":"missing"})").code == strata::status::not_found);
    CHECK(answer(rt->layer_command("shared", "entry", R"({"key":"k"})"))["value"] == "v");
  }
}

TEST_CASE("a verdict given with the updated_at_us the reviewer saw applies only to what was seen", "[global][sqlite]") {
  // Another node wrote another value between the reviewer's entry and validate: that value,
  // never reviewed, was validated and served (audit).
  strata::test::scratch_dir dir{"strata-global"};
  auto rt = start_yaml(strata::test::two_layer_yaml(sqlite_settings(dir.path / "g.sqlite3")));
  REQUIRE(rt->layer_command("shared", "put", R"({"key":"k","value":"good"})").code == strata::status::ok);
  const auto seen = answer(rt->layer_command("shared", "entry", R"({"key":"k"})"))["updated_at_us"].get<std::int64_t>();
  REQUIRE(rt->layer_command("shared", "put", R"({"key":"k","value":"bad"})").code == strata::status::ok);
  for (const std::string verdict : {"validate", "reject"}) {
    const auto refused =
      rt->layer_command("shared", verdict, R"({"key":"k","updated_at_us":)" + std::to_string(seen) + "}");
    CHECK(refused.code == strata::status::rejected);
    CHECK_THAT(refused.json, Catch::Contains("the entry changed since updated_at_us " + std::to_string(seen)));
  }
  auto entry = answer(rt->layer_command("shared", "entry", R"({"key":"k"})"));
  CHECK(entry["state"] == "unverified");
  const auto now_seen = entry["updated_at_us"].get<std::int64_t>();
  CHECK(rt->layer_command("shared", "validate", R"({"key":"k","updated_at_us":)" + std::to_string(now_seen) + "}").code ==
        strata::status::ok);
  CHECK(answer(rt->layer_command("shared", "entry", R"({"key":"k"})"))["state"] == "validated");
  CHECK(rt->layer_command("shared", "validate", R"({"key":"none","updated_at_us":1})").code == strata::status::not_found);
  CHECK(rt->layer_command("shared", "validate", R"({"key":"k","updated_at_us":"x"})").code == strata::status::invalid);
  CHECK(rt->layer_command("shared", "entry", R"({"key":"k","updated_at_us":1})").code == strata::status::invalid);
}

TEST_CASE("after a put or reject command has answered, a get never finds the old copy above", "[global][sqlite]") {
  // The command was answered as soon as the layer had, before its drops of the copies above were
  // done: the next get, through the first layer's read view, served the overwritten value (up to
  // 16 % of the time) or the rejected entry.
  strata::test::scratch_dir dir{"strata-global"};
  auto rt = start_yaml(strata::test::two_layer_yaml(sqlite_settings(dir.path / "global.sqlite3")));
  const auto promoted = [&](const std::string& key) {
    rt->get(key);
    return eventually([&] { return rt->get(key).layer == "hot"; });
  };
  int stale = 0, rejected_served = 0;
  for (int i = 0; i < 100; ++i) {
    const auto key = "k" + std::to_string(i);
    REQUIRE(rt->layer_command("shared", "put", R"({"key":")" + key + R"(","value":"OLD"})").code == strata::status::ok);
    REQUIRE(promoted(key));
    REQUIRE(rt->layer_command("shared", "put", R"({"key":")" + key + R"(","value":"NEW"})").code == strata::status::ok);
    stale += rt->get(key).value == "NEW" ? 0 : 1;
    REQUIRE(promoted(key));
    REQUIRE(rt->layer_command("shared", "reject", R"({"key":")" + key + R"("})").code == strata::status::ok);
    rejected_served += rt->get(key).code == strata::status::ok ? 1 : 0;
  }
  CHECK(stale == 0);
  CHECK(rejected_served == 0);
}

TEST_CASE("a SQLite file deleted under the running layer: puts answer unavailable, health names the file",
          "[global][sqlite]") {
  // Deleting the data folder: puts were acknowledged into the unlinked file, health stayed healthy,
  // and a restart had none of them.
  strata::test::scratch_dir dir{"strata-global"};
  const auto file = dir.path / "data" / "global.sqlite3";
  const auto log_file = dir.path / "runtime.log";
  auto rt = start_yaml("logging: {output: " + log_file.string() + "}\n" +
                       strata::test::two_layer_yaml(sqlite_settings(file)));
  REQUIRE(rt->put("before", "kept") == strata::status::ok);
  fs::remove_all(dir.path / "data");
  CHECK(rt->put("after", "lost") == strata::status::unavailable);
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    CHECK(rt->get("after").value != "lost");
    rt->get("before");
    CHECK(rt->put("after" + std::to_string(i), "lost") == strata::status::unavailable);
  }
  // Critical after a read that succeeded too: every write fails (a read's success made it healthy).
  std::this_thread::sleep_for(std::chrono::milliseconds(1100)); // the write probe is due
  CHECK(rt->get("unwritten").code == strata::status::not_found);
  const auto shared = rt->health().layers.at(1);
  CHECK(shared.level == strata::health_level::critical);
  INFO(shared.detail);
  CHECK_THAT(shared.detail, Catch::Contains("writes fail, reads are answered: ") &&
                              Catch::Contains(file.string()) && Catch::Contains("deleted or replaced"));
  // Each put failed between gets that succeeded: one line for the failure, and none saying the
  // database answers again while its writes still fail (one per put).
  rt.reset();
  std::ifstream in(log_file);
  const std::string logged{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const auto count = [&](const std::string& what) {
    std::size_t n = 0;
    for (auto at = logged.find(what); at != std::string::npos; at = logged.find(what, at + 1))
      ++n;
    return n;
  };
  CHECK(count("a database statement failed") == 1);
  CHECK(count("the database answers again") == 0);
}

TEST_CASE("a row changed outside strata answers its key unavailable, naming the key and the column, and is mended by a write",
          "[global][sqlite]") {
  // A confidence of 'abc' failed every get of the key with "column 1 is not a number", a fault for
  // which the layer was replaced at each (audit); tags that were no list were served as none.
  strata::test::scratch_dir dir{"strata-global"};
  const auto file = dir.path / "global.sqlite3";
  const auto log_file = dir.path / "runtime.log";
  auto rt = start_yaml("logging: {output: " + log_file.string() + "}\nplugins:\n  path: [\"" STRATA_TEST_PLUGIN_DIR
                       "\"]\nlayers:\n  - name: shared\n    plugin: global\n    config:\n" +
                       sqlite_settings(file)); // alone: every get reaches it
  for (const char* key : {"confidence", "state", "tags", "fine"})
    REQUIRE(rt->put(key, "v") == strata::status::ok);
  auto db = strata::storage::open_store({strata::storage::dialect::sqlite, "", file.string()});
  db->prepare("spoil confidence", "UPDATE strata_global_entries SET confidence = 'abc' WHERE key = 'confidence'");
  db->prepare("spoil state", "UPDATE strata_global_entries SET state = 9 WHERE key = 'state'");
  db->prepare("spoil tags", "UPDATE strata_global_entries SET tags = 'nope' WHERE key = 'tags'");
  for (const char* spoil : {"spoil confidence", "spoil state", "spoil tags"})
    REQUIRE(db->execute(spoil) == 1);
  for (int i = 0; i < 3; ++i)
    for (const char* key : {"confidence", "state", "tags"})
      CHECK(rt->get(key).code == strata::status::unavailable);
  CHECK(rt->get("fine").value == "v");
  const auto described = answer(rt->layer_command("shared", "entry", R"({"key":"state"})"));
  CHECK(described["error"] == "the row of key 'state' in namespace 'default' cannot be read (column state: 9 is none "
                              "of 0 (unverified), 1 (validated), 2 (rejected)): changed outside strata? a write of the "
                              "key replaces it");
  REQUIRE(rt->put("tags", "mended") == strata::status::ok);
  CHECK(rt->get("tags").value == "mended");
  const auto text = rt->prometheus_text();
  CHECK(strata::test::sample(text, "strata_cache_layer_restarts_total{cache_layer=\"shared\"}") <= 0);
  rt.reset();
  std::ifstream in(log_file);
  const std::string logged{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  CHECK_THAT(logged, Catch::Contains("the row of key 'confidence' in namespace 'default' cannot be read (column "
                                     "confidence: column 1 is not a number)") &&
                       Catch::Contains("(column tags: not a JSON list of strings)"));
}

TEST_CASE("a write behind the file refuses is sent again until taken, with what is left of its TTL",
          "[global][sqlite]") {
  // Dropped, the layer kept the key's older value: served once the layer above let its copy go,
  // and after a restart; a value whose TTL ran out meanwhile let the older one come back (audit).
  strata::test::scratch_dir dir{"strata-global"};
  const auto file = dir.path / "global.sqlite3";
  const auto yaml = std::string("plugins:\n  path: [\"") + STRATA_TEST_PLUGIN_DIR + "\"]\n"
                    "layers:\n"
                    "  - {name: hot, plugin: predictive}\n"
                    "  - name: shared\n    plugin: global\n    write: behind\n    deadline: 2s\n    config:\n" +
                    sqlite_settings(file, "      statement_timeout: 200ms\n      retry_max: 300ms\n");
  const auto held = [](strata::runtime& rt, const std::string& key) -> nlohmann::json {
    return answer(rt.layer_command("shared", "entry", R"({"key":")" + key + R"("})"));
  };
  auto rt = start_yaml(yaml);
  for (const char* key : {"k", "gone", "expired", "tagged"})
    REQUIRE(rt->put(key, "old") == strata::status::ok);
  REQUIRE(eventually([&] { return held(*rt, "tagged").value("value", "") == "old"; }, 5s));
  std::int64_t before_us = 0;
  CHECK_THROWS_WITH(strata::test::with_file_locked(file, [&] {
                      REQUIRE(rt->put("k", "new") == strata::status::ok);
                      strata::put_options brief;
                      brief.ttl = 300ms;
                      REQUIRE(rt->put("gone", "brief", brief) == strata::status::ok);
                      before_us = std::chrono::duration_cast<std::chrono::microseconds>(
                                    std::chrono::system_clock::now().time_since_epoch()).count();
                      strata::put_options minute;
                      minute.ttl = 60s;
                      REQUIRE(rt->put("t", "w", minute) == strata::status::ok);
                      // An EXPIRE of a value not written yet: sent as its put (put_kept would set
                      // the TTL only where the row holds that value, and the row holds the old).
                      REQUIRE(rt->put("expired", "new") == strata::status::ok);
                      REQUIRE(rt->expire("expired", 60s) == strata::status::ok);
                      // An invalidation of its tag: the key goes, the old value too (review).
                      strata::put_options tag;
                      tag.tags = {"t1"};
                      REQUIRE(rt->put("tagged", "new", tag) == strata::status::ok);
                      rt->invalidate_tag("t1"); // unavailable: the file is locked
                      std::this_thread::sleep_for(1s); // the writes fail, and are sent again, and fail
                    }),
                    "rolled back");
  CHECK(eventually([&] { return held(*rt, "k").value("value", "") == "new"; }, 15s));
  CHECK(eventually([&] { return held(*rt, "gone").value("found", true) == false; }, 15s));
  CHECK(rt->get("gone").code == strata::status::not_found); // the older value did not come back
  CHECK(eventually([&] { return held(*rt, "expired").value("value", "") == "new"; }, 15s));
  CHECK(held(*rt, "expired")["expires_at_us"].get<std::int64_t>() > 0);
  CHECK(eventually([&] { return held(*rt, "tagged").value("found", true) == false; }, 15s));
  CHECK(rt->get("tagged").code == strata::status::not_found);
  REQUIRE(eventually([&] { return held(*rt, "t").value("found", false); }, 15s));
  // Its TTL runs from the put, not from when the layer took it (at least the 1 s of the lock
  // later). Not to the microsecond: the put itself reads the layer's clock after before_us, and
  // what is left is measured when it is sent again, not when the layer applies it (ASan: 185 µs).
  CHECK(held(*rt, "t")["expires_at_us"].get<std::int64_t>() <= before_us + 60'000'000 + 500'000);
  rt.reset();
  rt = start_yaml(yaml);
  CHECK(rt->get("k").value == "new");
  CHECK(rt->get("gone").code == strata::status::not_found);
  CHECK(rt->get("expired").value == "new");
  CHECK(rt->get("tagged").code == strata::status::not_found);
}

TEST_CASE("a SQLite file that takes no more bytes keeps the layer critical while reads are answered",
          "[global][sqlite]") {
  // The write probe rewrote a row as it was: SQLite then writes no page, so the probe succeeded
  // on a full disk (or an immutable file) and the layer read healthy between failing puts.
  strata::test::scratch_dir dir{"strata-global"};
  auto rt = start_yaml(strata::test::two_layer_yaml(sqlite_settings(dir.path / "g.sqlite3")));
  REQUIRE(rt->put("before", "kept") == strata::status::ok);
  const auto shared_level = [&] { return rt->health().layers.at(1).level; };
  {
    // No file of this process may grow past 0 bytes: every write SQLite makes fails (EFBIG), as
    // on a full disk; reads are served from what is there.
    struct no_file_growth {
      no_file_growth() {
        std::cout.flush();
        std::cerr.flush();
        REQUIRE(::getrlimit(RLIMIT_FSIZE, &before) == 0);
        ignored = std::signal(SIGXFSZ, SIG_IGN);
        rlimit none = before;
        none.rlim_cur = 0;
        REQUIRE(::setrlimit(RLIMIT_FSIZE, &none) == 0);
      }
      ~no_file_growth() {
        ::setrlimit(RLIMIT_FSIZE, &before);
        std::signal(SIGXFSZ, ignored);
        // Whatever this process wrote meanwhile to a regular file failed: Catch's output, when
        // sent to a file, would stay silent for the rest of the run.
        std::cout.clear();
        std::cerr.clear();
      }
      rlimit before{};
      void (*ignored)(int) = nullptr;
    } full;
    CHECK(rt->put("after", "lost") == strata::status::unavailable);
    for (int i = 0; i < 3; ++i) {
      std::this_thread::sleep_for(1100ms); // a write probe is due at each read
      CHECK(rt->get("unwritten").code == strata::status::not_found);
      INFO(rt->health().layers.at(1).detail);
      CHECK(shared_level() == strata::health_level::critical);
    }
    CHECK_THAT(rt->health().layers.at(1).detail, Catch::Contains("writes fail, reads are answered: "));
  }
  // Room again: the next probe's write succeeds, with no put needed.
  std::this_thread::sleep_for(1100ms);
  CHECK(rt->get("unwritten").code == strata::status::not_found);
  CHECK(shared_level() == strata::health_level::healthy);
  CHECK(rt->put("after", "kept") == strata::status::ok);
}

TEST_CASE("an EXPIRE changes the entry's TTL only: its confidence, state and writer stay", "[global][sqlite]") {
  // It wrote the value back as a put does, which made a validated entry unverified again (not
  // served with serve_unverified: false) and reset its confidence.
  strata::test::scratch_dir dir{"strata-global"};
  auto rt = start_yaml(
    strata::test::two_layer_yaml(sqlite_settings(dir.path / "g.sqlite3", "      default_ttl: 2h\n")));
  REQUIRE(rt->layer_command("shared", "put", R"({"key":"k","value":"v","confidence":0.9})").code ==
          strata::status::ok);
  REQUIRE(rt->layer_command("shared", "validate", R"({"key":"k"})").code == strata::status::ok);
  REQUIRE(rt->expire("k", 1h) == strata::status::ok);
  const auto entry = answer(rt->layer_command("shared", "entry", R"({"key":"k"})"));
  CHECK(entry["state"] == "validated");
  CHECK(entry["confidence"] == 0.9);
  CHECK(entry["writer"] == "node-a");
  CHECK(entry["value"] == "v");
  const auto in_an_hour =
    std::chrono::duration_cast<std::chrono::microseconds>((std::chrono::system_clock::now() + 1h).time_since_epoch())
      .count();
  CHECK(entry["expires_at_us"].get<std::int64_t>() > in_an_hour - 60'000'000);
  CHECK(entry["expires_at_us"].get<std::int64_t>() <= in_an_hour);
  // Zero: it no longer expires (not the layer's default_ttl, as for a put).
  REQUIRE(rt->expire("k", std::chrono::milliseconds(0)) == strata::status::ok);
  CHECK(answer(rt->layer_command("shared", "entry", R"({"key":"k"})"))["expires_at_us"] == 0);
}

TEST_CASE("a layer without commands refuses them, saying so", "[global][sqlite]") {
  strata::test::scratch_dir dir{"strata-global"};
  auto rt = start_yaml(strata::test::two_layer_yaml(sqlite_settings(dir.path / "g.sqlite3")));
  auto r = rt->layer_command("hot", "anything", "{}");
  CHECK(r.code == strata::status::invalid);
  CHECK_THAT(r.json, Catch::Contains("takes no commands"));
}

TEST_CASE("the global layer honours TTLs and erases", "[global][sqlite]") {
  strata::test::scratch_dir dir{"strata-global"};
  auto rt = start_yaml(strata::test::two_layer_yaml(sqlite_settings(dir.path / "g.sqlite3")));
  strata::put_options o;
  o.ttl = 300ms;
  REQUIRE(rt->put("short", "lived", o) == strata::status::ok);
  REQUIRE(rt->put("long", "lived") == strata::status::ok);
  CHECK(rt->get("short").code == strata::status::ok);
  CHECK(eventually([&] { return rt->get("short").code == strata::status::not_found; }, 3s));
  // Expired, maybe not purged yet: no entry for the command either (it said found: true).
  CHECK(rt->layer_command("shared", "entry", R"({"key":"short"})").code == strata::status::not_found);
  CHECK(rt->erase("short") == strata::status::not_found); // and for an erase (it said ok)
  CHECK(rt->erase("long") == strata::status::ok);
  CHECK(rt->get("long").code == strata::status::not_found);
  CHECK(rt->erase("long") == strata::status::not_found);
}

TEST_CASE("the longest TTL is kept as an expiry in the future, not wrapped into the past", "[global][sqlite]") {
  // Microseconds since the epoch: now + ttl × 1000 overflowed for a TTL near the largest (the
  // runtime now refuses a TTL above units::max_ttl, ~292 years).
  strata::test::scratch_dir dir{"strata-global"};
  auto rt = start_yaml(strata::test::two_layer_yaml(sqlite_settings(dir.path / "g.sqlite3")));
  strata::put_options o;
  o.ttl = strata::units::max_ttl;
  const auto before_us = std::chrono::duration_cast<std::chrono::microseconds>(
                           std::chrono::system_clock::now().time_since_epoch()).count();
  REQUIRE(rt->put("far", "kept", o) == strata::status::ok);
  auto entry = rt->layer_command("shared", "entry", R"({"key":"far"})");
  REQUIRE(entry.code == strata::status::ok);
  CHECK(answer(entry)["value"] == "kept");
  CHECK(answer(entry)["expires_at_us"].get<std::int64_t>() >= before_us + strata::units::max_ttl.count() * 1000);
}

TEST_CASE("a global layer whose statement may outlast its deadline is refused, at that key",
          "[global][sqlite]") {
  // A statement_timeout at or above the deadline answered a slow statement with the coordinator's
  // `timeout` rather than the layer's `unavailable`; 5 s above it, the instance was replaced as hung.
  strata::test::scratch_dir dir;
  const auto path = (dir.path / "g.sqlite3").string();
  const auto errors = [&](const std::string& settings, const std::string& deadline) {
    auto yaml = strata::test::two_layer_yaml("      sqlite_path: " + path + "\n" + settings, deadline);
    if (deadline.empty()) // no deadline at all: the plugin's
      yaml.replace(yaml.find("    deadline: \n"), 15, "");
    auto checked = strata::validate(*strata::parse_config(yaml, "inline.yaml").effective);
    std::vector<std::string> lines;
    for (const auto& e : checked.errors_in_file_order())
      lines.push_back(e.to_string());
    return lines;
  };
  CHECK(errors("      statement_timeout: 5s\n", "") ==
        std::vector<std::string>{"inline.yaml:15:26: layers[1].config.statement_timeout: '5s' is not below the layer's "
                                 "deadline (3000ms, its plugin's default): a request that waits so long would be "
                                 "answered `timeout` by the coordinator before the layer could answer; give "
                                 "layers[1].deadline more than it, or this less"});
  CHECK(errors("      statement_timeout: 2s\n", "2s").size() == 1); // as long as the deadline: a race
  CHECK(errors("      statement_timeout: 5s\n", "6s").empty());
  CHECK(errors("", "").empty()); // the default, 500 ms, below 3 s
  CHECK(errors("", "400ms") ==
        std::vector<std::string>{"inline.yaml:14:5: layers[1].config.statement_timeout: '500ms' is not below the "
                                 "layer's deadline (400ms): a request that waits so long would be answered `timeout` "
                                 "by the coordinator before the layer could answer; give layers[1].deadline more than "
                                 "it, or this less"});
}

TEST_CASE("a bad global configuration stops the start with a clear error", "[global][sqlite]") {
  auto parsed = strata::parse_config(strata::test::two_layer_yaml("      backend: mysql\n"), "inline.yaml");
  REQUIRE(parsed.ok());
  auto rt = strata::runtime::from_config(*parsed.effective);
  REQUIRE_FALSE(rt);
  CHECK_THAT(rt.err().message, Catch::Contains("'mysql' is neither postgres nor sqlite"));
  parsed = strata::parse_config(strata::test::two_layer_yaml("      colour: blue\n"), "inline.yaml");
  REQUIRE(parsed.ok()); // the plugin's schema is checked when the runtime starts
  rt = strata::runtime::from_config(*parsed.effective);
  REQUIRE_FALSE(rt);
  CHECK_THAT(rt.err().message, Catch::Contains("colour"));
  // A DSN libpq cannot parse is refused before any connection is tried (it looked like an
  // unreachable server), and so are retry bounds the wrong way round.
  const auto refusal = [](const std::string& settings, const std::string& deadline = "2s") {
    auto config = strata::parse_config(strata::test::two_layer_yaml(settings, deadline), "inline.yaml");
    REQUIRE(config.ok());
    auto refused = strata::runtime::from_config(*config.effective);
    REQUIRE_FALSE(refused);
    return refused.err().message;
  };
  // A DSN with the default backend, sqlite, was ignored: the node kept its entries to itself.
  CHECK_THAT(refusal("      dsn: \"host=db dbname=strata\"\n"),
             Catch::Contains("layers[1].config.dsn: 'dsn' applies only with backend: postgres, and backend is "
                             "'sqlite' here (the default): leave dsn out, or set backend: postgres"));
  // So is every other key sqlite does not read, and the sqlite file with postgres.
  CHECK_THAT(refusal("      pool_size: 8\n      channel: other\n"),
             Catch::Contains("layers[1].config.pool_size: 'pool_size' applies only with backend: postgres") &&
                 Catch::Contains("layers[1].config.channel: 'channel' applies only with backend: postgres"));
  CHECK_THAT(refusal("      backend: postgres\n      sqlite_path: /tmp/x.sqlite3\n"),
             Catch::Contains("layers[1].config.sqlite_path: 'sqlite_path' applies only with backend: sqlite, and "
                             "backend is 'postgres' here: leave sqlite_path out, or set backend: sqlite"));
  // At its default a key changes nothing either way: taken (a validated configuration holds them all).
  const auto at_default = strata::parse_config(strata::test::two_layer_yaml("      pool_size: 2\n"), "inline.yaml");
  REQUIRE(at_default.ok());
  CHECK(strata::validate(*at_default.effective).errors_text().empty());
  CHECK_THAT(refusal("      backend: postgres\n      dsn: \"hostt=db\"\n"),
             Catch::Contains("layers[1].config.dsn: plugin 'global': invalid connection option \"hostt\""));
  // What libpq quotes from a DSN it cannot read may be the password: it is not repeated.
  for (const std::string dsn : {"postgresql://bob:Sup3rS%zzecret@127.0.0.1/strata",
                                "postgresql://bob@127.0.0.1/strata?password=hunter%zz2pw",
                                "postgresql://bob:hunter%002pw@127.0.0.1/strata",
                                "host=db password=a b\\\"c2pw", "host=db password=a b=ecret"}) {
    const auto message = refusal("      backend: postgres\n      dsn: \"" + dsn + "\"\n");
    CHECK_THAT(message, Catch::Contains("layers[1].config.dsn: plugin 'global': ") && Catch::Contains("(hidden)"));
    CHECK_THAT(message, !Catch::Contains("ecret") && !Catch::Contains("2pw"));
  }
  // A change_retention a replay would outrun with this statement_timeout: every blip was an error
  // (on PostgreSQL: sqlite keeps no change log, and refuses the key).
  CHECK_THAT(refusal("      backend: postgres\n      statement_timeout: 20s\n      change_retention: 2m\n", "30s"),
             Catch::Contains("layers[1].config.change_retention: plugin 'global': 120000 ms is shorter than a replay "
                             "needs with this statement_timeout: at least 140000 ms"));
  // Placed at change_retention where it is written; left at its default, at the `config:` that
  // would hold it (it was placed at the first key under it, statement_timeout, taken for the fault).
  CHECK_THAT(refusal("      backend: postgres\n      statement_timeout: 20s\n      change_retention: 2m\n", "30s"),
             Catch::StartsWith("inline.yaml:17:25: layers[1].config.change_retention: "));
  CHECK_THAT(refusal("      backend: postgres\n      statement_timeout: 20m\n", "1h"),
             Catch::StartsWith("inline.yaml:14:5: layers[1].config.change_retention: plugin 'global': 3600000 ms"));
  // sqlite keeps no change log: its default retention is not held against a long statement_timeout.
  const auto long_statements = strata::parse_config(strata::test::two_layer_yaml("      statement_timeout: 20m\n", "1h"), "inline.yaml");
  REQUIRE(long_statements.ok());
  CHECK(strata::validate(*long_statements.effective).errors_text().empty());
  // What libpq parses but could never connect with is refused too (it started, always critical).
  CHECK_THAT(refusal("      backend: postgres\n      dsn: \"host=db port=notaport\"\n"),
             Catch::Contains("dsn: plugin 'global': port 'notaport' is not a port number (1 to 65535)"));
  CHECK_THAT(refusal("      backend: postgres\n      dsn: \"postgresql://db:70000/x\"\n"),
             Catch::Contains("port '70000' is not a port number"));
  // ... but not the forms libpq takes: a host without its port in a list, spaces, leading zeros.
  for (const std::string dsn : {"postgresql://pg1,pg2/strata", "postgresql://pg1:5433,pg2/strata",
                                "host=a,b port=,5433", "host=a port=' 05432 '"}) {
    auto config = strata::parse_config(strata::test::two_layer_yaml("      backend: postgres\n      dsn: \"" + dsn +
                                                                     "\"\n"),
                                       "inline.yaml");
    REQUIRE(config.ok());
    auto started = strata::runtime::from_config(*config.effective); // the hosts do not exist: it starts all the same
    INFO(dsn << ": " << (started ? std::string() : started.err().message));
    CHECK(started);
  }
  CHECK_THAT(refusal("      backend: postgres\n      dsn: \"host=db sslmode=bogus\"\n"),
             Catch::Contains("dsn: plugin 'global': sslmode 'bogus' is not one of disable"));
  // A string that holds no password keeps libpq's words, which say what is wrong (they read
  // `missing "(hidden)" in connection info string`).
  CHECK_THAT(refusal("      backend: postgres\n      dsn: \"nonsense\"\n"),
             Catch::Contains("dsn: plugin 'global': missing \"=\" after \"nonsense\" in connection info string"));
  {
    // The environment's string: named, and placed at the instance, not at a `dsn` the file lacks.
    strata::test::scoped_env nonsense("STRATA_PG_DSN", "nonsense");
    const auto message = refusal("      backend: postgres\n");
    CHECK_THAT(message, Catch::Contains("layers[1]: plugin 'global': STRATA_PG_DSN (dsn is empty): missing \"=\" after "
                                        "\"nonsense\" in connection info string"));
  }
  CHECK_THAT(refusal("      backend: sqlite\n      sqlite_path: /tmp/unused.db\n"
                     "      retry_min: 10s\n      retry_max: 1s\n"),
             Catch::Contains("layers[1].config.retry_max: plugin 'global': 1000 ms is less than retry_min (10000 ms)"));
  // SQLite's busy timeout is an int of ms: 25 days wrapped to a negative one, which waits for no lock.
  CHECK_THAT(refusal("      backend: sqlite\n      sqlite_path: /tmp/unused.db\n      statement_timeout: 25d\n"),
             Catch::Contains("layers[1].config.statement_timeout") &&
               Catch::Contains("'25d' is above the maximum of 2147483647 ms"));
  // What only opening the file can tell is placed at its key too.
  CHECK_THAT(refusal("      backend: sqlite\n      sqlite_path: /proc/strata/global.db\n"),
             Catch::Contains("layers[1].config.sqlite_path: ") &&
               Catch::Contains("cannot create the folder /proc/strata"));
}

namespace {

/// A layer as a plugin built for ABI 1.1 would have it: the host must not call `command`, which
/// such a plugin's vtable does not have.
class old_layer : public strata::test_plugins::nothing_layer {
public:
  using nothing_layer::nothing_layer;
  strata::status command(std::string_view, std::string_view, std::string&) override {
    FAIL("the host called command() on a plugin built for ABI 1.1");
    return strata::status::internal;
  }
};

const strata_plugin_descriptor old_descriptor = strata::test::static_layer<old_layer>("old_plugin", 1);

} // namespace

TEST_CASE("a plugin built for ABI 1.1 is never asked for a command", "[global][sqlite]") {
  strata::runtime_options options;
  options.static_plugins = {&old_descriptor};
  auto rt = start_yaml("layers:\n  - name: old\n    plugin: old_plugin\n", options);
  auto r = rt->layer_command("old", "validate", "{}");
  CHECK(r.code == strata::status::invalid);
  CHECK_THAT(r.json, Catch::Contains("ABI 1.1") && Catch::Contains("takes no commands"));
}
