// The vector layer's entries written through to a SQLite file and reloaded by the next runtime,
// with the real plugins loaded by dlopen (vector, lexical_hash).

#include "runtime_fixture.hpp"
#include "support/scratch_dir.hpp"
#include "support/sqlite_locked.hpp"
#include "support/sqlite_schema_version.hpp"
#include "support/sqlite_spoilt_copy.hpp"

#include <strata/runtime.hpp>
#include <strata/store.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

using namespace strata;
namespace fs = std::filesystem;

namespace {

std::string deployment(const fs::path& file) {
  return "plugins:\n  path: [\"" STRATA_PLUGIN_DIR "\"]\n"
         "embedders:\n  - name: lexical\n    plugin: lexical_hash\n"
         "layers:\n"
         "  - name: vectors\n    plugin: vector\n    write: around\n    promote: false\n    deadline: 5s\n"
         "    embedder: lexical\n"
         "    config:\n      index: flat\n      maintenance_interval: 20ms\n      sqlite_path: \"" +
         file.string() + "\"\n";
}

vector_item text_item(std::string text, std::vector<std::string> tags = {}) {
  vector_item i;
  i.metadata = text;
  i.text = std::move(text);
  i.tags = std::move(tags);
  return i;
}

vector_item raw_item(std::string model, std::vector<float> values) {
  vector_item i;
  i.vector.model = std::move(model);
  i.vector.values = std::move(values);
  return i;
}

vector_query text_query(std::string text, std::size_t k = 10) {
  vector_query q;
  q.text = std::move(text);
  q.k = k;
  return q;
}

vector_query raw_query(std::string model, std::vector<float> values, std::size_t k) {
  vector_query q;
  q.vector.model = std::move(model);
  q.vector.values = std::move(values);
  q.k = k;
  return q;
}

} // namespace

TEST_CASE("entries survive a restart with their ids, and erased, invalidated or expired ones do not",
          "[vector][persistence][integration]") {
  strata::test::scratch_dir dir{"strata-vector-persist"};
  const auto file = dir.path / "sub" / "vectors.sqlite3";
  std::uint64_t password = 0, trains = 0, pasta = 0, largest = 0;
  std::vector<vector_hit> before;
  {
    auto rt = testing::start_yaml(deployment(file));
    password = rt->vector_add(text_item("How do I reset my password?", {"account"})).id;
    trains = rt->vector_add(text_item("Which trains go to the airport?")).id;
    const auto batch = rt->vector_add_batch({text_item("Best pasta recipes"), text_item("Cheap flights to Rome"),
                                             text_item("Refund policy for annual plans", {"billing"})});
    REQUIRE(batch.code == status::ok);
    pasta = batch.ids[0];
    const auto flights = batch.ids[1];
    auto updated = text_item("Best pasta recipes for a weeknight", {"food"});
    updated.id = pasta;
    REQUIRE(rt->vector_update(updated).code == status::ok);
    REQUIRE(rt->vector_erase(flights).code == status::ok);
    rt->invalidate_tag("billing");
    auto brief = text_item("A fleeting note about the weather");
    brief.ttl = std::chrono::seconds(1); // a loaded machine may take a few hundred ms between two calls
    const auto fleeting = rt->vector_add(brief);
    REQUIRE(fleeting.code == status::ok);
    largest = fleeting.id;
    auto found = rt->vector_search(text_query("recipes pasta password trains"));
    REQUIRE(found.code == status::ok);
    before = found.hits;
    std::this_thread::sleep_for(std::chrono::milliseconds(1100)); // the note expires (and is purged)
  }
  REQUIRE(fs::exists(file));

  auto rt = testing::start_yaml(deployment(file));
  auto found = rt->vector_search(text_query("recipes pasta password trains"));
  REQUIRE(found.code == status::ok);
  std::vector<std::uint64_t> ids;
  for (const auto& h : found.hits)
    ids.push_back(h.id);
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::uint64_t>{password, trains, pasta});
  REQUIRE(found.hits.size() == 3);
  for (std::size_t i = 0; i < 3; ++i) { // the same vectors: the same order and scores
    CHECK(found.hits[i].id == before[i].id);
    CHECK(found.hits[i].score == Approx(before[i].score));
  }
  auto pasta_query = text_query("pasta recipes weeknight", 1);
  pasta_query.tags = {"food"};
  auto food = rt->vector_search(pasta_query);
  REQUIRE(food.hits.size() == 1);
  CHECK(food.hits[0].id == pasta);
  CHECK(food.hits[0].metadata == "Best pasta recipes for a weeknight");

  // New ids continue after the largest ever loaded or given, and the reloaded entries stay erasable.
  const auto next = rt->vector_add(text_item("Opening hours of the museum"));
  REQUIRE(next.code == status::ok);
  CHECK(next.id > largest);
  CHECK(rt->vector_erase(trains).code == status::ok);
  rt.reset();
  rt = testing::start_yaml(deployment(file));
  auto again = rt->vector_search(text_query("trains airport museum", 10));
  std::vector<std::uint64_t> left;
  for (const auto& h : again.hits)
    left.push_back(h.id);
  std::sort(left.begin(), left.end());
  CHECK(left == std::vector<std::uint64_t>{password, pasta, next.id});
}

