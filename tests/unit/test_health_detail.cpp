#include <strata/health.hpp>

#include <catch2/catch.hpp>

TEST_CASE("a layer's health detail counts one entry and one byte in the singular", "[unit][health]") {
  CHECK(strata::holding_detail(0, 0) == "0 entries, 0 bytes");
  CHECK(strata::holding_detail(1, 1) == "1 entry, 1 byte");
  CHECK(strata::holding_detail(1, 40) == "1 entry, 40 bytes");
  CHECK(strata::holding_detail(3, 120) == "3 entries, 120 bytes");
}
