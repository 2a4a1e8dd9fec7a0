// The access model's parts on their own: the frequency sketch, the successor model, the read log,
// the model that ties them to prefetch, the store's predictive (W-TinyLFU) policy, and the
// GreedyDual-Size shadow its adaptive window follows.

#include "access_log.hpp"
#include "access_model.hpp"
#include "exact_store.hpp"
#include "frequency_sketch.hpp"
#include "gds_shadow.hpp"
#include "leader_choice.hpp"
#include "successor_model.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdint>
#include <list>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

using namespace strata::predictive;
using strata::entry_options;
using strata::status;

TEST_CASE("the sketch counts sightings up to 15 and halves every count after 10 x capacity", "[predictive][model]") {
  frequency_sketch sketch(64, false);
  REQUIRE(sketch.capacity() == 64);
  CHECK(sketch.frequency(42) == 0);
  for (int i = 0; i < 5; ++i)
    sketch.increment(42);
  CHECK(sketch.frequency(42) == 5);
  for (int i = 0; i < 20; ++i)
    sketch.increment(7);
  CHECK(sketch.frequency(7) == 15);
  CHECK(sketch.frequency(43) <= 1); // another key: at most a collision's worth
  CHECK(sketch.agings() == 0);
  for (std::uint64_t k = 1000; sketch.agings() == 0; ++k)
    sketch.increment(k * 0x9e3779b97f4a7c15ull);
  CHECK(sketch.frequency(7) == 7);
  CHECK(sketch.frequency(42) == 2);
}

TEST_CASE("with a doorkeeper a first sighting reaches no counter", "[predictive][model]") {
  frequency_sketch sketch(64, true);
  sketch.increment(99);
  CHECK(sketch.frequency(99) == 1); // the doorkeeper's bit
  sketch.increment(99);
  sketch.increment(99);
  CHECK(sketch.frequency(99) == 3);
}

TEST_CASE("growing the sketch forgets its counts", "[predictive][model]") {
  frequency_sketch sketch(16, false);
  for (int i = 0; i < 4; ++i)
    sketch.increment(5);
  sketch.ensure_capacity(8); // smaller: nothing changes
  CHECK(sketch.frequency(5) == 4);
  sketch.ensure_capacity(100);
  CHECK(sketch.capacity() == 128);
  CHECK(sketch.frequency(5) == 0);
}

TEST_CASE("the successor model predicts the most frequent follower with its share", "[predictive][model]") {
  successor_model model(100, 4);
  CHECK_FALSE(model.predict("A"));
  for (int i = 0; i < 3; ++i)
    model.observe("A", "B");
  model.observe("A", "C");
  model.observe("A", "A"); // ignored
  auto next = model.predict("A");
  REQUIRE(next);
  CHECK(next->key == "B");
  CHECK(next->count == 3);
  CHECK(next->confidence == Approx(0.75));
  CHECK_FALSE(model.predict("A", 4)); // not seen that often
}

TEST_CASE("the successor model is bounded and forgets old habits", "[predictive][model]") {
  successor_model model(2, 2, 8);
  model.observe("A", "B");
  model.observe("C", "D");
  model.observe("E", "F"); // a third source: A, the least recently seen, goes
  CHECK(model.keys() == 2);
  CHECK_FALSE(model.predict("A", 1));
  CHECK(model.predict("E", 1)->key == "F");

  // C → D seven times, then C → X: decay halves the counts, so X takes over after a while.
  for (int i = 0; i < 6; ++i)
    model.observe("C", "D");
  for (int i = 0; i < 12; ++i)
    model.observe("C", "X");
  auto next = model.predict("C");
  REQUIRE(next);
  CHECK(next->key == "X");
  CHECK(next->confidence > 0.5);
  // A third follower takes the slot of the least counted one.
  model.observe("C", "Y");
  CHECK(model.predict("C")->key == "X");
}

