// 8 threads, 1M mixed get/put/erase over 64 keys through the runtime (read view, coordinator,
// promotion, eviction): every read returns a value that was written for that key, whole.
#include "runtime_fixture.hpp"

#include <atomic>
#include <random>
#include <thread>
#include <vector>

using namespace strata;

namespace {

constexpr int thread_count = 8;
constexpr int ops_per_thread = 125000; // 1,000,000 in all
constexpr int key_count = 64;

std::string key_name(int k) { return "key-" + std::to_string(k); }

/// "key-17|t3|n123|" then padding, so that a value is never short enough to be stored inline.
std::string value_for(const std::string& key, int thread, int seq) {
  std::string v = key + "|t" + std::to_string(thread) + "|n" + std::to_string(seq) + "|";
  v.append(48, static_cast<char>('a' + (seq % 26)));
  return v;
}

/// Whether `value` is exactly one that `value_for(key, ...)` produced.
bool written_for(const std::string& key, const std::string& value) {
  if (value.compare(0, key.size() + 1, key + "|") != 0)
    return false;
  auto last_bar = value.rfind('|');
  auto seq_start = value.rfind("|n", last_bar - 1);
  if (last_bar == std::string::npos || seq_start == std::string::npos || value.size() - last_bar - 1 != 48)
    return false;
  int seq = std::stoi(value.substr(seq_start + 2, last_bar - seq_start - 2));
  return value.find_first_not_of(static_cast<char>('a' + (seq % 26)), last_bar + 1) == std::string::npos;
}

} // namespace

TEST_CASE("8 threads, 1M mixed operations: never a torn or foreign value", "[concurrency]") {
  auto rt = strata::testing::start("concurrency.yaml");
  std::atomic<long> reads{0}, hits{0}, bad{0}, errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t)
    threads.emplace_back([&, t] {
      std::mt19937 rng(1234 + t);
      std::uniform_int_distribution<int> pick_key(0, key_count - 1), pick_op(0, 99);
      for (int i = 0; i < ops_per_thread; ++i) {
        const auto key = key_name(pick_key(rng));
        const int op = pick_op(rng);
        if (op < 60) {
          auto r = rt->get(key);
          ++reads;
          if (r.code == status::ok) {
            ++hits;
            if (!written_for(key, r.value))
              ++bad;
          } else if (r.code != status::not_found) {
            ++errors;
          }
        } else if (op < 90) {
          if (rt->put(key, value_for(key, t, i)) != status::ok)
            ++errors;
        } else {
          auto s = rt->erase(key);
          if (s != status::ok && s != status::not_found)
            ++errors;
        }
      }
    });
  for (auto& th : threads)
    th.join();
  INFO("reads " << reads << ", hits " << hits);
  CHECK(reads > 500000);
  CHECK(hits > reads / 4); // the check below is not vacuous
  CHECK(bad == 0);
  CHECK(errors == 0);
  for (auto& h : rt->health().layers)
    CHECK(h.failures == 0);
}
