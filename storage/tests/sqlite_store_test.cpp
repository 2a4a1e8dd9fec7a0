// The SQLite backend against the Store's contract, on a file in a temporary folder.

#include "store_contract.hpp"

#include <filesystem>
#include <fstream>
#include <random>

namespace fs = std::filesystem;

namespace {

/// A fresh folder under the system's temporary folder, removed at the end of the test.
struct temp_dir {
  fs::path path = fs::temp_directory_path() / ("strata-store-" + std::to_string(std::random_device{}()));
  temp_dir() { fs::create_directories(path); }
  ~temp_dir() { fs::remove_all(path); }
};

} // namespace

TEST_CASE("the SQLite store keeps the Store's contract", "[store][sqlite]") {
  temp_dir dir;
  auto db = strata::storage::open_store({strata::storage::dialect::sqlite, "", (dir.path / "db.sqlite").string()});
  strata::test::check_store_contract(*db);
}

TEST_CASE("the SQLite store creates its folder, uses WAL and keeps data across reopening", "[store][sqlite]") {
  temp_dir dir;
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

TEST_CASE("opening a SQLite file that cannot be created says which file", "[store][sqlite]") {
  temp_dir dir;
  const auto blocker = dir.path / "a-file";
  { std::ofstream(blocker) << "x"; }
  CHECK_THROWS_WITH(strata::storage::open_store({strata::storage::dialect::sqlite, "", (blocker / "db.sqlite").string()}),
                    Catch::Contains(blocker.string()));
  CHECK_THROWS_WITH(strata::storage::open_store({strata::storage::dialect::sqlite, "", ""}),
                    Catch::Contains("no database file"));
}
