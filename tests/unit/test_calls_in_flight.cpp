// The plugin calls in flight, as a shutdown that waits for them names them.
#include "calls_in_flight.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

using strata::detail::calls_in_flight;

TEST_CASE("calls in flight: only the calls under way, the longest first, none of a host that is gone", "[unit]") {
  calls_in_flight calls;
  auto global = calls.enter("layer 'global' (instance 3)");
  auto hot = calls.enter("layer 'hot' (instance 1)");
  auto idle = calls.enter("layer 'idle' (instance 1)");
  auto gone = calls.enter("layer 'gone' (instance 2)");
  CHECK(calls.describe().empty());

  global->begin("put()");
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  hot->begin("get()");
  gone->begin("maintain()");
  gone.reset(); // its host ended inside a call
  idle->begin("erase()");
  idle->end();

  const auto lines = calls.describe();
  REQUIRE(lines.size() == 2);
  CHECK_THAT(lines[0], Catch::Matches("layer 'global' \\(instance 3\\): put\\(\\), for [0-9]+\\.[0-9] s"));
  CHECK_THAT(lines[1], Catch::Matches("layer 'hot' \\(instance 1\\): get\\(\\), for [0-9]+\\.[0-9] s"));
  CHECK(lines[0] != "layer 'global' (instance 3): put(), for 0.0 s"); // it has waited 150 ms
}
