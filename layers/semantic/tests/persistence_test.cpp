// The semantic layer's entries written through to a SQLite file and reloaded by the next runtime,
// with the real plugins loaded by dlopen (semantic, lexical_hash).

#include "runtime_fixture.hpp"
#include "support/scratch_dir.hpp"
#include "support/sqlite_locked.hpp"
#include "support/sqlite_schema_version.hpp"
#include "support/sqlite_spoilt_copy.hpp"

#include <strata/runtime.hpp>
#include <strata/store.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

using namespace strata;
namespace fs = std::filesystem;

namespace {

/// `more`: further keys of the layer's config, each on a line of its own, indented as they are.
std::string deployment(const fs::path& file, const std::string& more = "") {
  return "plugins:\n  path: [\"" STRATA_PLUGIN_DIR "\"]\n"
         "embedders:\n  - name: lexical\n    plugin: lexical_hash\n"
         "layers:\n"
         "  - name: meaning\n    plugin: semantic\n    write: around\n    promote: false\n    deadline: 5s\n"
         "    embedder: lexical\n"
         "    config:\n      index: flat\n      threshold: 0.7\n      expiry_interval: 20ms\n"
         "      sqlite_path: \"" +
         file.string() + "\"\n" + more;
}

semantic_entry entry(std::string query, std::string answer, std::vector<std::string> tags = {}) {
  semantic_entry e;
  e.query = std::move(query);
  e.answer = std::move(answer);
  e.tags = std::move(tags);
  return e;
}

/// An answer stored under a vector the host computed, of `model`.
semantic_entry raw_entry(std::string model, std::vector<float> values, std::string answer) {
  semantic_entry e;
  e.vector.model = std::move(model);
  e.vector.values = std::move(values);
  e.answer = std::move(answer);
  return e;
}

semantic_lookup_request ask(std::string text) {
  semantic_lookup_request r;
  r.text = std::move(text);
  return r;
}

} // namespace

TEST_CASE("semantic entries survive a restart with their ids, and erased, invalidated or expired ones do not",
          "[semantic][persistence][integration]") {
  strata::test::scratch_dir dir{"strata-semantic-persist"};
  const auto file = dir.path / "sub" / "semantic.sqlite3";
  std::uint64_t password = 0, trains = 0, largest = 0;
  {
    auto rt = testing::start_yaml(deployment(file));
    password = rt->semantic_store(entry("How do I reset my password?", "Use the forgot-password link.")).id;
    trains = rt->semantic_store(entry("Which trains go to the airport?", "The S8 and the airport express.")).id;
    const auto refund = rt->semantic_store(entry("What is the refund policy?", "30 days.", {"billing"})).id;
    const auto pasta = rt->semantic_store(entry("Best pasta recipe for a weeknight?", "Aglio e olio.")).id;
    REQUIRE(refund != 0);
    semantic_update changed;
    changed.id = trains;
    changed.answer = "The S8 every 20 minutes.";
    changed.tags = std::vector<std::string>{"transport"};
    REQUIRE(rt->semantic_update(changed).code == status::ok);
    REQUIRE(rt->semantic_erase(pasta).code == status::ok);
    rt->invalidate_tag("billing");
    auto brief = entry("What is the weather today?", "Sunny.");
    brief.ttl = std::chrono::seconds(1); // a loaded machine may take a few hundred ms between two calls
    largest = rt->semantic_store(brief).id;
    REQUIRE(rt->semantic_lookup(ask("what is the weather today")).code == status::ok);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100)); // it expires (and is purged)
  }
  REQUIRE(fs::exists(file));

  auto rt = testing::start_yaml(deployment(file));
  const auto p = rt->semantic_lookup(ask("how can I reset my password"));
  REQUIRE(p.code == status::ok);
  CHECK(p.match.id == password);
  CHECK(p.match.answer == "Use the forgot-password link.");
  const auto t = rt->semantic_lookup(ask("which trains go to the airport"));
  REQUIRE(t.code == status::ok);
  CHECK(t.match.id == trains);
  CHECK(t.match.answer == "The S8 every 20 minutes.");
  CHECK(t.match.tags == std::vector<std::string>{"transport"});
  CHECK(rt->semantic_lookup(ask("what is the refund policy")).code == status::not_found);
  CHECK(rt->semantic_lookup(ask("best pasta recipe for a weeknight")).code == status::not_found);
  CHECK(rt->semantic_lookup(ask("what is the weather today")).code == status::not_found);
  CHECK(rt->get("How do I reset my password?").code == status::ok); // the exact-query index too

  // New ids continue after the largest ever given; reloaded entries stay erasable.
  const auto next = rt->semantic_store(entry("Opening hours of the museum?", "9 to 5."));
  REQUIRE(next.code == status::ok);
  CHECK(next.id > largest);
  REQUIRE(rt->semantic_erase(password).code == status::ok);
  rt.reset();
  rt = testing::start_yaml(deployment(file));
  CHECK(rt->semantic_lookup(ask("how can I reset my password")).code == status::not_found);
  CHECK(rt->semantic_lookup(ask("opening hours of the museum")).match.id == next.id);
  CHECK(rt->semantic_lookup(ask("which trains go to the airport")).match.id == trains);
}

