// paced_lines: a failure repeated at every request or publish is logged once a second at most,
// and every failure is told, in a line of its own or counted in a later one.

#include <strata/paced_lines.hpp>

#include <catch2/catch.hpp>

using strata::paced_lines;
using namespace std::chrono_literals;

TEST_CASE("paced_lines writes the first failure, holds those within a second, and counts them in the next line",
          "[logging]") {
  paced_lines lines;
  const paced_lines::clock::time_point t0{};
  CHECK(lines.failure(t0) == std::optional<std::size_t>(0));
  CHECK_FALSE(lines.failure(t0 + 100ms));
  CHECK_FALSE(lines.failure(t0 + 500ms));
  CHECK_FALSE(lines.failure(t0 + 999ms));
  CHECK(lines.failure(t0 + 1000ms) == std::optional<std::size_t>(3));
  CHECK(lines.failure(t0 + 2500ms) == std::optional<std::size_t>(0));
}

TEST_CASE("paced_lines tells the end of a run of failures once, with those held back since the last line",
          "[logging]") {
  // Those held back after the last line were never told when no failure came after them.
  paced_lines lines;
  const paced_lines::clock::time_point t0{};
  CHECK_FALSE(lines.success(t0)); // no failure yet
  REQUIRE(lines.failure(t0));
  REQUIRE_FALSE(lines.failure(t0 + 10ms));
  CHECK_FALSE(lines.success(t0 + 20ms)); // within the second of the last line
  CHECK(lines.untold() == 1);
  CHECK(lines.success(t0 + 1020ms) == std::optional<std::size_t>(1));
  CHECK(lines.untold() == 0);
  CHECK_FALSE(lines.success(t0 + 3000ms)); // once per run
  CHECK(lines.failure(t0 + 3010ms) == std::optional<std::size_t>(0)); // a new run: at once
}

TEST_CASE("paced_lines writes a line a second at most, and tells every failure, when failures and successes "
          "alternate", "[logging]") {
  // A StatsD server nobody listens on fails every other publish: a line per failure and per
  // success would be a line per publish.
  paced_lines lines;
  const paced_lines::clock::time_point t0{};
  std::size_t failures = 0, written = 0, told = 0;
  for (auto t = 0ms; t < 10'000ms; t += 40ms) {
    ++failures;
    if (const auto held = lines.failure(t0 + t)) {
      ++written;
      told += 1 + *held;
    }
    if (const auto held = lines.success(t0 + t + 20ms)) {
      ++written;
      told += *held;
    }
  }
  CHECK(written == 10); // one for each second begun
  if (const auto held = lines.success(t0 + 20'000ms))
    told += *held;
  CHECK(told == failures);
}
