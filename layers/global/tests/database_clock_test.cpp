// The database's clock read off this host's, with a stand-in for the database.

#include "database_clock.hpp"
#include "sync_message.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <stdexcept>
#include <thread>

using strata::global::database_clock;
using strata::global::wall_clock_us;

TEST_CASE("the database clock is this host's until measured, then the database's", "[global][unit]") {
  database_clock clock;
  CHECK(clock.offset_us() == 0);
  constexpr std::int64_t ahead_us = 30'000'000; // a database 30 s ahead of this host
  clock.measure([] { return wall_clock_us() + ahead_us; });
  // The midpoint of two reads of this host's clock a few microseconds apart.
  CHECK(clock.offset_us() >= ahead_us - 50'000);
  CHECK(clock.offset_us() <= ahead_us + 50'000);
  const auto by_database = wall_clock_us() + ahead_us;
  CHECK(std::abs(clock.now_us() - by_database) < 50'000);
  clock.measure([] { return wall_clock_us() - ahead_us; }); // a clock stepped since: followed
  CHECK(clock.offset_us() <= -ahead_us + 50'000);
}

TEST_CASE("a reading of the database clock that failed or took too long leaves the offset", "[global][unit]") {
  database_clock clock;
  clock.measure([] { return wall_clock_us() + 10'000'000; });
  const auto offset = clock.offset_us();
  CHECK_THROWS_AS(clock.measure([]() -> std::int64_t { throw std::runtime_error("the database is away"); }),
                  std::runtime_error);
  CHECK(clock.offset_us() == offset);
  clock.measure([] {
    std::this_thread::sleep_for(database_clock::max_round_trip + std::chrono::milliseconds(50));
    return wall_clock_us() - 10'000'000;
  });
  CHECK(clock.offset_us() == offset);
}
