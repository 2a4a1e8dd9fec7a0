// layer_replay through the real predictive plugin (built by strata::standalone_layer from
// lru_deployment): libCacheSim's LRU semantics, case by case and against a reference LRU.
#include <strata/replay/layer_replay.hpp>
#include <strata/replay/trace_replay.hpp>

#include <strata/standalone_layer.hpp>

#include <catch2/catch.hpp>

#include <list>
#include <memory>
#include <random>
#include <unordered_map>
#include <vector>

using namespace strata::replay;

namespace {

std::unique_ptr<strata::standalone_layer> lru_layer(const std::string& capacity_text) {
  auto made = strata::standalone_layer::create(lru_deployment(*parse_capacity(capacity_text)));
  if (!made)
    FAIL(made.err().message);
  return std::move(*made);
}

/// Replays `(key, size)` requests at `capacity_text`; returns the counts.
replay_counts replay(const std::string& capacity_text, const std::vector<request>& trace) {
  auto layer = lru_layer(capacity_text);
  layer_replay replayer(layer->layer());
  for (const auto& r : trace)
    replayer.access(r);
  return replayer.counts();
}

/// libCacheSim's LRU, written out: on a miss, an object larger than the cache is not admitted;
/// otherwise least recently used objects are evicted until it fits. A hit only moves the object
/// to the front.
class reference_lru {
public:
  explicit reference_lru(std::uint64_t capacity) : capacity_(capacity) {}

  bool access(const request& r) {
    if (auto it = index_.find(r.key); it != index_.end()) {
      order_.splice(order_.begin(), order_, it->second);
      return true;
    }
    if (r.size > capacity_)
      return false;
    while (used_ + r.size > capacity_) {
      used_ -= order_.back().size;
      index_.erase(order_.back().key);
      order_.pop_back();
    }
    order_.push_front(r);
    index_[r.key] = order_.begin();
    used_ += r.size;
    return false;
  }

private:
  std::uint64_t capacity_;
  std::uint64_t used_ = 0;
  std::list<request> order_;
  std::unordered_map<std::uint64_t, std::list<request>::iterator> index_;
};

} // namespace

TEST_CASE("a hit makes the entry most recent: the least recently used one is evicted", "[replay][lru]") {
  // 10 bytes: A and B fit; A is hit, so C evicts B, and B then evicts C.
  const auto counts = replay("10", {{1, 4}, {2, 4}, {1, 4}, {3, 4}, {1, 4}, {2, 4}, {1, 4}, {3, 4}});
  CHECK(counts.requests == 8);
  CHECK(counts.misses == 5); // A B C B C; A always hits after its first request
  CHECK(counts.bytes == 32);
  CHECK(counts.missed_bytes == 20);
  CHECK(counts.not_admitted == 0);
}

TEST_CASE("an object larger than the capacity misses every time and evicts nothing", "[replay][lru]") {
  const auto counts = replay("10", {{1, 4}, {2, 4}, {9, 11}, {9, 11}, {1, 4}, {2, 4}, {9, 11}});
  CHECK(counts.misses == 5); // 1, 2, then 9 three times; 1 and 2 stay
  CHECK(counts.not_admitted == 3);
  CHECK(counts.byte_miss_ratio() == Approx((4 + 4 + 33) / 49.0));
}

TEST_CASE("an object of exactly the capacity is admitted", "[replay][lru]") {
  const auto counts = replay("10", {{7, 10}, {7, 10}, {8, 1}, {7, 10}});
  CHECK(counts.misses == 3); // 7, 8 (evicts 7), 7 (evicts 8)
  CHECK(counts.not_admitted == 0);
}

TEST_CASE("a hit whose request gives another size keeps the cached size, as libCacheSim does", "[replay][lru]") {
  // A is cached at 4 bytes; its second request says 8 but is a hit, so B (6) still fits beside it.
  const auto counts = replay("10", {{1, 4}, {1, 8}, {2, 6}, {1, 4}, {2, 6}});
  CHECK(counts.misses == 2);
}

TEST_CASE("an entry capacity bounds the number of entries whatever their sizes", "[replay][lru]") {
  const auto counts = replay("2entries", {{1, 1000}, {2, 5000}, {1, 1000}, {3, 70000}, {2, 5000}, {1, 1000}});
  CHECK(counts.misses == 5); // 1, 2, 3 (evicts 2), 2 (evicts 1), 1 (evicts 3)
}

TEST_CASE("on random traces the layer misses exactly where a reference LRU misses", "[replay][lru]") {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<std::uint64_t> key(0, 400);
  std::uniform_int_distribution<std::uint64_t> size(1, 5000);
  std::vector<std::uint64_t> size_of(401);
  for (auto& s : size_of)
    s = size(rng);
  std::vector<request> trace;
  for (int i = 0; i < 20000; ++i) {
    const auto k = key(rng);
    trace.push_back({k, size_of[k]});
  }
  for (const char* capacity_text : {"4000", "50000", "200000", "600000"}) {
    reference_lru reference(parse_capacity(capacity_text)->amount);
    std::uint64_t misses = 0;
    for (const auto& r : trace)
      misses += reference.access(r) ? 0 : 1;
    INFO("capacity " << capacity_text);
    CHECK(replay(capacity_text, trace).misses == misses);
  }
}