TEST_CASE("a semantic file that is not a database stops the start with an error naming it",
          "[semantic][persistence][integration]") {
  strata::test::scratch_dir dir{"strata-semantic-persist"};
  const auto file = dir.path / "garbage.sqlite3";
  std::ofstream(file) << std::string(4096, 'x');
  const auto error = testing::start_error(deployment(file));
  CHECK(error.find(file.string()) != std::string::npos);
}

TEST_CASE("a semantic file of a newer schema stops the start with an error naming it",
          "[semantic][persistence][integration]") {
  strata::test::scratch_dir dir{"strata-semantic-persist"};
  const auto file = dir.path / "newer.sqlite3";
  testing::start_yaml(deployment(file)).reset(); // creates the file at schema version 1
  strata::test::set_sqlite_schema_version(file, "semantic_layer", 2);
  const auto error = testing::start_error(deployment(file));
  CHECK(error.find(file.string()) != std::string::npos);
  CHECK(error.find("newer") != std::string::npos);
}

TEST_CASE("a store that cannot be written evicts nothing from a full layer", "[semantic][persistence][integration]") {
  // Each one evicted the least recently used entry before it was taken back: while the file
  // could not be written, every store emptied the layer by one more entry.
  strata::test::scratch_dir dir{"strata-semantic-persist"};
  const auto file = dir.path / "full.sqlite3";
  auto rt = testing::start_yaml(deployment(file, "      max_entries: 2\n"));
  REQUIRE(rt->semantic_store(entry("Which trains go to the airport?", "The S8.")).code == status::ok);
  REQUIRE(rt->semantic_store(entry("What is the refund policy?", "30 days.")).code == status::ok);
  CHECK_THROWS_WITH(strata::test::with_file_locked(file, [&] {
                      CHECK(rt->semantic_store(entry("Best pasta recipe for a weeknight?", "Aglio e olio.")).code ==
                            status::unavailable);
                    }),
                    "rolled back");
  CHECK(rt->semantic_lookup(ask("Which trains go to the airport?")).code == status::ok);
  CHECK(rt->semantic_lookup(ask("What is the refund policy?")).code == status::ok);
  // Once the file takes it, the store evicts as ever.
  REQUIRE(rt->semantic_store(entry("Best pasta recipe for a weeknight?", "Aglio e olio.")).code == status::ok);
  CHECK(rt->semantic_lookup(ask("Which trains go to the airport?")).code == status::not_found);
}

TEST_CASE("an erase or an update the file does not take is undone: a retry finds the entry, a restart agrees",
          "[semantic][persistence][integration]") {
  // It was erased (or updated) in memory only: a retry answered not found, and a restart served the
  // erased entry, or the version before, again (audit).
  strata::test::scratch_dir dir{"strata-semantic-persist"};
  const auto file = dir.path / "semantic.sqlite3";
  const std::string question = "Which trains go to the airport?";
  std::uint64_t id = 0;
  {
    auto rt = testing::start_yaml(deployment(file));
    id = rt->semantic_store(entry(question, "The S8.")).id;
    REQUIRE(id != 0);
    semantic_update update;
    update.id = id;
    update.answer = "The S1.";
    CHECK_THROWS_WITH(strata::test::with_file_locked(file, [&] {
                        const auto erased = rt->semantic_erase(id);
                        CHECK(erased.code == status::unavailable);
                        CHECK_THAT(erased.error, Catch::Contains("nothing was erased"));
                        const auto updated = rt->semantic_update(update);
                        CHECK(updated.code == status::unavailable);
                        CHECK_THAT(updated.error, Catch::Contains("nothing was updated"));
                      }),
                      "rolled back");
    const auto kept = rt->semantic_lookup(ask(question));
    REQUIRE(kept.code == status::ok);
    CHECK(kept.match.answer == "The S8.");
    CHECK(kept.match.id == id);
    CHECK(rt->semantic_erase(id).code == status::ok); // the retry, once the file takes it
  }
  auto rt = testing::start_yaml(deployment(file));
  CHECK(rt->semantic_lookup(ask(question)).code == status::not_found);
}

