// What the log says of a persistence file's failing writes (the semantic and the vector layer's).
#include "file_writes.hpp"

#include "support/recording_host.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <stdexcept>
#include <vector>

using strata::vector_index::file_writes;

namespace {

void fail(const char* why) { throw std::runtime_error(why); }

} // namespace

TEST_CASE("failing writes are logged when they start, change reason and end, not once each", "[unit]") {
  // A full disk under a steady load wrote one error line per request.
  strata::testing::recording_host recorder(STRATA_PLUGIN_LAYER, "vectors");
  int health_reports = 0;
  file_writes writes(strata::plugin_host(recorder.api()), "vector layer", [&] { ++health_reports; });
  for (int i = 0; i < 5; ++i)
    CHECK_FALSE(writes.run("v.sqlite3", [] { fail("database or disk is full"); }));
  CHECK_FALSE(writes.run("v.sqlite3", [] { fail("disk I/O error"); }));
  CHECK(writes.health_note("v.sqlite3") ==
        "writing to 'v.sqlite3' fails (disk I/O error): changes since are not kept");
  CHECK(writes.run("v.sqlite3", [] {}));
  CHECK(writes.run("v.sqlite3", [] {}));
  CHECK(writes.health_note("v.sqlite3").empty());

  const auto logs = recorder.logs();
  REQUIRE(logs.size() == 3);
  CHECK(logs[0].level == STRATA_LOG_ERROR);
  CHECK(logs[0].message == "vector layer: writing to 'v.sqlite3' failed: database or disk is full (logged again "
                           "when a write succeeds, or fails for another reason)");
  CHECK(logs[1].level == STRATA_LOG_ERROR);
  CHECK(logs[1].message == "vector layer: writing to 'v.sqlite3' failed: disk I/O error (logged again when a "
                           "write succeeds, or fails for another reason)");
  CHECK(logs[2].level == STRATA_LOG_INFO);
  CHECK(logs[2].message == "vector layer: writing to 'v.sqlite3' succeeds again, after 6 failed writes");
  CHECK(health_reports == 3); // the health changes with the log: failing, another reason, working
}

TEST_CASE("row deletes that failed are retried until the file takes them, less often while it refuses", "[unit]") {
  // Logged only, they left the rows in the file: a restart served the removed entries again.
  strata::testing::recording_host recorder(STRATA_PLUGIN_LAYER, "vectors");
  file_writes writes(strata::plugin_host(recorder.api()), "vector layer", [] {});
  bool refusing = true;
  std::vector<std::uint64_t> deleted;
  auto remove = [&](std::uint64_t id) {
    if (refusing)
      fail("database is locked");
    deleted.push_back(id);
  };
  writes.begin_erase(7);
  for (std::uint64_t id : {9, 7, 3})
    writes.run_removal(id, "v.sqlite3", [&] { remove(id); });
  CHECK(writes.row_stayed()); // 7's own delete: undone by the layer, not retried
  writes.begin();
  writes.run_removal(5, "v.sqlite3", [&] { remove(5); });
  writes.row_kept(5); // put back as the file holds it
  CHECK(writes.unremoved() == 2);
  CHECK(writes.health_note("v.sqlite3") ==
        "writing to 'v.sqlite3' fails (database is locked): changes since are not kept; it still holds 2 removed "
        "entries, deleted at a maintenance once it takes the deletes (a restart before then serves them again)");

  // While it refuses, a retry skips 1, 2, 4, ... maintenances after each failed one.
  int attempts = 0;
  auto counting = [&](std::uint64_t id) {
    ++attempts;
    remove(id);
  };
  for (int maintenance = 0; maintenance < 12; ++maintenance)
    writes.retry_removals("v.sqlite3", counting);
  CHECK(attempts == 4); // at maintenances 0, 2, 5 and 10; each stops at the first failure

  // A write the file takes again: the next maintenance retries, oldest id first.
  refusing = false;
  CHECK(writes.run("v.sqlite3", [] {}));
  CHECK(writes.health_note("v.sqlite3") == "'v.sqlite3' still holds 2 removed entries, deleted at a maintenance once "
                                           "it takes the deletes (a restart before then serves them again)");
  writes.retry_removals("v.sqlite3", counting);
  CHECK(deleted == std::vector<std::uint64_t>{3, 9});
  CHECK(writes.unremoved() == 0);
  CHECK(writes.health_note("v.sqlite3").empty());
  writes.retry_removals("v.sqlite3", counting);
  CHECK(attempts == 6);
}