TEST_CASE("the read log keeps order, marks keys too long, and drops when full", "[predictive][model]") {
  access_log log(4);
  CHECK(log.push("ns", "a"));
  CHECK(log.push("ns", std::string(access_log::max_key, 'x')));
  CHECK(log.push("other", "b"));
  CHECK(log.push("ns", "c"));
  CHECK_FALSE(log.push("ns", "d"));
  CHECK(log.dropped() == 1);
  std::string ns, key;
  bool too_long = false;
  REQUIRE(log.pop(ns, key, too_long));
  CHECK((ns == "ns" && key == "a" && !too_long));
  REQUIRE(log.pop(ns, key, too_long));
  CHECK(too_long);
  REQUIRE(log.pop(ns, key, too_long));
  CHECK((ns == "other" && key == "b" && !too_long));
  REQUIRE(log.pop(ns, key, too_long));
  CHECK(key == "c");
  CHECK_FALSE(log.pop(ns, key, too_long));
  CHECK(log.push("ns", "e")); // room again
}

namespace {

struct model_fixture {
  std::vector<std::string> asked;
  std::vector<double> confidences;
  bool cached = false;
  access_model make(double confidence, double rate) {
    model_config c;
    c.confidence = confidence;
    c.rate = rate;
    return access_model(
      c, [this](std::string_view, std::string_view) { return cached; },
      [this](std::string_view ns, std::string_view key) {
        asked.push_back(std::string(ns) + "/" + std::string(key));
        return true;
      },
      [this](double value) { confidences.push_back(value); });
  }
};

} // namespace

TEST_CASE("the model asks for the likely next key once, and forgets it when it is written", "[predictive][model]") {
  model_fixture f;
  auto model = f.make(0.6, 1000);
  for (int i = 0; i < 3; ++i) {
    model.record("ns", "A");
    model.record("ns", "B");
  }
  // A predicts B once A → B was seen twice (after the third A), B predicts A likewise after the
  // third B; each with confidence 1.
  CHECK(model.updates() == 5);
  CHECK(model.last_update() > 1.7e9);
  CHECK(f.asked == std::vector<std::string>{"ns/B", "ns/A"});
  CHECK(model.prefetches_issued() == 2);
  CHECK(f.confidences.back() == Approx(1.0));
  CHECK(model.end_pending("ns", "B"));
  CHECK(model.end_pending("ns", "A"));
  CHECK_FALSE(model.end_pending("ns", "B"));
  CHECK_FALSE(model.end_pending("other", "B"));
}

TEST_CASE("the model asks for nothing cached, below its confidence, or beyond its rate", "[predictive][model]") {
  SECTION("cached") {
    model_fixture f;
    f.cached = true;
    auto model = f.make(0.5, 1000);
    for (int i = 0; i < 4; ++i) {
      model.record("ns", "A");
      model.record("ns", "B");
    }
    CHECK(f.asked.empty());
    CHECK_FALSE(f.confidences.empty()); // it predicted, but B is held
  }
  SECTION("not confident enough") {
    model_fixture f;
    auto model = f.make(0.9, 1000);
    for (int i = 0; i < 4; ++i) { // A → B, then A → C, alternately: each half the time
      model.record("ns", "A");
      model.record("ns", i % 2 == 0 ? "B" : "C");
    }
    model.record("ns", "A");
    CHECK(f.asked.empty());
  }
  SECTION("rate") {
    model_fixture f;
    auto model = f.make(0.5, 1); // one a second, a burst of one
    for (int i = 0; i < 10; ++i) {
      model.record("ns", "k" + std::to_string(i % 3)); // k0 k1 k2 k0 ...: each predicts the next
    }
    CHECK(f.asked.size() == 1);
  }
  SECTION("a rate below one a second still prefetches, one at a time") {
    model_fixture f;
    auto model = f.make(0.5, 0.5); // one every two seconds: the bucket holds one whole token
    for (int i = 0; i < 10; ++i)
      model.record("ns", "k" + std::to_string(i % 3));
    CHECK(f.asked.size() == 1);
  }
}

