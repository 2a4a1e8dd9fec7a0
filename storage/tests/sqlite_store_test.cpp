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

TEST_CASE("opening a SQLite file that cannot be created says which file", "[store][sqlite]") {
  strata::test::scratch_dir dir{"strata-store"};
  const auto blocker = dir.path / "a-file";
  { std::ofstream(blocker) << "x"; }
  CHECK_THROWS_WITH(strata::storage::open_store({strata::storage::dialect::sqlite, "", (blocker / "db.sqlite").string()}),
                    Catch::Contains(blocker.string()));
  CHECK_THROWS_WITH(strata::storage::open_store({strata::storage::dialect::sqlite, "", ""}),
                    Catch::Contains("no database file"));
}
