// Capacities as `strata replay --capacity` takes them.
#include <strata/replay/capacity.hpp>

#include <catch2/catch.hpp>

using strata::replay::capacity;
using strata::replay::parse_capacity;

TEST_CASE("a capacity is bytes (binary or decimal units, or none) or entries", "[replay][capacity]") {
  CHECK(parse_capacity("128MiB") == capacity{capacity::unit::bytes, 128ull * 1024 * 1024, ""});
  CHECK(parse_capacity("1GiB") == capacity{capacity::unit::bytes, 1ull << 30, ""});
  CHECK(parse_capacity("10MB") == capacity{capacity::unit::bytes, 10000000, ""});
  CHECK(parse_capacity("4096") == capacity{capacity::unit::bytes, 4096, ""});
  CHECK(parse_capacity("250entries") == capacity{capacity::unit::entries, 250, ""});
  CHECK(parse_capacity("250 entries") == capacity{capacity::unit::entries, 250, ""});
  CHECK(parse_capacity("128MiB")->text == "128MiB");
}

TEST_CASE("zero, fractions of entries and unknown units are refused", "[replay][capacity]") {
  for (const char* text : {"0", "0MiB", "0entries", "-5entries", "+5entries", " 5entries", "+5MiB", " 5MiB", "1.5entries",
                           "1.5B", "1.5", "entries", "12 apples", "MiB", ""})
    CHECK_FALSE(parse_capacity(text).has_value());
}