TEST_CASE("the model refuses a confidence outside 0..1 or a rate of zero", "[predictive][model]") {
  model_fixture f;
  CHECK_THROWS_AS(f.make(1.5, 10), std::invalid_argument);
  CHECK_THROWS_AS(f.make(0.5, 0), std::invalid_argument);
}

namespace {

store_config tinylfu(std::uint64_t entries, std::uint64_t bytes, double window = 0.1) {
  store_config c;
  c.max_entries = entries;
  c.max_bytes = bytes;
  c.shards = 1;
  c.policy = eviction_policy::tinylfu;
  c.window_fraction = window;
  c.adaptive_window = false;
  return c;
}

} // namespace

TEST_CASE("predictive policy: a key seen once does not evict frequent ones", "[predictive][model]") {
  exact_store store(tinylfu(10, 1u << 20));
  std::string value;
  for (int round = 0; round < 5; ++round)
    for (int k = 0; k < 10; ++k) {
      const auto key = "hot" + std::to_string(k);
      if (store.get("ns", key, value) != status::ok)
        REQUIRE(store.put("ns", key, "v", {}) == status::ok);
    }
  REQUIRE(store.entries() == 10);
  for (int k = 0; k < 10; ++k) // each once: one-hit wonders
    CHECK(store.put("ns", "cold" + std::to_string(k), "v", {}) == status::ok);
  CHECK(store.admissions_rejected() >= 9);
  int hot_left = 0;
  for (int k = 0; k < 10; ++k)
    hot_left += store.contains("ns", "hot" + std::to_string(k)) ? 1 : 0;
  CHECK(hot_left >= 9); // the window holds one newcomer at most
  CHECK(store.entries() == 10);
}

TEST_CASE("predictive policy: one large newcomer does not evict several smaller, together more frequent ones",
          "[predictive][model]") {
  exact_store store(tinylfu(1000, 1000, 0.0)); // no window: every newcomer is a candidate at once
  entry_options small;
  small.cost = 100;
  std::string value;
  for (int round = 0; round < 3; ++round)
    for (int k = 0; k < 9; ++k) {
      const auto key = "s" + std::to_string(k);
      if (store.get("ns", key, value) != status::ok)
        REQUIRE(store.put("ns", key, "v", small) == status::ok);
    }
  entry_options large;
  large.cost = 500;
  for (int i = 0; i < 4; ++i) // seen 4 times, each small one 3 times: one victim loses, five together win
    store.get("ns", "large", value);
  REQUIRE(store.put("ns", "large", "v", large) == status::ok);
  CHECK_FALSE(store.contains("ns", "large"));
  CHECK(store.admissions_rejected() == 1);
  int left = 0;
  for (int k = 0; k < 9; ++k)
    left += store.contains("ns", "s" + std::to_string(k)) ? 1 : 0;
  CHECK(left == 9);
}

TEST_CASE("predictive policy: admission weighs frequency per byte, so a small newcomer may displace a large entry",
          "[predictive][model]") {
  const auto read = [](exact_store& store, const std::string& key, int times) {
    std::string value;
    for (int i = 0; i < times; ++i)
      store.get("ns", key, value);
  };
  entry_options large;
  large.cost = 800;
  entry_options small;
  small.cost = 300;
  SECTION("asked for a little less often, in much less room: admitted") {
    exact_store store(tinylfu(1000, 1000, 0.0));
    read(store, "large", 1);
    REQUIRE(store.put("ns", "large", "v", large) == status::ok);
    read(store, "large", 2); // seen 3 times, 3 per 800 bytes
    read(store, "small", 2); // seen twice, 2 per 300 bytes: more per byte
    REQUIRE(store.put("ns", "small", "v", small) == status::ok);
    CHECK(store.contains("ns", "small"));
    CHECK_FALSE(store.contains("ns", "large"));
    CHECK(store.admissions_rejected() == 0);
  }
  SECTION("asked for much less often: refused") {
    exact_store store(tinylfu(1000, 1000, 0.0));
    read(store, "large", 1);
    REQUIRE(store.put("ns", "large", "v", large) == status::ok);
    read(store, "large", 5); // 6 per 800 bytes
    read(store, "small", 1); // 1 per 300 bytes: less per byte
    REQUIRE(store.put("ns", "small", "v", small) == status::ok);
    CHECK_FALSE(store.contains("ns", "small"));
    CHECK(store.contains("ns", "large"));
    CHECK(store.admissions_rejected() == 1);
  }
}