TEST_CASE("a file holding more than max_entries is served whole and the layer says so", "[vector][persistence][integration]") {
  strata::test::scratch_dir dir{"strata-vector-persist"};
  const auto file = dir.path / "vectors.sqlite3";
  {
    auto rt = testing::start_yaml(deployment(file));
    for (const auto* text : {"red apples", "green pears", "fast cars", "slow tractors"})
      REQUIRE(rt->vector_add(text_item(text)).code == status::ok);
  }
  // Maintenance once an hour: the health must not wait for it.
  auto yaml = deployment(file) + "      max_entries: 2\n";
  yaml.replace(yaml.find("maintenance_interval: 20ms"), 26, "maintenance_interval: 1h");
  auto rt = testing::start_yaml(yaml);
  const auto held = rt->vector_search(text_query("fast cars", 10)).hits;
  CHECK(held.size() == 4); // nothing dropped
  CHECK(rt->vector_add(text_item("blue boats")).code == status::rejected);
  const auto health = rt->health().layers[0];
  CHECK(health.level == health_level::warning);
  CHECK(health.detail.find("4 entries") == 0);
  CHECK(health.detail.find("above max_entries 2: adds are rejected") != std::string::npos);
  // Back within the bound, the warning goes at once (it stayed until the next maintenance, while
  // adds went through).
  REQUIRE(held.size() == 4);
  CHECK(rt->vector_erase(held[0].id).code == status::ok);
  CHECK(rt->vector_erase(held[1].id).code == status::ok);
  CHECK(rt->health().layers[0].level == health_level::healthy);
}

TEST_CASE("a file that is not a database stops the start with an error naming it", "[vector][persistence][integration]") {
  strata::test::scratch_dir dir{"strata-vector-persist"};
  const auto file = dir.path / "garbage.sqlite3";
  std::ofstream(file) << std::string(4096, 'x');
  const auto error = testing::start_error(deployment(file));
  CHECK(error.find(file.string()) != std::string::npos);
}

TEST_CASE("a file of a newer schema stops the start with an error naming it", "[vector][persistence][integration]") {
  strata::test::scratch_dir dir{"strata-vector-persist"};
  const auto file = dir.path / "newer.sqlite3";
  testing::start_yaml(deployment(file)).reset(); // creates the file at schema version 1
  strata::test::set_sqlite_schema_version(file, "vector_layer", 2);
  const auto error = testing::start_error(deployment(file));
  CHECK(error.find(file.string()) != std::string::npos);
  CHECK(error.find("newer") != std::string::npos);
}

TEST_CASE("an entry whose tags are not a list stops the start with an error naming the file and the entry",
          "[vector][persistence][integration]") {
  strata::test::scratch_dir dir{"strata-vector-persist"};
  const auto file = dir.path / "tags.sqlite3";
  std::uint64_t id = 0;
  {
    auto rt = testing::start_yaml(deployment(file));
    id = rt->vector_add(text_item("red boats")).id;
  }
  {
    storage::store_options o;
    o.sqlite_path = file.string();
    auto db = storage::open_store(o);
    db->prepare("spoil", "UPDATE strata_vector_entries SET tags = 'not json'");
    REQUIRE(db->execute("spoil") == 1);
  }
  const auto error = testing::start_error(deployment(file));
  CHECK(error.find(file.string()) != std::string::npos);
  // It said "[json.exception.parse_error.101] ..." alone.
  CHECK(error.find("entry " + std::to_string(id) + ": its tags are not a JSON list of strings") != std::string::npos);
}

