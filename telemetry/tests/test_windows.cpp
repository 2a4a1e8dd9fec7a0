// Rolling windows: quantiles interpolated within buckets, rates over a span, retention.
#include "windows.hpp"

#include <catch2/catch.hpp>

using namespace strata::telemetry;
using namespace std::chrono_literals;

namespace {

strata::instruments::histogram::snapshot snapshot_of(std::vector<std::uint64_t> counts) {
  strata::instruments::histogram::snapshot s;
  s.bounds = {1.0, 2.0, 4.0};
  s.counts = std::move(counts);
  for (auto c : s.counts)
    s.count += c;
  return s;
}

totals gets(std::uint64_t hits, std::uint64_t misses, std::uint64_t timeouts = 0) {
  totals t;
  t.requests[0][0] = hits;
  t.requests[0][1] = misses;
  t.requests[0][4] = timeouts;
  t.get_durations = snapshot_of({0, 0, 0, 0});
  return t;
}

} // namespace

TEST_CASE("quantiles interpolate within the bucket that holds the rank", "[windows]") {
  const auto none = snapshot_of({0, 0, 0, 0});
  // 10 observations in (1, 2], 10 in (2, 4]
  const auto some = snapshot_of({0, 10, 10, 0});
  CHECK(quantile(0.5, none, some) == Approx(2.0));  // rank 10: the top of (1, 2]
  CHECK(quantile(0.25, none, some) == Approx(1.5)); // rank 5: halfway through (1, 2]
  CHECK(quantile(0.75, none, some) == Approx(3.0)); // rank 15: halfway through (2, 4]
  // Only what happened between the snapshots counts.
  CHECK(quantile(0.5, snapshot_of({0, 10, 0, 0}), some) == Approx(3.0));
  // Ranks in +Inf answer the largest finite bound; no observation answers 0.
  CHECK(quantile(0.99, none, snapshot_of({0, 0, 0, 5})) == Approx(4.0));
  CHECK(quantile(0.5, some, some) == 0);
}

TEST_CASE("a window derives rates from its oldest and newest samples", "[windows]") {
  windows w;
  const auto t0 = windows::clock::time_point{} + 1000h;
  w.add(t0, {gets(0, 0)});
  w.add(t0 + 10s, {gets(30, 10, 10)});
  double covered = 0;
  auto d = w.over(60s, {"hot"}, covered);
  REQUIRE(d.size() == 1);
  CHECK(covered == Approx(10.0));
  CHECK(d[0].name == "hot");
  CHECK(d[0].gets == 50);
  CHECK(d[0].hits == 30);
  CHECK(d[0].misses == 10);
  CHECK(d[0].errors == 10);
  CHECK(d[0].hit_rate == Approx(0.6));
  CHECK(d[0].miss_rate == Approx(0.2));
  CHECK(d[0].error_rate == Approx(0.2));
  CHECK(d[0].throughput == Approx(5.0));
}

TEST_CASE("a window starts at the sample whose age is nearest its span", "[windows]") {
  // The first sample inside the span alone: a minute covered 30 s at a sample every 30 s, and 59 s
  // at one a second, the sample a minute old being always a little older than that.
  windows w;
  const auto t0 = windows::clock::time_point{} + 1000h;
  for (int i = 0; i <= 3; ++i)
    w.add(t0 + i * 30s + i * 1ms, {gets(i * 60, 0)}); // 2 gets a second, a sample every 30 s and a bit
  double covered = 0;
  auto minute = w.over(60s, {"x"}, covered);
  CHECK(covered == Approx(60.002));
  CHECK(minute[0].hits == 120);
  windows every_second;
  for (int i = 0; i <= 90; ++i)
    every_second.add(t0 + i * 1001ms, {gets(i, 0)});
  minute = every_second.over(60s, {"x"}, covered);
  CHECK(covered == Approx(60.06));
  CHECK(minute[0].hits == 60);
  // As near before as after: the older, so that the window is not shorter than its span.
  windows tie;
  for (auto at : {0s, 50s, 70s, 120s})
    tie.add(t0 + at, {gets(static_cast<std::uint64_t>(at.count()), 0)});
  minute = tie.over(60s, {"x"}, covered);
  CHECK(covered == Approx(70.0));
  CHECK(minute[0].hits == 70);
}

TEST_CASE("each window starts at the sample its span old", "[windows]") {
  windows w;
  const auto t0 = windows::clock::time_point{} + 1000h;
  for (int minute = 0; minute <= 120; ++minute)
    w.add(t0 + std::chrono::minutes(minute), {gets(minute * 100, 0)});
  double covered = 0;
  auto last_minute = w.over(60s, {"x"}, covered);
  CHECK(covered == Approx(60.0));
  CHECK(last_minute[0].hits == 100);
  auto last_hour = w.over(3600s, {"x"}, covered);
  CHECK(covered == Approx(3600.0));
  CHECK(last_hour[0].hits == 6000);
  auto last_day = w.over(86400s, {"x"}, covered); // younger than a day: from the first sample kept
  CHECK(covered == Approx(7200.0));
  CHECK(last_day[0].hits == 12000);
}

TEST_CASE("a window with one sample says nothing yet", "[windows]") {
  windows w;
  double covered = 1;
  auto empty = w.over(60s, {"x"}, covered);
  CHECK(covered == 0);
  CHECK(empty[0].gets == 0);
  w.add(windows::clock::now(), {gets(5, 5)});
  auto one = w.over(60s, {"x"}, covered);
  CHECK(covered == 0);
  CHECK(one[0].gets == 0);
  CHECK(one[0].throughput == 0);
}