namespace {

/// Feeds `times` requests with the given outcomes of the two shadows; returns whether the
/// GreedyDual-Size one is followed after the last.
bool feed(leader_choice& leader, int times, bool gds_hit, bool tinylfu_hit) {
  bool gds_leads = leader.gds_leads;
  for (int i = 0; i < times; ++i)
    gds_leads = leader.count(gds_hit, tinylfu_hit);
  return gds_leads;
}

} // namespace

TEST_CASE("leader choice: a lead past the margin but within chance changes nothing", "[predictive][model]") {
  leader_choice leader;
  CHECK(feed(leader, 960, true, true)); // both hit: nothing disputed
  // W-TinyLFU wins 30 of 40 disputed requests: a lead of 20, far past 2 % of the 30 misses, but
  // within 5 standard deviations of 40 coin tosses (31.6).
  CHECK(feed(leader, 30, false, true));
  CHECK(feed(leader, 10, true, false));
  CHECK(feed(leader, 24, true, true)); // to a check (1024 requests)
  // 32 more, to the next check: a lead of 52 over 72 disputed (42.4).
  CHECK_FALSE(feed(leader, 32, false, true));
  // Back only when the GreedyDual-Size shadow leads over all requests, and beyond chance: not
  // after 64 wins (a lead of 12), but after 256 more (268 over 392 disputed: 99).
  CHECK_FALSE(feed(leader, 64, true, false));
  CHECK(feed(leader, 256, true, false));
}

TEST_CASE("leader choice: a lead beyond chance but within the margin changes nothing", "[predictive][model]") {
  leader_choice leader;
  CHECK(feed(leader, 32000, false, false)); // both miss: 32 000 misses each
  // A lead of 320 over 320 disputed (chance: 89) is 1 % of the other's misses: not enough.
  CHECK(feed(leader, 320, false, true));
  // 2 % of the other's misses is reached at a lead of 654.
  CHECK(feed(leader, 320, false, true));
  CHECK_FALSE(feed(leader, 32, false, true));
}

TEST_CASE("GreedyDual-Size shadow: with equal charges it is exactly LRU", "[predictive][model]") {
  // Random reads and writes over 300 keys into 50 entries, against a plain LRU list: the same
  // keys held after every step, and the same evictions in the same order.
  gds_shadow shadow(50, 1u << 20);
  std::vector<std::uint64_t> evicted, lru_evicted;
  shadow.report_evictions_to(&evicted);
  std::list<std::uint64_t> lru; // most recent first
  std::mt19937_64 random(7);
  for (int step = 0; step < 20000; ++step) {
    const std::uint64_t key = random() % 300;
    auto at = std::find(lru.begin(), lru.end(), key);
    if (random() % 3 != 0) { // a read, and a write after a miss
      const bool held = at != lru.end();
      REQUIRE(shadow.read(key) == held);
      if (held) {
        lru.splice(lru.begin(), lru, at);
        continue;
      }
    } else if (at != lru.end()) { // a write of a key held
      lru.erase(at);
    }
    shadow.write(key, 64);
    lru.push_front(key);
    if (lru.size() > 50) {
      lru_evicted.push_back(lru.back());
      lru.pop_back();
    }
  }
  CHECK(evicted == lru_evicted);
  CHECK(lru_evicted.size() > 10000);
  CHECK(shadow.entries() == lru.size());
  for (std::uint64_t key : lru) CHECK(shadow.holds(key));
}

