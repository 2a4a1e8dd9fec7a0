// telemetry: what recording the standard metrics costs on the hottest path, a first-layer hit.
// The same loop runs on two runtimes, metrics on and off, alternating rounds so that both see the
// same machine noise; each side keeps its fastest round.
#include "suites.hpp"

#include <strata/runtime.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

namespace strata::bench {

namespace {

constexpr int key_count = 10000;
constexpr long hits_per_round = 2000000;
constexpr int rounds = 5;

std::unique_ptr<runtime> start(bool metrics) {
  config cfg;
  cfg.runtime.metrics = metrics;
  layer_config hot;
  hot.name = "hot";
  hot.plugin = "predictive";
  hot.settings = {{"max_entries", std::to_string(key_count * 2)}};
  cfg.layers.push_back(hot);
  auto rt = runtime::from_config(cfg);
  if (!rt) {
    std::fprintf(stderr, "strata-bench: %s\n", rt.err().message.c_str());
    std::exit(1);
  }
  return std::move(*rt);
}

} // namespace

int run_telemetry() {
  std::vector<std::string> keys;
  for (int i = 0; i < key_count; ++i)
    keys.push_back("user:" + std::to_string(i * 7919) + ":profile");
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> pick(0, key_count - 1);
  std::vector<int> order(hits_per_round);
  for (auto& o : order)
    o = pick(rng);

  auto with = start(true);
  auto without = start(false);
  for (auto& k : keys) {
    with->put(k, std::string(64, 'v'));
    without->put(k, std::string(64, 'v'));
  }
  std::size_t sink = 0;
  auto round = [&](runtime& rt) {
    const auto t0 = std::chrono::steady_clock::now();
    for (long i = 0; i < hits_per_round; ++i)
      sink += rt.get(keys[order[i]]).value.size();
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count() / hits_per_round;
  };
  double best_on = 1e18, best_off = 1e18;
  for (int r = 0; r < rounds; ++r) {
    best_off = std::min(best_off, round(*without));
    best_on = std::min(best_on, round(*with));
  }
  const double overhead_pct = 100.0 * (best_on - best_off) / best_off;
  const double ns_per_recorded = best_on - best_off; // one get records one counter (and 1/64 of a timing)
  std::printf("telemetry: first-layer hits, %d keys, best of %d rounds of %ld (%zu bytes read)\n", key_count, rounds,
              hits_per_round, sink);
  std::printf("  metrics off   %8.1f ns per get   %10.0f gets/s\n", best_off, 1e9 / best_off);
  std::printf("  metrics on    %8.1f ns per get   %10.0f gets/s\n", best_on, 1e9 / best_on);
  std::printf("targets: at most 5%% throughput lost, at most 20 ns per recorded operation\n");
  std::printf("RESULT telemetry.off_ns_per_get %.1f\n", best_off);
  std::printf("RESULT telemetry.on_ns_per_get %.1f\n", best_on);
  std::printf("RESULT telemetry.overhead_pct %.2f\n", overhead_pct);
  std::printf("RESULT telemetry.ns_per_op %.2f\n", ns_per_recorded);
  return 0;
}

} // namespace strata::bench
