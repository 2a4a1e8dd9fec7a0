// The layer's statements on a SQLite file of its schema, without a runtime.

#include "global_schema.hpp"
#include "support/scratch_dir.hpp"

#include <strata/store.hpp>

#include <catch2/catch.hpp>

#include <string>

TEST_CASE("one purge statement deletes maintenance_batch expired rows at most, on SQLite too", "[global][unit]") {
  // One statement for every expired row held the layer's thread while it ran: 8.6 s for a million
  // here, every request to the layer waiting past its deadline. Maintenance runs batch after
  // batch for its budget, the rest at the next one.
  namespace global = strata::global;
  strata::test::scratch_dir dir{"strata-global-schema"};
  auto db = strata::storage::open_store({strata::storage::dialect::sqlite, "", (dir.path / "g.sqlite3").string()});
  db->migrate(global::schema_component, global::schema());
  global::prepare_statements(*db);
  const auto expired = 2 * global::maintenance_batch + 500;
  db->prepare("bulk", "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1) "
                      "INSERT INTO strata_global_entries (ns, key, value, confidence, writer, state, expires_at_us, "
                      "updated_at_us, tags) SELECT 'bulk', i, x'', 1, 'x', 0, 1, 0, '[]' FROM n");
  REQUIRE(db->execute("bulk", {std::int64_t{expired}}) == static_cast<std::uint64_t>(expired));
  db->prepare("alive", "INSERT INTO strata_global_entries (ns, key, value, confidence, writer, state, expires_at_us, "
                       "updated_at_us, tags) VALUES ('bulk', 'alive', x'', 1, 'x', 0, 100, 0, '[]'), "
                       "('bulk', 'forever', x'', 1, 'x', 0, 0, 0, '[]')");
  REQUIRE(db->execute("alive") == 2);
  const strata::storage::params now{std::int64_t{50}};
  CHECK(db->execute(global::sql::purge, now) == static_cast<std::uint64_t>(global::maintenance_batch));
  CHECK(db->execute(global::sql::purge, now) == static_cast<std::uint64_t>(global::maintenance_batch));
  CHECK(db->execute(global::sql::purge, now) == 500);
  CHECK(db->execute(global::sql::purge, now) == 0);
  CHECK(db->query(global::sql::count).at(0).integer(0) == 2); // the one expiring later, and the one never
}