TEST_CASE("GreedyDual-Size shadow: a large entry goes before smaller ones of its age, an old one ages out",
          "[predictive][model]") {
  // 100 bytes. Priorities are the inflation (the last evicted priority) + 1 / charge.
  gds_shadow shadow(100, 100);
  std::vector<std::uint64_t> evicted;
  shadow.report_evictions_to(&evicted);
  enum : std::uint64_t { a = 1, b, c, d, e, f, g, h };
  shadow.write(a, 10); // 0.1
  shadow.write(b, 50); // 0.02
  shadow.write(c, 40); // 0.025
  shadow.write(d, 10); // evicts b, not a, which LRU would; inflation 0.02, d 0.12
  CHECK(evicted == std::vector<std::uint64_t>{b});
  CHECK(shadow.read(c)); // 0.045
  shadow.write(e, 50);   // evicts c, read last but the lowest; e 0.065
  shadow.write(f, 50);   // evicts e; f 0.085
  shadow.write(g, 50);   // evicts f; g 0.105
  shadow.write(h, 50);   // evicts a (0.1): inflation has caught up with it; then g
  CHECK(evicted == std::vector<std::uint64_t>{b, c, e, f, a, g});
  CHECK(shadow.holds(d));
  CHECK(shadow.holds(h));
  CHECK(shadow.entries() == 2);
  shadow.write(a, 101); // larger than the bound: not kept, nothing evicted
  CHECK_FALSE(shadow.holds(a));
  CHECK(evicted.size() == 6);
  shadow.erase(d);
  CHECK_FALSE(shadow.holds(d));
  CHECK_FALSE(shadow.read(d));
}

TEST_CASE("GreedyDual-Size shadow: with mixed charges it evicts as the definition, one ordered set of all keys",
          "[predictive][model]") {
  // The shadow sorts only the heads of its per-charge lists; this reference sorts every key by
  // (priority, order set) and evicts the first, as Cao and Irani define it. Random reads, writes
  // (some replacing a key with another charge) and erases over 400 keys, 8 charges, both bounds.
  struct reference {
    std::set<std::tuple<double, std::uint64_t, std::uint64_t>> order; // (priority, tick, key)
    std::map<std::uint64_t, std::pair<decltype(order)::iterator, std::uint64_t>> at; // key → (rank, charge)
    std::uint64_t bytes = 0, ticks = 0;
    double inflation = 0;
    std::vector<std::uint64_t> evicted;
    void rank(std::uint64_t key, std::uint64_t charge) {
      at[key] = {order.emplace(inflation + 1.0 / static_cast<double>(charge), ++ticks, key).first, charge};
    }
    void erase(std::uint64_t key) {
      auto it = at.find(key);
      if (it == at.end()) return;
      bytes -= it->second.second;
      order.erase(it->second.first);
      at.erase(it);
    }
    bool read(std::uint64_t key) {
      auto it = at.find(key);
      if (it == at.end()) return false;
      const std::uint64_t charge = it->second.second;
      order.erase(it->second.first);
      rank(key, charge);
      return true;
    }
    void write(std::uint64_t key, std::uint64_t charge) {
      erase(key);
      while (!order.empty() && (at.size() + 1 > 60 || bytes + charge > 4000)) {
        const auto [priority, tick, victim] = *order.begin();
        inflation = priority;
        evicted.push_back(victim);
        erase(victim);
      }
      rank(key, charge);
      bytes += charge;
    }
  } ref;
  gds_shadow shadow(60, 4000);
  std::vector<std::uint64_t> evicted;
  shadow.report_evictions_to(&evicted);
  std::mt19937_64 random(11);
  const std::uint64_t charges[] = {8, 16, 24, 40, 64, 100, 128, 250};
  for (int step = 0; step < 30000; ++step) {
    const std::uint64_t key = random() % 400;
    const std::uint64_t charge = charges[random() % 8];
    switch (random() % 8) {
    case 0:
      shadow.erase(key);
      ref.erase(key);
      break;
    case 1:
      shadow.write(key, charge);
      ref.write(key, charge);
      break;
    default: {
      const bool held = ref.read(key);
      REQUIRE(shadow.read(key) == held);
      if (!held) {
        shadow.write(key, charge);
        ref.write(key, charge);
      }
    }
    }
  }
  CHECK(evicted == ref.evicted);
  CHECK(ref.evicted.size() > 10000);
  CHECK(shadow.entries() == ref.at.size());
  for (const auto& [key, where] : ref.at) CHECK(shadow.holds(key));
}

