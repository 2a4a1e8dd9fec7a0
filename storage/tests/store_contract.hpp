#pragma once
// What every backend of the Store must do, written once and run against SQLite (unit) and
// PostgreSQL (postgres).

#include <strata/store.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace strata::test {

inline std::vector<storage::migration> contract_schema() {
  return {
    {1, "items",
     {"CREATE TABLE t_items (id BIGINT PRIMARY KEY, name TEXT NOT NULL, score DOUBLE PRECISION, data BLOB)"},
     {"CREATE TABLE t_items (id BIGINT PRIMARY KEY, name TEXT NOT NULL, score DOUBLE PRECISION, data BYTEA)"}},
    {2, "index on name", {"CREATE INDEX t_items_name ON t_items (name)"}, {"CREATE INDEX t_items_name ON t_items (name)"}},
  };
}

inline void check_store_contract(storage::store& db) {
  using storage::blob;
  using storage::store_error;

  SECTION("a new database migrates to the last version and records it; a second run changes nothing") {
    CHECK(db.schema_version("contract") == 0);
    CHECK(db.migrate("contract", contract_schema()) == 2);
    CHECK(db.schema_version("contract") == 2);
    CHECK(db.migrate("contract", contract_schema()) == 2);
  }

  SECTION("only the missing steps run, and a database newer than the code is refused by name") {
    auto first = contract_schema();
    first.pop_back();
    CHECK(db.migrate("contract", first) == 1);
    CHECK(db.migrate("contract", contract_schema()) == 2);
    try {
      db.migrate("contract", first);
      FAIL("an older build migrated a newer database");
    } catch (const store_error& e) {
      CHECK(e.code() == strata::status::invalid);
      CHECK_THAT(e.what(), Catch::Contains("'contract'") && Catch::Contains("version 2") && Catch::Contains("knows (1)"));
    }
    auto gap = contract_schema();
    gap[1].version = 3;
    CHECK_THROWS_WITH(db.migrate("other", gap), Catch::Contains("without gaps"));
  }

  SECTION("typed values go in and come back, NULLs and bytes included") {
    db.migrate("contract", contract_schema());
    db.prepare("ins", "INSERT INTO t_items (id, name, score, data) VALUES ($1, $2, $3, $4)");
    db.prepare("get", "SELECT id, name, score, data FROM t_items WHERE id = $1");
    const std::string bytes("\0\1\xff\x10zz'\\x", 9);
    CHECK(db.execute("ins", {std::int64_t{1}, std::string("o'neil; DROP TABLE t_items"), 2.5, blob{bytes}}) == 1);
    CHECK(db.execute("ins", {std::int64_t{2}, std::string("two"), storage::value{}, storage::value{}}) == 1);
    auto rows = db.query("get", {std::int64_t{1}});
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].integer(0) == 1);
    CHECK(rows[0].text(1) == "o'neil; DROP TABLE t_items");
    CHECK(rows[0].real(2) == 2.5);
    CHECK(std::holds_alternative<blob>(rows[0].at(3)));
    CHECK(rows[0].text(3) == bytes);
    rows = db.query("get", {std::int64_t{2}});
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].is_null(2));
    CHECK(rows[0].is_null(3));
    CHECK_THROWS_AS(rows[0].text(3), store_error);
    CHECK_THROWS_AS(rows[0].at(4), store_error);
    CHECK(db.query("get", {std::int64_t{3}}).empty());
  }

  SECTION("text the backend cannot hold is said so before it is sent, never cut short") {
    db.migrate("contract", contract_schema());
    db.prepare("ins", "INSERT INTO t_items (id, name, score, data) VALUES ($1, $2, $3, $4)");
    db.prepare("by_name", "SELECT id FROM t_items WHERE name = $1");
    const std::string nul("acct\0victim", 11), not_utf8("\xff-bin");
    const bool postgres = db.dialect() == storage::dialect::postgres;
    CHECK(db.holds_text("plain, and caf\xC3\xA9"));
    CHECK(db.holds_text(nul) == !postgres);
    CHECK(db.holds_text(not_utf8) == !postgres);
    if (postgres) {
      try {
        db.execute("ins", {std::int64_t{1}, nul, storage::value{}, storage::value{}});
        FAIL("a text with a NUL byte was sent");
      } catch (const store_error& e) {
        CHECK(e.code() == status::invalid);
        CHECK_THAT(e.what(), Catch::Contains("parameter $2 holds a NUL byte"));
      }
      CHECK(db.query("by_name", {std::string("acct")}).empty());
    } else {
      CHECK(db.execute("ins", {std::int64_t{1}, nul, storage::value{}, storage::value{}}) == 1);
      CHECK(db.query("by_name", {nul}).size() == 1);
      CHECK(db.query("by_name", {std::string("acct")}).empty());
    }
    CHECK(storage::storable_text(nul) == "acct\xEF\xBF\xBDvictim");
    CHECK(storage::storable_text(not_utf8) == "\xEF\xBF\xBD-bin");
    CHECK(storage::storable_text("caf\xC3\xA9") == "caf\xC3\xA9");
    CHECK(storage::storable_text("ab\xE2\x82") == "ab\xEF\xBF\xBD\xEF\xBF\xBD"); // cut short: each byte
    CHECK(storage::storable_text("\xE0\x80\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); // overlong
  }

  SECTION("a transaction that throws leaves nothing behind; a constraint violation is invalid") {
    db.migrate("contract", contract_schema());
    db.prepare("ins", "INSERT INTO t_items (id, name, score, data) VALUES ($1, $2, $3, $4)");
    db.prepare("count", "SELECT COUNT(*) FROM t_items");
    CHECK_THROWS_AS(db.transact([&](storage::session& s) {
      s.execute("ins", {std::int64_t{1}, std::string("a"), 1.0, storage::value{}});
      throw std::runtime_error("abandoned");
    }), std::runtime_error);
    CHECK(db.query("count").at(0).integer(0) == 0);
    db.execute("ins", {std::int64_t{1}, std::string("a"), 1.0, storage::value{}});
    try {
      db.execute("ins", {std::int64_t{1}, std::string("again"), 1.0, storage::value{}});
      FAIL("a duplicate key was written");
    } catch (const store_error& e) {
      CHECK(e.code() == strata::status::invalid);
    }
    CHECK(db.query("count").at(0).integer(0) == 1);
  }

  SECTION("a batch is one transaction") {
    db.migrate("contract", contract_schema());
    db.prepare("ins", "INSERT INTO t_items (id, name, score, data) VALUES ($1, $2, $3, $4)");
    db.prepare("count", "SELECT COUNT(*) FROM t_items");
    std::vector<storage::params> batch;
    for (std::int64_t i = 0; i < 500; ++i)
      batch.push_back({i, "n" + std::to_string(i), static_cast<double>(i), storage::value{}});
    db.execute_batch("ins", batch);
    CHECK(db.query("count").at(0).integer(0) == 500);
    batch.push_back({std::int64_t{0}, std::string("duplicate"), 0.0, storage::value{}});
    CHECK_THROWS_AS(db.execute_batch("ins", {{std::int64_t{900}, std::string("x"), 0.0, storage::value{}}, batch.back()}),
                    store_error);
    CHECK(db.query("count").at(0).integer(0) == 500);
  }

  SECTION("statements are named once; unknown names and wrong arity are errors, not crashes") {
    db.migrate("contract", contract_schema());
    db.prepare("count", "SELECT COUNT(*) FROM t_items");
    db.prepare("count", "SELECT COUNT(*) FROM t_items");
    CHECK_THROWS_WITH(db.prepare("count", "SELECT 1"), Catch::Contains("already registered"));
    CHECK_THROWS_WITH(db.query("nothing"), Catch::Contains("no statement named 'nothing'"));
    db.prepare("by_id", "SELECT name FROM t_items WHERE id = $1");
    CHECK_THROWS_AS(db.query("by_id", {}), store_error);
  }
}

} // namespace strata::test
