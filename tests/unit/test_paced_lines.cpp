// paced_lines: a failure repeated at every request or publish is logged once a second at most,
// and every failure is told, in a line of its own or counted in a later one.

#include "log.hpp"

#include <catch2/catch.hpp>

#include <regex>
#include <string>
#include <thread>

using strata::detail::paced_lines;

namespace {

/// The count a line carries of those held back before it, 0 if none.
std::size_t held_in(const std::string& line) {
  std::smatch m;
  return std::regex_search(line, m, std::regex("([0-9]+) more since the last line")) ? std::stoul(m[1]) : 0;
}

} // namespace

TEST_CASE("paced_lines writes the first failure, holds those within a second, and counts them in the next line",
          "[logging]") {
  paced_lines lines;
  std::string first = "boom";
  CHECK(lines.let_through(first));
  CHECK(first == "boom");
  for (int i = 0; i < 3; ++i) {
    std::string again = "boom";
    CHECK_FALSE(lines.let_through(again));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1050));
  std::string later = "boom";
  CHECK(lines.let_through(later));
  CHECK(later == "boom; 3 more since the last line");
}

TEST_CASE("paced_lines tells the end of a run of failures once, with those held back since the last line",
          "[logging]") {
  // Those held back after the last line were never told when no failure came after them.
  paced_lines lines;
  CHECK_FALSE(lines.run_ended().has_value()); // no failure yet
  std::string error = "boom";
  REQUIRE(lines.let_through(error));
  error = "boom";
  REQUIRE_FALSE(lines.let_through(error));
  CHECK_FALSE(lines.run_ended().has_value()); // within the second of the last line
  std::this_thread::sleep_for(std::chrono::milliseconds(1050));
  const auto ended = lines.run_ended();
  REQUIRE(ended.has_value());
  CHECK(*ended == 1);
  CHECK_FALSE(lines.run_ended().has_value()); // once per run
}

TEST_CASE("paced_lines writes a line a second at most, and tells every failure, when failures and successes "
          "alternate", "[logging]") {
  // A StatsD server nobody listens on fails every other publish: a line per failure and per
  // success would be a line per publish.
  paced_lines lines;
  std::size_t failures = 0, written = 0, told = 0;
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2200)) {
    std::string error = "boom";
    ++failures;
    if (lines.let_through(error)) {
      ++written;
      told += 1 + held_in(error);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (const auto held = lines.run_ended()) {
      ++written;
      told += *held;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(written >= 2);
  CHECK(written <= 4); // at 0 s, and one for each second begun since
  std::this_thread::sleep_for(std::chrono::milliseconds(1050));
  if (const auto held = lines.run_ended())
    told += *held;
  CHECK(told == failures);
}