TEST_CASE("an erase by text or a tag invalidation the file does not take is deleted from it at a maintenance",
          "[semantic][persistence][integration]") {
  // Done in memory, its row delete was logged only: a restart served the removed answers again.
  strata::test::scratch_dir dir{"strata-semantic-persist"};
  const auto file = dir.path / "semantic.sqlite3";
  {
    auto rt = testing::start_yaml(deployment(file));
    REQUIRE(rt->semantic_store(entry("Which trains go to the airport?", "The S8.")).code == status::ok);
    REQUIRE(rt->semantic_store(entry("What is the refund policy?", "30 days.", {"billing"})).code == status::ok);
    REQUIRE(rt->semantic_store(entry("How do I reset my password?", "Use the link.")).code == status::ok);
    CHECK_THROWS_WITH(strata::test::with_file_locked(file, [&] {
                        const auto erased = rt->erase("Which trains go to the airport?");
                        CHECK(erased == status::unavailable);
                        const auto invalidated = rt->invalidate_tag("billing");
                        CHECK(invalidated.code == status::unavailable);
                        CHECK_THAT(invalidated.error, Catch::Contains("their rows stay in the file until a "
                                                                      "maintenance deletes them"));
                      }),
                      "rolled back");
    CHECK(rt->semantic_lookup(ask("Which trains go to the airport?")).code == status::not_found);
    for (int i = 0; i < 500 && rt->health().layers.at(0).level != health_level::healthy; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(20)); // a maintenance every 20 ms
    CHECK(rt->health().layers.at(0).level == health_level::healthy);
  }
  auto rt = testing::start_yaml(deployment(file));
  CHECK(rt->semantic_lookup(ask("Which trains go to the airport?")).code == status::not_found);
  CHECK(rt->semantic_lookup(ask("What is the refund policy?")).code == status::not_found);
  CHECK(rt->semantic_lookup(ask("How do I reset my password?")).code == status::ok);
}

TEST_CASE("a semantic entry edited outside the layer stops the start naming the file, the entry and the fault",
          "[semantic][persistence][integration]") {
  // With id -5 (2^64 - 5 once read) the ids given next wrapped past 2^53; an empty tag (one no
  // invalidation can name) was served, where the vector layer refused it; "column 8 is not an
  // integer" named no entry nor column (audit).
  strata::test::scratch_dir dir{"strata-semantic-persist"};
  const auto file = dir.path / "spoilt.sqlite3";
  {
    auto rt = testing::start_yaml(deployment(file));
    REQUIRE(rt->semantic_store(entry("Which trains go to the airport?", "The S8.", {"t3"})).id == 1);
  }
  const std::pair<const char*, const char*> spoils[] = {
    {"UPDATE strata_semantic_entries SET id = -5", "entry -5: the id is not between 1 and 2^53 - 1"},
    {"UPDATE strata_semantic_entries SET tags = '[\"t3\",\"\"]'", "entry 1: an empty tag"},
    {"UPDATE strata_semantic_entries SET expires_at_ms = 'later'", "entry 1: column 8 (expires_at_ms) is not an integer"},
  };
  const auto copy = dir.path / "copy.sqlite3";
  for (const auto& [spoil, said] : spoils) {
    INFO(spoil);
    strata::test::spoilt_copy(file, copy, spoil);
    CHECK_THAT(testing::start_error(deployment(copy)), Catch::Contains(copy.string()) && Catch::Contains(said));
  }
}

TEST_CASE("a store that cannot be written to the file answers unavailable and keeps nothing",
          "[semantic][persistence][integration]") {
  // It answered ok from memory: a restart lost it, and gave its id to the next store.
  strata::test::scratch_dir dir{"strata-semantic-persist"};
  const auto file = dir.path / "semantic.sqlite3";
  auto rt = testing::start_yaml(deployment(file));
  const auto kept = rt->semantic_store(entry("Which trains go to the airport?", "The S8.")).id;
  REQUIRE(kept != 0);
  CHECK_THROWS_WITH(strata::test::with_file_locked(file, [&] {
                      const auto refused = rt->semantic_store(entry("What is the refund policy?", "30 days."));
                      CHECK(refused.code == status::unavailable);
                      CHECK_THAT(refused.error, Catch::Contains("writing to '" + file.string() + "' failed") &&
                                                  Catch::Contains("nothing was stored"));
                      CHECK(rt->semantic_lookup(ask("What is the refund policy?")).code == status::not_found);
                      // The first vector of a model fixes its dimension, unless its store is taken back.
                      CHECK(rt->semantic_store(raw_entry("fresh", {1, 2, 3}, "three")).code == status::unavailable);
                      const auto health = rt->health().layers.at(0);
                      CHECK(health.level == health_level::warning);
                      CHECK_THAT(health.detail, Catch::Contains("changes since are not kept"));
                    }),
                    "rolled back");
  const auto after = rt->semantic_store(entry("What is the refund policy?", "30 days."));
  REQUIRE(after.code == status::ok);
  const auto fresh = rt->semantic_store(raw_entry("fresh", {1, 2, 3, 4}, "four"));
  CHECK(fresh.code == status::ok);
  CHECK(fresh.error == "");
  CHECK(rt->health().layers.at(0).level == health_level::healthy);
  rt.reset();
  rt = testing::start_yaml(deployment(file));
  CHECK(rt->semantic_lookup(ask("Which trains go to the airport?")).match.id == kept);
  CHECK(rt->semantic_lookup(ask("What is the refund policy?")).match.id == after.id);
  CHECK(rt->semantic_store(entry("Best pasta recipe for a weeknight?", "Aglio e olio.")).id > after.id);
}