TEST_CASE("an entry an add would refuse stops the start with an error naming the file and the entry",
          "[vector][persistence][integration]") {
  // Served as they were: id -5 came back as 2^64 - 5, which no erase could name.
  strata::test::scratch_dir dir{"strata-vector-persist"};
  const auto file = dir.path / "spoilt.sqlite3";
  {
    auto rt = testing::start_yaml(deployment(file));
    REQUIRE(rt->vector_add(text_item("red boats")).code == status::ok);
  }
  const std::pair<const char*, const char*> spoils[] = {
    {"UPDATE strata_vector_entries SET id = -5", "entry -5: the id is not between 1 and 2^53 - 1"},
    {"UPDATE strata_vector_entries SET id = 9007199254740993", "entry 9007199254740993: the id is not between 1 and 2^53 - 1"},
    {"UPDATE strata_vector_entries SET tags = '[\"\"]'", ": an empty tag"},
    // It said "column 6 is not an integer": no entry, no column name (audit).
    {"UPDATE strata_vector_entries SET expires_at_ms = 'later'", "entry 1: column 6 (expires_at_ms) is not an integer"},
    {"UPDATE strata_vector_entries SET vector = zeroblob(length(vector))", ": the vector is all zeros"},
  };
  const auto copy = dir.path / "copy.sqlite3";
  for (const auto& [spoil, said] : spoils) {
    INFO(spoil);
    strata::test::spoilt_copy(file, copy, spoil);
    CHECK_THAT(testing::start_error(deployment(copy)), Catch::Contains(copy.string()) && Catch::Contains(said));
  }
}

TEST_CASE("a file that holds another layer's data stops the start, naming it", "[vector][persistence][integration]") {
  // Given the semantic layer's file, the layer started empty beside the semantic entries.
  strata::test::scratch_dir dir{"strata-vector-persist"};
  const auto file = dir.path / "semantic.sqlite3";
  storage::open_store({storage::dialect::sqlite, "", file.string()})
    ->migrate("semantic_layer", {{1, "the semantic layer's", {"CREATE TABLE semantic_rows (x INTEGER)"}, {}}});
  const auto error = testing::start_error(deployment(file));
  CHECK_THAT(error, Catch::Contains("persistence file '" + file.string() + "': it holds the data of another layer "
                                    "(schema 'semantic_layer'): give each layer its own sqlite_path"));
}

TEST_CASE("two layers on one file stop the start with an error naming the file and the other layer",
          "[vector][persistence][integration]") {
  strata::test::scratch_dir dir{"strata-vector-persist"};
  const auto file = dir.path / "shared.sqlite3";
  const auto second_layer_on = [&](const std::filesystem::path& path) {
    return deployment(file) + "  - name: more_vectors\n    plugin: vector\n    write: around\n    promote: false\n"
                              "    embedder: lexical\n    config:\n      index: flat\n      sqlite_path: \"" +
           path.string() + "\"\n";
  };
  // As written: the validation sees it.
  CHECK_THAT(testing::start_error(second_layer_on(file)),
             Catch::Contains("layers[1].config.sqlite_path: '" + file.string() + "' is also layers[0].config.sqlite_path"));
  // Through a link: only the start can tell.
  std::filesystem::create_directory_symlink(dir.path, dir.path / "link");
  const auto linked = dir.path / "link" / "shared.sqlite3";
  const auto error = testing::start_error(second_layer_on(linked));
  INFO(error);
  CHECK(error.find(linked.string()) != std::string::npos);
  CHECK(error.find("in use by the layer 'vectors'") != std::string::npos);
  testing::start_yaml(deployment(file)).reset(); // released: one layer alone starts on it
}

TEST_CASE("an id given again keeps its new row, whose old one's delete the file refused", "[vector][persistence][integration]") {
  // The delete, retried at a maintenance after the add, removed the new entry's row: served from
  // memory, lost at the restart (review).
  strata::test::scratch_dir dir{"strata-vector-persist"};
  const auto file = dir.path / "vectors.sqlite3";
  auto yaml = deployment(file);
  const std::string fast = "maintenance_interval: 20ms";
  yaml.replace(yaml.find(fast), fast.size(), "maintenance_interval: 500ms");
  auto rt = testing::start_yaml(yaml);
  const auto old = rt->vector_add(text_item("an old note", {"stale"})).id;
  REQUIRE(old != 0);
  CHECK_THROWS_WITH(strata::test::with_file_locked(file, [&] {
                      CHECK(rt->invalidate_tag("stale").code == status::unavailable);
                      // A maintenance retries the delete, and fails (the file's 2 s busy wait).
                      std::this_thread::sleep_for(std::chrono::milliseconds(2600));
                    }),
                    "rolled back");
  auto again = text_item("a new note under the old id");
  again.id = old;
  REQUIRE(rt->vector_add(again).id == old);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200)); // two maintenances
  CHECK(rt->health().layers.at(0).level == health_level::healthy);
  rt.reset();
  rt = testing::start_yaml(yaml);
  const auto found = rt->vector_search(text_query("a new note under the old id", 1));
  REQUIRE(found.hits.size() == 1);
  CHECK(found.hits[0].id == old);
  CHECK(found.hits[0].metadata == "a new note under the old id");
}

