// core: what an exact hit costs. The limit is a plain std::unordered_map lookup that copies the
// value out (the same work a get does); beside it, in the same run, runtime.get hits on the first
// layer (its read view, in the caller's thread) under each policy and on the second layer (one
// coordinator round trip). And what an entry costs in memory, against the same map's.
#include "suites.hpp"

#include <strata/runtime.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <functional>
#include <malloc.h>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace strata::bench {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr int key_count = 10000;
constexpr int value_size = 64;

struct figures {
  double ops_per_s = 0;
  double p50_ns = 0;
  double p99_ns = 0;
  double bytes_per_entry = 0; ///< heap in use after filling, over the entries filled
};

/// Bytes of heap in use (glibc's allocator).
double heap_in_use() {
  return static_cast<double>(mallinfo2().uordblks);
}

/// Runs `op(i)` `total` times in batches of `batch`, timing each batch: per-op percentiles of
/// operations too short to time one by one.
figures measure(long total, int batch, const std::function<void(long)>& op) {
  std::vector<double> per_op;
  per_op.reserve(total / batch + 1);
  const auto start = clock_type::now();
  for (long done = 0; done < total; done += batch) {
    const auto t0 = clock_type::now();
    for (int j = 0; j < batch; ++j)
      op(done + j);
    per_op.push_back(std::chrono::duration<double, std::nano>(clock_type::now() - t0).count() / batch);
  }
  const double seconds = std::chrono::duration<double>(clock_type::now() - start).count();
  std::sort(per_op.begin(), per_op.end());
  return figures{total / seconds, per_op[per_op.size() / 2], per_op[per_op.size() * 99 / 100]};
}

/// Seconds to answer `total` second-layer gets asked `window` at a time (the next window once the
/// last one is answered): one window of them all is a burst (an MGET of that many keys).
double gets_in_windows(runtime& rt, const std::vector<std::string>& keys, long total, long window) {
  std::mutex m;
  std::condition_variable answered;
  long pending = 0;
  std::atomic<long> misses{0};
  const auto start = clock_type::now();
  for (long done = 0; done < total; done += window) {
    const long n = std::min(window, total - done);
    {
      std::lock_guard<std::mutex> lock{m};
      pending = n;
    }
    for (long j = 0; j < n; ++j)
      rt.get_async(keys[(done + j) % keys.size()], {}, [&](get_result r) {
        if (r.code != status::ok)
          ++misses;
        std::lock_guard<std::mutex> lock{m};
        if (--pending == 0)
          answered.notify_one();
      });
    std::unique_lock<std::mutex> lock{m};
    answered.wait(lock, [&] { return pending == 0; });
  }
  if (misses > 0) {
    std::fprintf(stderr, "strata-bench: %ld of %ld gets in windows of %ld did not hit\n", misses.load(), total, window);
    std::exit(1);
  }
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

std::vector<std::string> make_keys() {
  std::vector<std::string> keys;
  for (int i = 0; i < key_count; ++i)
    keys.push_back("user:" + std::to_string(i * 7919) + ":profile");
  return keys;
}

/// A random order of key indexes, so that the loops do not walk memory in insertion order.
std::vector<int> make_order(long n) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> pick(0, key_count - 1);
  std::vector<int> order(n);
  for (auto& o : order)
    o = pick(rng);
  return order;
}

layer_config predictive_layer(const std::string& name, std::map<std::string, std::string> settings = {}) {
  layer_config l;
  l.name = name;
  l.plugin = "predictive";
  l.settings = std::move(settings);
  l.settings["max_entries"] = std::to_string(key_count * 2);
  return l;
}

std::unique_ptr<runtime> start(config cfg) {
  auto rt = runtime::from_config(std::move(cfg));
  if (!rt) {
    std::fprintf(stderr, "strata-bench: %s\n", rt.err().message.c_str());
    std::exit(1);
  }
  return std::move(*rt);
}

void print(const char* name, const figures& f, double limit_ns_per_op) {
  const double ns_per_op = 1e9 / f.ops_per_s;
  std::printf("%-34s %12.0f ops/s   p50 %9.1f ns   p99 %9.1f ns   %6.2fx the map\n", name, f.ops_per_s, f.p50_ns,
              f.p99_ns, ns_per_op / limit_ns_per_op);
}

} // namespace

