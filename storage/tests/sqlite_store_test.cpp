// The SQLite backend against the Store's contract, on a file in a temporary folder.

#include "store_contract.hpp"
#include "support/scratch_dir.hpp"

#include <filesystem>
#include <fstream>

namespace fs = std::filesystem;

TEST_CASE("the SQLite store keeps the Store's contract", "[store][sqlite]") {
  strata::test::scratch_dir dir{"strata-store"};
  auto db = strata::storage::open_store({strata::storage::dialect::sqlite, "", (dir.path / "db.sqlite").string()});
  strata::test::check_store_contract(*db);
}

TEST_CASE("the SQLite store creates its folder, uses WAL and keeps data across reopening", "[store][sqlite]") {
  strata::test::scratch_dir dir{"strata-store"};
  const auto file = (dir.path / "deeper" / "data.sqlite").string();
  {
    auto db = strata::storage::open_store({strata::storage::dialect::sqlite, "", file});
    db->migrate("contract", strata::test::contract_schema());
    db->prepare("ins", "INSERT INTO t_items (id, name) VALUES ($1, $2)");
    db->execute("ins", {std::int64_t{7}, std::string("kept")});
    db->prepare("mode", "PRAGMA journal_mode");
    CHECK(db->query("mode").at(0).text(0) == "wal");
    CHECK(db->listen("anything") == nullptr);
  }
  auto db = strata::storage::open_store({strata::storage::dialect::sqlite, "", file});
  CHECK(db->schema_version("contract") == 2);
  db->prepare("name", "SELECT name FROM t_items WHERE id = $1");
  CHECK(db->query("name", {std::int64_t{7}}).at(0).text(0) == "kept");
}

TEST_CASE("a SQLite file of a newer schema is refused naming the file", "[store][sqlite]") {
  strata::test::scratch_dir dir{"strata-store"};
  const auto file = (dir.path / "newer.sqlite").string();
  strata::storage::open_store({strata::storage::dialect::sqlite, "", file})->migrate("contract", strata::test::contract_schema());
  auto first = strata::test::contract_schema();
  first.pop_back();
  CHECK_THROWS_WITH(strata::storage::open_store({strata::storage::dialect::sqlite, "", file})->migrate("contract", first),
                    "schema of 'contract' in '" + file + "' is version 2, newer than this build knows (1): upgrade "
                    "strata or use another database");
}

TEST_CASE("a SQLite file whose schema version is below 0 is refused, not migrated again", "[store][sqlite]") {
  // Its steps all ran again: "table t_items already exists" (audit).
  strata::test::scratch_dir dir{"strata-store"};
  const auto file = (dir.path / "db.sqlite").string();
  auto db = strata::storage::open_store({strata::storage::dialect::sqlite, "", file});
  db->migrate("contract", strata::test::contract_schema());
  db->prepare("spoil", "UPDATE strata_schema_version SET version = -3 WHERE component = 'contract'");
  REQUIRE(db->execute("spoil") == 1);
  CHECK_THROWS_WITH(db->migrate("contract", strata::test::contract_schema()),
                    "schema of 'contract' in '" + file + "' is version -3, which no build writes: the database was "
                    "changed outside strata");
}

TEST_CASE("a migration step without a statement for the backend is refused, not recorded", "[store][sqlite]") {
  // {1, "CREATE TABLE ..."} fills the description: the step was recorded as version 1, the table
  // never made, and mending the step later changed nothing.
  strata::test::scratch_dir dir{"strata-store"};
  auto db = strata::storage::open_store({strata::storage::dialect::sqlite, "", (dir.path / "db.sqlite").string()});
  strata::storage::migration described_only;
  described_only.version = 1;
  described_only.description = "CREATE TABLE kv (k TEXT)";
  CHECK_THROWS_WITH(db->migrate("mine", {described_only}),
                    "schema of 'mine': step 1 ('CREATE TABLE kv (k TEXT)') has no statement for sqlite "
                    "(migration::sqlite is empty; a step for the other backend only takes 'SELECT 1' here): it "
                    "would be recorded as applied");
  CHECK(db->schema_version("mine") == 0);
  CHECK(db->migrate("mine", {{1, "kv", {"CREATE TABLE kv (k TEXT)"}, {}}}) == 1);
  // A step applied already is left alone, whatever it holds now.
  CHECK(db->migrate("mine", {described_only}) == 1);
}

TEST_CASE("opening a SQLite file that cannot be created says which file", "[store][sqlite]") {
  strata::test::scratch_dir dir{"strata-store"};
  const auto blocker = dir.path / "a-file";
  { std::ofstream(blocker) << "x"; }
  CHECK_THROWS_WITH(strata::storage::open_store({strata::storage::dialect::sqlite, "", (blocker / "db.sqlite").string()}),
                    Catch::Contains(blocker.string()));
  CHECK_THROWS_WITH(strata::storage::open_store({strata::storage::dialect::sqlite, "", ""}),
                    Catch::Contains("no database file"));
  CHECK_THROWS_WITH(strata::storage::open_store({strata::storage::dialect::sqlite, "", dir.path.string()}),
                    "sqlite_path: " + dir.path.string() + " is a directory; name a file in it");
}