TEST_CASE("an add that cannot be written to the file answers unavailable and keeps nothing", "[vector][persistence][integration]") {
  // It answered ok from memory: a restart lost it, and gave its id to the next add.
  strata::test::scratch_dir dir{"strata-vector-persist"};
  const auto file = dir.path / "vectors.sqlite3";
  auto rt = testing::start_yaml(deployment(file));
  const auto kept = rt->vector_add(text_item("kept before the lock")).id;
  REQUIRE(kept != 0);
  const auto tagged = rt->vector_add(text_item("tagged before the lock", {"stale"})).id;
  REQUIRE(tagged != 0);
  const auto old = rt->vector_add(raw_item("old", {1, 2, 3})).id;
  REQUIRE(old != 0);
  CHECK_THROWS_WITH(strata::test::with_file_locked(file, [&] {
                      const auto refused = rt->vector_add(text_item("written while the file is locked"));
                      CHECK(refused.code == status::unavailable);
                      CHECK_THAT(refused.error, Catch::Contains("writing to '" + file.string() + "' failed") &&
                                                  Catch::Contains("nothing was added"));
                      const auto health = rt->health().layers.at(0);
                      CHECK(health.level == health_level::warning);
                      CHECK_THAT(health.detail, Catch::Contains("changes since are not kept"));
                      CHECK(rt->vector_search(text_query("written while the file is locked", 1)).hits.at(0).id == kept);
                      // The first vectors of a model fix its dimension, unless their add is taken back.
                      CHECK(rt->vector_add(raw_item("fresh", {1, 2, 3})).code == status::unavailable);
                      // A model the add found keeps its dimension: the file holds its entries,
                      // and would hold two dimensions.
                      CHECK(rt->vector_erase(old).code == status::unavailable);
                      CHECK(rt->vector_add(raw_item("old", {1, 2, 3})).code == status::unavailable);
                      // The invalidation's answer says what became of it, as an erase's does.
                      const auto invalidated = rt->invalidate_tag("stale");
                      CHECK(invalidated.code == status::unavailable);
                      CHECK_THAT(invalidated.error, Catch::StartsWith("layer 'vectors': writing to '" + file.string()) &&
                                                      Catch::Contains("removed from memory; their rows stay in the file "
                                                                      "until a maintenance deletes them"));
                      // An erase or an update the file does not take is undone: done in memory
                      // only, a retried erase answered not found, and a restart served the entry.
                      const auto erased = rt->vector_erase(kept);
                      CHECK(erased.code == status::unavailable);
                      CHECK_THAT(erased.error, Catch::Contains("nothing was erased"));
                      vector_item changed = text_item("kept, changed while the file is locked");
                      changed.id = kept;
                      const auto updated = rt->vector_update(changed);
                      CHECK(updated.code == status::unavailable);
                      CHECK_THAT(updated.error, Catch::Contains("nothing was updated"));
                    }),
                    "rolled back");
  CHECK(rt->vector_search(text_query("kept before the lock", 1)).hits.at(0).id == kept);
  CHECK(rt->vector_search(text_query("kept before the lock", 1)).hits.at(0).score > 0.99);
  CHECK(rt->vector_search(raw_query("old", {1, 2, 3}, 1)).hits.at(0).id == old);
  const auto after = rt->vector_add(text_item("written once the file is free"));
  REQUIRE(after.code == status::ok);
  const auto fresh = rt->vector_add(raw_item("fresh", {1, 2, 3, 4}));
  CHECK(fresh.code == status::ok);
  CHECK(fresh.error == "");
  CHECK(rt->vector_add(raw_item("old", {1, 2, 3, 4})).code == status::invalid);
  // Until a maintenance deletes the invalidated entry's row (logged only before: a restart served it).
  for (int i = 0; i < 500 && rt->health().layers.at(0).level != health_level::healthy; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20)); // a maintenance every 20 ms
  CHECK(rt->health().layers.at(0).level == health_level::healthy);
  rt.reset();
  rt = testing::start_yaml(deployment(file));
  CHECK(rt->vector_search(text_query("kept before the lock", 1)).hits.at(0).id == kept); // the erase did not reach the file
  CHECK(rt->vector_search(text_query("written once the file is free", 1)).hits.at(0).id == after.id);
  CHECK(rt->vector_search(text_query("tagged before the lock", 1)).hits.at(0).id != tagged);
  CHECK(rt->vector_add(text_item("one more")).id > after.id);
}