namespace {

/// Reads `key` through `store`, writing it on a miss (a read-through); returns whether it hit.
bool read_through(exact_store& store, const std::string& key) {
  std::string value;
  if (store.get("ns", key, value) == status::ok)
    return true;
  REQUIRE(store.put("ns", key, "v", {}) == status::ok);
  return false;
}

} // namespace

TEST_CASE("adaptive window: as exact as LRU where recency wins", "[predictive][model]") {
  // Every key is read twice, 60 reads apart: LRU of 100 hits every second read; W-TinyLFU's
  // window of 1 hands each newcomer to admission, where a key seen once does not win.
  store_config adaptive = tinylfu(100, 1u << 20, 0.01);
  adaptive.adaptive_window = true;
  exact_store follower(adaptive);
  exact_store plain(tinylfu(100, 1u << 20, 0.01));
  store_config lru_config = tinylfu(100, 1u << 20);
  lru_config.policy = eviction_policy::lru;
  exact_store lru(lru_config);
  CHECK(follower.window_fraction() == 1.0); // LRU until W-TinyLFU's shadow leads
  int follower_misses = 0, plain_misses = 0, lru_misses = 0;
  for (int i = 0; i < 20000; ++i) {
    const int k = i % 2 == 0 ? i / 2 : i / 2 - 30; // key i/2 now, key i/2 - 30 again
    if (k < 0) continue;
    const auto key = "k" + std::to_string(k);
    follower_misses += read_through(follower, key) ? 0 : 1;
    plain_misses += read_through(plain, key) ? 0 : 1;
    lru_misses += read_through(lru, key) ? 0 : 1;
  }
  CHECK(plain_misses > lru_misses + 5000); // the case it is for
  CHECK(follower_misses == lru_misses);
  CHECK(follower.window_fraction() == 1.0);
  CHECK(follower.leader_changes() == 0);
}

TEST_CASE("adaptive window: follows W-TinyLFU where frequency wins", "[predictive][model]") {
  // 50 hot keys, each read once every 150 reads between 100 keys read once: LRU of 100 never
  // hits, W-TinyLFU keeps the hot keys.
  store_config adaptive = tinylfu(100, 1u << 20, 0.01);
  adaptive.adaptive_window = true;
  exact_store follower(adaptive);
  int cold = 0, late_hits = 0, cold_after_switch = 0;
  std::uint64_t rejected_at_switch = 0;
  const int reads = 30000;
  for (int i = 0; i < reads; ++i) {
    const bool hot = i % 3 == 0;
    const auto key = hot ? "hot" + std::to_string((i / 3) % 50) : "cold" + std::to_string(cold++);
    const bool switched = follower.leader_changes() > 0;
    const bool hit = read_through(follower, key);
    if (i >= reads - 3000) late_hits += hit ? 1 : 0;
    if (!switched && follower.leader_changes() > 0) rejected_at_switch = follower.admissions_rejected();
    if (switched && !hot) ++cold_after_switch;
  }
  CHECK(follower.window_fraction() == Approx(0.01));
  CHECK(follower.leader_changes() == 1);
  CHECK(late_hits >= 900); // nearly every hot read of the last 3000 (1000 of them)
  // Each cold key the W-TinyLFU shadow refuses a place, the store drops, as refused by admission.
  CHECK(follower.admissions_rejected() - rejected_at_switch >= static_cast<std::uint64_t>(cold_after_switch) * 9 / 10);
}