TEST_CASE("a SQLite file deleted or replaced while open refuses writes, naming it, and still reads", "[store][sqlite]") {
  // Deleting the data folder under a running server: writes went on into the unlinked file,
  // acknowledged, and were gone at the next start.
  strata::test::scratch_dir dir{"strata-store"};
  const auto folder = dir.path / "data";
  const auto file = (folder / "db.sqlite").string();
  auto db = strata::storage::open_store({strata::storage::dialect::sqlite, "", file});
  db->migrate("contract", strata::test::contract_schema());
  db->prepare("ins", "INSERT INTO t_items (id, name) VALUES ($1, $2)");
  db->prepare("name", "SELECT name FROM t_items WHERE id = $1");
  db->execute("ins", {std::int64_t{1}, std::string("before")});
  fs::remove_all(folder);
  const auto refused = [&](std::int64_t id) {
    try {
      db->execute("ins", {id, std::string("after")});
    } catch (const strata::storage::store_error& e) {
      CHECK(e.code() == strata::status::unavailable);
      CHECK(std::string(e.what()) == "sqlite " + file + ": the file open since the start was deleted or replaced "
                                     "(nothing written to it now would be there at the next start); restart to open "
                                     "the file at that path");
      return true;
    }
    return false;
  };
  CHECK(refused(2));
  CHECK(db->query("name", {std::int64_t{1}}).at(0).text(0) == "before"); // what it holds is still read
  CHECK(db->query("name", {std::int64_t{2}}).empty());                     // the refused write was rolled back
  // Another file at that path (a restore, another process's) is not this one either.
  fs::create_directories(folder);
  strata::storage::open_store({strata::storage::dialect::sqlite, "", file})->migrate("contract", strata::test::contract_schema());
  CHECK(refused(3));
}

TEST_CASE("a SQLite file damaged, or stripped of a table, is unavailable, naming it, not a bad statement",
          "[store][sqlite]") {
  // Taken for a bad statement (invalid), the diary dropped every record it was given, healthy, and
  // the global layer was replaced at each request (audit).
  strata::test::scratch_dir dir{"strata-store"};
  const auto file = (dir.path / "db.sqlite").string();
  const auto unavailable = [&](strata::storage::store& db, const std::string& why) {
    try {
      db.query("name", {std::int64_t{1}});
    } catch (const strata::storage::store_error& e) {
      CHECK(e.code() == strata::status::unavailable);
      CHECK_THAT(e.what(), Catch::StartsWith("sqlite " + file + ": ") && Catch::Contains(why));
      return true;
    }
    return false;
  };
  {
    auto db = strata::storage::open_store({strata::storage::dialect::sqlite, "", file});
    db->migrate("contract", strata::test::contract_schema());
    db->prepare("ins", "INSERT INTO t_items (id, name) VALUES ($1, $2)");
    db->prepare("name", "SELECT name FROM t_items WHERE id = $1");
    for (std::int64_t id = 1; id <= 500; ++id)
      db->execute("ins", {id, std::string(200, 'x')});
    CHECK(db->query("name", {std::int64_t{1}}).size() == 1); // compiled, and cached
    auto other = strata::storage::open_store({strata::storage::dialect::sqlite, "", file});
    other->prepare("drop", "DROP TABLE t_items");
    other->execute("drop");
    CHECK(unavailable(*db, "no such table: t_items (the file lacks part of its schema: changed outside strata?)"));
  }
  {
    auto db = strata::storage::open_store({strata::storage::dialect::sqlite, "", file});
    db->prepare("again", "CREATE TABLE t_items (id INTEGER PRIMARY KEY, name TEXT)");
    db->execute("again");
    db->prepare("ins", "INSERT INTO t_items (id, name) VALUES ($1, $2)");
    for (std::int64_t id = 1; id <= 500; ++id)
      db->execute("ins", {id, std::string(200, 'x')});
  }
  { // every page past the first (the schema) overwritten
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    const auto size = fs::file_size(file);
    REQUIRE(size > 8192);
    f.seekp(4096);
    f << std::string(size - 4096, '\xab');
  }
  auto db = strata::storage::open_store({strata::storage::dialect::sqlite, "", file});
  db->prepare("name", "SELECT name FROM t_items WHERE id = $1");
  CHECK(unavailable(*db, "malformed"));
}

TEST_CASE("a SQLite file with two names (a hard link) is refused, naming it", "[store][sqlite]") {
  // SQLite keeps the journal by name: two processes on one file under two names each wrote their
  // own, and an acknowledged write was lost (audit).
  strata::test::scratch_dir dir{"strata-store"};
  const auto file = (dir.path / "db.sqlite").string();
  strata::storage::open_store({strata::storage::dialect::sqlite, "", file})->migrate("contract", strata::test::contract_schema());
  fs::create_hard_link(file, dir.path / "other-name.sqlite");
  CHECK_THROWS_WITH(strata::storage::open_store({strata::storage::dialect::sqlite, "", file}),
                    "sqlite_path: " + file + " has 2 names (hard links), and SQLite keeps its journal by name: a "
                    "process opening it by another name would corrupt it; give the file one name (copy it rather "
                    "than link it)");
  fs::remove(dir.path / "other-name.sqlite");
  CHECK(strata::storage::open_store({strata::storage::dialect::sqlite, "", file})->schema_version("contract") == 2);
}
