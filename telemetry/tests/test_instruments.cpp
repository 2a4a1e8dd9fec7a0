// Instruments: exact totals under concurrent recording, histogram buckets.
#include <strata/instruments.hpp>

#include <catch2/catch.hpp>

#include <thread>
#include <vector>

using namespace strata::instruments;

TEST_CASE("a counter sums what many threads add", "[instruments]") {
  counter c;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 100000; ++i)
        c.inc();
      c.inc(5);
    });
  for (auto& t : threads)
    t.join();
  CHECK(c.value() == 8 * 100005);
}

TEST_CASE("a gauge is set and moved", "[instruments]") {
  gauge g;
  g.set(10);
  g.add(-3);
  CHECK(g.value() == 7);
}

TEST_CASE("a histogram puts each value in the first bucket whose bound holds it", "[instruments]") {
  histogram h({1.0, 5.0, 10.0});
  for (double v : {0.5, 1.0, 1.5, 5.0, 7.0, 10.0, 11.0, 1000.0})
    h.observe(v);
  auto s = h.read();
  CHECK(s.counts == std::vector<std::uint64_t>{2, 2, 2, 2}); // <=1, <=5, <=10, +Inf
  CHECK(s.count == 8);
  CHECK(s.sum == Approx(1036.0));
}

TEST_CASE("a histogram keeps every observation of many threads", "[instruments]") {
  histogram h;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 50000; ++i)
        h.observe(2e-6);
    });
  for (auto& t : threads)
    t.join();
  auto s = h.read();
  CHECK(s.count == 400000);
  CHECK(s.counts[1] == 400000); // 1 µs < 2 µs <= 2.5 µs
  CHECK(s.sum == Approx(0.8));
  CHECK(h.bounds().front() == 1e-6);
  CHECK(h.bounds().back() == 5.0);
}