int run_core() {
  const auto keys = make_keys();
  const std::string value(value_size, 'v');
  const long hits = 2000000;
  const auto order = make_order(hits);
  std::size_t sink = 0;

  // The limit.
  std::unordered_map<std::string, std::string> map;
  const double map_heap_before = heap_in_use();
  for (auto& k : keys)
    map.emplace(k, value);
  const double map_bytes_per_entry = (heap_in_use() - map_heap_before) / key_count;
  auto map_figures = measure(hits, 100, [&](long i) {
    std::string out = map.find(keys[order[i]])->second;
    sink += out.size();
  });

  // First-layer hits, under each policy.
  const auto first_layer_hits = [&](std::map<std::string, std::string> settings) {
    config one;
    one.layers.push_back(predictive_layer("l1", std::move(settings)));
    auto rt1 = start(one);
    const double heap_before = heap_in_use();
    for (auto& k : keys)
      rt1->put(k, value);
    const double bytes_per_entry = (heap_in_use() - heap_before) / key_count;
    auto f = measure(hits, 100, [&](long i) {
      auto r = rt1->get(keys[order[i]]);
      sink += r.value.size();
    });
    rt1->shutdown();
    f.bytes_per_entry = bytes_per_entry;
    return f;
  };
  const auto l1_figures = first_layer_hits({});
  const auto l1_tinylfu = first_layer_hits({{"policy", "predictive"}, {"adaptive_window", "false"}});
  const auto l1_adaptive = first_layer_hits({{"policy", "predictive"}, {"adaptive_window", "true"}});

  // Second-layer hits: layer 1 takes no writes and no promotions, so every get walks to layer 2.
  config two;
  two.layers.push_back(predictive_layer("l1"));
  two.layers.back().write = write_policy::around;
  two.layers.back().promote = false;
  two.layers.push_back(predictive_layer("l2"));
  for (auto& l : two.layers)
    l.deadline = std::chrono::seconds(30); // the burst below measures time, not its deadline
  auto rt2 = start(two);
  for (auto& k : keys)
    rt2->put(k, value);
  const long round_trips = 200000;
  auto l2_figures = measure(round_trips, 1, [&](long i) {
    auto r = rt2->get(keys[order[i]]);
    if (r.layer != "l2")
      std::abort();
    sink += r.value.size();
  });
  // Requests in flight at once: CAF's own request-response slowed with their number (a flat map
  // searched and shifted per response), until the coordinator numbered its requests itself.
  const long burst = 50000;
  const double windowed_s = gets_in_windows(*rt2, keys, burst, 100);
  const double burst_s = gets_in_windows(*rt2, keys, burst, burst);
  rt2->shutdown();

  const double limit = 1e9 / map_figures.ops_per_s;
  std::printf("core: %d keys, %d-byte values, %ld hits per loop (%zu bytes read)\n", key_count, value_size, hits, sink);
  print("unordered_map find + copy (limit)", map_figures, limit);
  print("runtime.get, first-layer hit", l1_figures, limit);
  print("  policy predictive, W-TinyLFU alone", l1_tinylfu, limit);
  print("  policy predictive (adaptive_window)", l1_adaptive, limit);
  print("runtime.get, second-layer hit", l2_figures, limit);
  std::printf("%ld second-layer gets: %.3f s 100 at a time, %.3f s all at once\n", burst, windowed_s, burst_s);
  std::printf("targets: first-layer hit within 10x of the map; coordinator round trip p50 under 10 us\n");
  std::printf("RESULT core.map_ns_per_op %.1f\n", limit);
  std::printf("RESULT core.l1_hit_ns_per_op %.1f\n", 1e9 / l1_figures.ops_per_s);
  std::printf("RESULT core.l1_hit_p99_ns %.1f\n", l1_figures.p99_ns);
  std::printf("RESULT core.l1_hit_vs_map %.2f\n", (1e9 / l1_figures.ops_per_s) / limit);
  std::printf("RESULT core.l1_hit_tinylfu_vs_map %.2f\n", (1e9 / l1_tinylfu.ops_per_s) / limit);
  std::printf("RESULT core.l1_hit_adaptive_vs_map %.2f\n", (1e9 / l1_adaptive.ops_per_s) / limit);
  std::printf("memory per entry (%d-byte values, keys of about 20 bytes): map %.0f B; first layer lru %.0f B, "
              "W-TinyLFU alone %.0f B, adaptive_window %.0f B\n",
              value_size, map_bytes_per_entry, l1_figures.bytes_per_entry, l1_tinylfu.bytes_per_entry,
              l1_adaptive.bytes_per_entry);
  std::printf("RESULT core.map_bytes_per_entry %.0f\n", map_bytes_per_entry);
  std::printf("RESULT core.l1_lru_bytes_per_entry_vs_map %.2f\n", l1_figures.bytes_per_entry / map_bytes_per_entry);
  std::printf("RESULT core.l1_tinylfu_bytes_per_entry_vs_map %.2f\n", l1_tinylfu.bytes_per_entry / map_bytes_per_entry);
  std::printf("RESULT core.l1_adaptive_bytes_per_entry_vs_map %.2f\n", l1_adaptive.bytes_per_entry / map_bytes_per_entry);
  std::printf("RESULT core.coordinator_ops_per_s %.0f\n", l2_figures.ops_per_s);
  std::printf("RESULT core.coordinator_p50_us %.2f\n", l2_figures.p50_ns / 1000);
  std::printf("RESULT core.coordinator_p99_us %.2f\n", l2_figures.p99_ns / 1000);
  std::printf("RESULT core.burst_50k_vs_windows_of_100 %.2f\n", burst_s / windowed_s);
  return 0;
}

} // namespace strata::bench