TEST_CASE("adaptive window: after a switch the store converges to the shadow it follows at once",
          "[predictive][model]") {
  // As above, but the hot keys only start after 6000 cold reads, when the store is full of cold
  // keys (LRU's content). Once W-TinyLFU's shadow leads, the store holds what that shadow holds:
  // each hot key misses at most once more, so of the 200 hot reads after the switch (each of the
  // 50 keys four times) at least 150 hit.
  store_config adaptive = tinylfu(100, 1u << 20, 0.01);
  adaptive.adaptive_window = true;
  exact_store follower(adaptive);
  int cold = 0, hot_reads_after = 0, hot_hits_after = 0;
  bool switched = false;
  for (int i = 0; i < 30000 && hot_reads_after < 200; ++i) {
    const bool hot = i >= 6000 && i % 3 == 0;
    const auto key = hot ? "hot" + std::to_string((i / 3) % 50) : "cold" + std::to_string(cold++);
    const bool hit = read_through(follower, key);
    if (switched && hot) {
      ++hot_reads_after;
      hot_hits_after += hit ? 1 : 0;
    }
    switched = switched || follower.window_fraction() < 1.0;
  }
  REQUIRE(switched);
  CHECK(hot_reads_after == 200);
  CHECK(hot_hits_after >= 150);
  CHECK(follower.entries() <= 100);
}

TEST_CASE("adaptive window: a read returns its entry even when the shadow followed drops it",
          "[predictive][model]") {
  // A window of 0 entries: the W-TinyLFU shadow hands every write straight to admission, where
  // a cold key, charged 10 times a hot one, loses (per byte). After the switch, reading a cold
  // key the store still holds (a leftover of the LRU it followed) makes the shadow write and
  // reject it during the read.
  store_config adaptive = tinylfu(10, 1u << 20, 0.0);
  adaptive.adaptive_window = true;
  exact_store follower(adaptive);
  int cold = 0;
  std::string value;
  for (int i = 0; i < 20000 && follower.window_fraction() >= 1.0; ++i) {
    const bool hot = i % 3 == 0;
    const auto key = hot ? "hot" + std::to_string((i / 3) % 10) : "cold" + std::to_string(cold++);
    entry_options charged;
    charged.cost = hot ? 100 : 1000;
    if (follower.get("ns", key, value) != status::ok) REQUIRE(follower.put("ns", key, "v", charged) == status::ok);
  }
  REQUIRE(follower.window_fraction() < 1.0);
  int leftovers_read = 0;
  for (int c = cold - 1; c >= cold - 5; --c) {
    const auto key = "cold" + std::to_string(c);
    if (!follower.contains("ns", key)) continue;
    REQUIRE(follower.get("ns", key, value) == status::ok);
    CHECK(value == "v");
    ++leftovers_read;
  }
  CHECK(leftovers_read > 0);
}

TEST_CASE("prefetched entries count as used on their first read, as wasted when dropped unread",
          "[predictive][model]") {
  store_config c;
  c.shards = 1;
  c.max_entries = 2;
  exact_store store(c);
  std::string value;
  REQUIRE(store.put_prefetched("ns", "a", "1", {}) == status::ok);
  REQUIRE(store.put_prefetched("ns", "b", "2", {}) == status::ok);
  CHECK(store.prefetches_filled() == 2);
  REQUIRE(store.get("ns", "a", value) == status::ok);
  REQUIRE(store.get("ns", "a", value) == status::ok);
  CHECK(store.prefetches_used() == 1);
  REQUIRE(store.put("ns", "c", "3", {}) == status::ok); // evicts b, never read
  CHECK(store.prefetches_wasted() == 1);
  // A prefetch of a key written meanwhile replaces it but is no prefetch.
  REQUIRE(store.put_prefetched("ns", "c", "4", {}) == status::ok);
  CHECK(store.prefetches_filled() == 2);
  REQUIRE(store.get("ns", "c", value) == status::ok);
  CHECK(value == "4");
  CHECK(store.prefetches_used() == 1);
}
