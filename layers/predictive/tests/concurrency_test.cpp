// Many threads hammer one small store with mixed operations, so that shards are contended and
// eviction, expiry and invalidation run all the time; with the predictive policy, reads also go
// into the access model (its lock-free log and try-lock drain) from every thread. Every value names the key it was written
// for; a read that returns a torn or foreign value fails the test. Meant to pass under TSan.

#include "access_model.hpp"
#include "exact_store.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using strata::entry_options;
using strata::layer_hit;
using strata::status;
using strata::predictive::access_model;
using strata::predictive::exact_store;
using strata::predictive::store_config;

namespace {

constexpr int thread_count = 8;
constexpr int ops_per_thread = 131072; // 8 × 131072 > 1,000,000 in total
constexpr int key_count = 64;
const char* const namespaces[] = {"alpha", "beta"};

/// "alpha|k17|t3|n123|" followed by padding whose length and letter depend on the writer, so the
/// value exceeds the small-string buffer and a mix of two writes cannot look whole.
std::string make_value(std::string_view ns, int key, int thread, int seq) {
  std::string v;
  v.append(ns).append("|k").append(std::to_string(key)).append("|t").append(std::to_string(thread));
  v.append("|n").append(std::to_string(seq)).append("|");
  v.append(static_cast<std::size_t>(24 + seq % 97), static_cast<char>('a' + (thread + seq) % 26));
  return v;
}

/// True when `value` is exactly what some writer stored for (ns, key).
bool value_matches(const std::string& value, std::string_view ns, int key) {
  std::string prefix = std::string(ns) + "|k" + std::to_string(key) + "|t";
  if (value.compare(0, prefix.size(), prefix) != 0) return false;
  std::size_t pos = prefix.size();
  std::size_t bar = value.find('|', pos);
  if (bar == std::string::npos || value.compare(bar, 2, "|n") != 0) return false;
  int thread = std::stoi(value.substr(pos, bar - pos));
  std::size_t end = value.find('|', bar + 2);
  if (end == std::string::npos) return false;
  int seq = std::stoi(value.substr(bar + 2, end - bar - 2));
  return value == make_value(ns, key, thread, seq);
}

/// `thread_count` threads, `ops_per_thread` operations each, on one store; reads are also recorded into
/// `model` when there is one (as the read view does), and a put of a key the model asked for is
/// written as its prefetch (as the layer does).
void run_mixed(exact_store& store, const store_config& config, access_model* model, int ops_per_thread) {
  std::atomic<std::uint64_t> bad_reads{0};
  std::atomic<std::uint64_t> good_reads{0};
  std::atomic<std::uint64_t> bad_statuses{0};

  auto worker = [&](int thread) {
    std::mt19937 rng(static_cast<unsigned>(thread) * 7919u + 1u);
    std::uniform_int_distribution<int> pick_key(0, key_count - 1);
    std::uniform_int_distribution<int> pick_op(0, 99);
    std::string value_out;
    layer_hit hit;
    for (int i = 0; i < ops_per_thread; ++i) {
      const int key = pick_key(rng);
      const std::string_view ns = namespaces[(key + i) % 2];
      const std::string key_text = "k" + std::to_string(key);
      const int op = pick_op(rng);
      if (op < 35) {
        status st = store.get(ns, key_text, value_out);
        if (model != nullptr) model->record(ns, key_text);
        if (st == status::ok) {
          (value_matches(value_out, ns, key) ? good_reads : bad_reads).fetch_add(1);
        } else if (st != status::not_found) {
          bad_statuses.fetch_add(1);
        }
      } else if (op < 60) {
        status st = store.get(ns, key_text, hit);
        if (model != nullptr) model->record(ns, key_text);
        if (st == status::ok) {
          bool ok = value_matches(hit.value, ns, key) && hit.meta.tags.size() == 1 &&
                    hit.meta.tags[0] == "tag" + std::to_string(key % 4);
          (ok ? good_reads : bad_reads).fetch_add(1);
        } else if (st != status::not_found) {
          bad_statuses.fetch_add(1);
        }
      } else if (op < 92) {
        entry_options options;
        options.tags = {"tag" + std::to_string(key % 4)};
        if (op % 4 == 0) options.ttl = 1ms; // some entries expire while others read them
        const auto value = make_value(ns, key, thread, i);
        // As the plugin: a prefetch's fill (some of them here) or another write, each ending a
        // prefetch of the key the model asked for.
        if (model != nullptr) model->end_pending(ns, key_text);
        status st = op % 7 == 0 ? store.put_prefetched(ns, key_text, value, options) : store.put(ns, key_text, value, options);
        if (st != status::ok) bad_statuses.fetch_add(1);
      } else if (op < 98) {
        status st = store.erase(ns, key_text);
        if (st != status::ok && st != status::not_found) bad_statuses.fetch_add(1);
      } else if (op < 99) {
        store.invalidate_tag(ns, "tag" + std::to_string(key % 4));
      } else {
        store.purge_expired();
        if (model != nullptr) model->drain();
      }
    }
  };

  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t) threads.emplace_back(worker, t);
  for (auto& t : threads) t.join();

  CHECK(bad_reads.load() == 0);
  CHECK(bad_statuses.load() == 0);
  CHECK(good_reads.load() > 0);
  CHECK(store.entries() <= config.max_entries);
  CHECK(store.bytes() <= config.max_bytes);
  CHECK(store.evictions_capacity() > 0);
  CHECK(store.evictions_invalidated() > 0);

  // The counters agree with the contents: removing every key leaves nothing charged.
  for (const char* ns : namespaces)
    for (int key = 0; key < key_count; ++key) store.erase(ns, "k" + std::to_string(key));
  CHECK(store.entries() == 0);
  CHECK(store.bytes() == 0);
}

} // namespace

TEST_CASE("concurrent mixed operations never return a torn or foreign value", "[predictive][concurrency]") {
  store_config config;
  config.max_entries = 48; // fewer than the 128 (ns, key) pairs: eviction never stops
  config.max_bytes = 8 * 1024;
  config.shards = 4;
  exact_store store{config};
  run_mixed(store, config, nullptr, ops_per_thread);
}

TEST_CASE("the predictive policy and the access model under concurrent mixed operations",
          "[predictive][concurrency]") {
  store_config config;
  config.max_entries = 48;
  config.max_bytes = 8 * 1024;
  config.shards = 4;
  config.policy = strata::predictive::eviction_policy::tinylfu;
  config.adaptive_window = true;
  exact_store store{config};
  strata::predictive::model_config model_config;
  model_config.confidence = 0.1;
  model_config.rate = 1e6;
  std::atomic<std::uint64_t> asked{0};
  std::atomic<std::uint64_t> confidences{0};
  access_model model(
    model_config, [&](std::string_view ns, std::string_view key) { return store.contains(ns, key); },
    [&](std::string_view, std::string_view) {
      asked.fetch_add(1);
      return true;
    },
    [&](double) { confidences.fetch_add(1); });
  run_mixed(store, config, &model, ops_per_thread / 4);
  model.drain();
  CHECK(model.updates() > 0);
  CHECK(asked.load() == model.prefetches_issued());
  CHECK(confidences.load() > 0);
}
