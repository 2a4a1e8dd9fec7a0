// A host service that embeds Strata: a slow "model call" behind a read-through cache.
//
//   strata-embed-example [deployment.yaml] [requests]
//
// Four threads ask for answers to prompts drawn from a skewed distribution; a miss calls the
// loader (a 2 ms stand-in for an LLM call), and the cache serves the repeats.
#include <strata/runtime.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  const std::string deployment = argc > 1 ? argv[1] : "configs/default.yaml";
  int requests = 40000;
  if (argc > 2) {
    char* end = nullptr;
    const long asked = std::strtol(argv[2], &end, 10);
    if (end == argv[2] || *end != '\0' || asked < 1 || asked > 100000000) {
      std::fprintf(stderr, "requests: expected a whole number from 1 to 100000000, got '%s'\n", argv[2]);
      return 2;
    }
    requests = static_cast<int>(asked);
  }

  std::atomic<int> model_calls{0};
  strata::runtime_options options;
  options.loader = [&](std::string_view, std::string_view prompt) -> std::optional<strata::loaded_value> {
    ++model_calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    strata::loaded_value answer;
    answer.value = "answer to '" + std::string(prompt) + "'";
    answer.options.ttl = std::chrono::minutes(10);
    return answer;
  };
  auto rt = strata::runtime::from_file(deployment, options);
  if (!rt) {
    std::fprintf(stderr, "%s\n", rt.err().message.c_str());
    return 1;
  }
  auto& cache = **rt;

  std::mutex mutex;
  std::map<std::string, long> answered_by;
  std::vector<double> micros;
  auto worker = [&](int seed, int count) {
    std::mt19937 rng(seed);
    std::discrete_distribution<int> topic({50, 20, 10, 8, 5, 4, 3});
    std::uniform_int_distribution<int> variant(0, 199);
    std::map<std::string, long> mine;
    std::vector<double> lat;
    for (int i = 0; i < count; ++i) {
      const auto prompt = "topic " + std::to_string(topic(rng)) + " question " + std::to_string(variant(rng) % (20 + 30 * topic(rng)));
      const auto t0 = std::chrono::steady_clock::now();
      auto r = cache.get(prompt);
      lat.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
      ++mine[r.code == strata::status::ok ? r.layer : strata::to_string(r.code)];
    }
    std::lock_guard<std::mutex> guard(mutex);
    for (auto& [k, v] : mine)
      answered_by[k] += v;
    micros.insert(micros.end(), lat.begin(), lat.end());
  };
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) // the requests shared out, the remainder to the first threads
    threads.emplace_back(worker, t + 1, requests / 4 + (t < requests % 4 ? 1 : 0));
  for (auto& t : threads)
    t.join();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::sort(micros.begin(), micros.end());
  std::printf("deployment %s: %d requests in %.2f s (%.0f req/s)\n", deployment.c_str(), requests, seconds,
              requests / seconds);
  for (auto& [who, n] : answered_by)
    std::printf("  answered by %-12s %7ld (%.1f%%)\n", who.c_str(), n, 100.0 * n / requests);
  std::printf("  model calls          %7d\n", model_calls.load());
  std::printf("  latency p50 %.2f us, p99 %.2f us\n", micros[micros.size() / 2], micros[micros.size() * 99 / 100]);
  // The runtime's own figures, from the telemetry actor's sample after the run.
  std::this_thread::sleep_for(cache.effective_config().runtime.stats_interval * 2);
  const auto stats = cache.stats(strata::stats_window::minute);
  std::printf("  runtime stats (last %.0f s): %llu gets, hit rate %.1f%%, p99 %.1f us\n", stats.covered_seconds,
              static_cast<unsigned long long>(stats.overall.gets), 100 * stats.overall.hit_rate,
              stats.overall.p99_seconds * 1e6);
  for (const auto& w : stats.layers)
    std::printf("  layer %-10s %llu gets, hit rate %.1f%%\n", w.name.c_str(), static_cast<unsigned long long>(w.gets),
                100 * w.hit_rate);
  for (auto& h : cache.health().layers)
    std::printf("  layer %-10s %s, failures %llu, restarts %llu\n", h.name.c_str(), strata::to_string(h.level),
                static_cast<unsigned long long>(h.failures), static_cast<unsigned long long>(h.restarts));
  return 0;
}
