// How the telemetry actor tells layer 0's read-view hits from the gets the coordinator asked of it
// (framework/src/telemetry_actor.hpp): what it adds to the runtime's figures never goes down, since
// the windows subtract one sample from a later one in unsigned integers; and what its board holds
// before the actor first publishes.
#include "telemetry_actor.hpp"

#include <catch2/catch.hpp>

using strata::detail::estimate_view;
using strata::telemetry::totals;

namespace {

constexpr std::size_t get = 0, hit = 0;

totals gets(std::uint64_t hits, std::uint64_t timed) {
  totals t;
  t.requests[get][hit] = hits;
  t.get_durations.counts = {timed, 0};
  t.get_durations.count = timed;
  t.get_durations.sum = 0.001 * static_cast<double>(timed);
  return t;
}

} // namespace

TEST_CASE("the view's hits are layer 0's less the routed ones, and never go down", "[telemetry][stats]") {
  totals view;
  estimate_view(view, gets(10, 4), gets(3, 3)); // 7 view hits, 1 sampled timing
  CHECK(view.requests[get][hit] == 7);
  CHECK(view.get_durations.counts[0] == 1);
  CHECK(view.get_durations.count == 1);

  // A routed get recorded after layer 0's totals were read: routed is ahead. The estimate keeps 7
  // (it went down to 6 before, and a window starting there wrapped around).
  estimate_view(view, gets(10, 4), gets(4, 4));
  CHECK(view.requests[get][hit] == 7);
  CHECK(view.get_durations.count == 1);

  // Routed ahead of everything layer 0 counted: 0, not a wrapped difference.
  totals fresh;
  estimate_view(fresh, gets(2, 1), gets(3, 2));
  CHECK(fresh.requests[get][hit] == 0);
  CHECK(fresh.get_durations.count == 0);
  CHECK(fresh.get_durations.sum == 0);

  estimate_view(view, gets(12, 5), gets(4, 4)); // two more view hits, one of them timed
  CHECK(view.requests[get][hit] == 8);
  CHECK(view.get_durations.count == 1);
  estimate_view(view, gets(13, 6), gets(4, 4));
  CHECK(view.requests[get][hit] == 9);
  CHECK(view.get_durations.count == 2);
}

TEST_CASE("the stats board names the runtime and each layer in every window before a publication", "[telemetry][stats]") {
  const strata::detail::stats_board board({"hot", "deep"});
  for (const auto window : {strata::stats_window::minute, strata::stats_window::hour, strata::stats_window::day}) {
    const auto figures = board.get(window);
    CHECK(figures.window == window);
    CHECK(figures.covered_seconds == 0);
    CHECK(figures.overall.name == "all");
    CHECK(figures.overall.requests == 0);
    REQUIRE(figures.layers.size() == 2);
    CHECK(figures.layers[0].name == "hot");
    CHECK(figures.layers[1].name == "deep");
    CHECK(figures.layers[1].gets == 0);
  }
}
