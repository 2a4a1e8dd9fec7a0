// What the log says of a persistence file's failing writes (the semantic and the vector layer's).
#include "file_writes.hpp"

#include "support/recording_host.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

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
