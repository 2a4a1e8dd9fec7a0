#include <strata/health.hpp>

#include "shared_state.hpp"

#include <catch2/catch.hpp>

#include <chrono>

TEST_CASE("a layer's health detail counts one entry and one byte in the singular", "[unit][health]") {
  CHECK(strata::holding_detail(0, 0) == "0 entries, 0 bytes");
  CHECK(strata::holding_detail(1, 1) == "1 entry, 1 byte");
  CHECK(strata::holding_detail(1, 40) == "1 entry, 40 bytes");
  CHECK(strata::holding_detail(3, 120) == "3 entries, 120 bytes");
}

TEST_CASE("a layer that timed one request out says so without a span of 0 s", "[unit][health]") {
  using clock = std::chrono::steady_clock;
  strata::detail::layer_health_state state;
  const auto now = clock::now();
  state.late("no answer within the deadline of 50ms", now);
  CHECK(state.view(now).detail ==
        "1 request timed out (slow, or working through a backlog; the instance kept): no answer within the deadline "
        "of 50ms");
  // Within the same second: not "in 0 s" (audit).
  state.late("no answer within the deadline of 50ms", now + std::chrono::milliseconds(200));
  CHECK(state.view(now + std::chrono::milliseconds(200)).detail ==
        "2 requests timed out in under 1 s (slow, or working through a backlog; the instance kept), the last: no "
        "answer within the deadline of 50ms");
  state.late("no answer within the deadline of 50ms", now + std::chrono::seconds(3));
  CHECK(state.view(now + std::chrono::seconds(3)).detail ==
        "3 requests timed out in 3 s (slow, or working through a backlog; the instance kept), the last: no answer "
        "within the deadline of 50ms");
}
