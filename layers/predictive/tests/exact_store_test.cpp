#include "exact_store.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <thread>

using namespace std::chrono_literals;
using strata::entry_options;
using strata::layer_hit;
using strata::status;
using strata::predictive::exact_store;
using strata::predictive::store_config;

namespace {

store_config single_shard(std::uint64_t max_entries, std::uint64_t max_bytes = 1 << 20) {
  store_config c;
  c.max_entries = max_entries;
  c.max_bytes = max_bytes;
  c.shards = 1;
  return c;
}

entry_options with_tags(std::vector<std::string> tags) {
  entry_options o;
  o.tags = std::move(tags);
  return o;
}

entry_options with_ttl(std::chrono::milliseconds ttl) {
  entry_options o;
  o.ttl = ttl;
  return o;
}

entry_options with_cost(std::uint64_t cost) {
  entry_options o;
  o.cost = cost;
  return o;
}

bool has(exact_store& s, std::string_view ns, std::string_view key) {
  std::string v;
  return s.get(ns, key, v) == status::ok;
}

} // namespace

TEST_CASE("put, get, replace and erase", "[predictive]") {
  exact_store s{store_config{}};
  std::string v;
  CHECK(s.get("ns", "k", v) == status::not_found);
  REQUIRE(s.put("ns", "k", "v1", {}) == status::ok);
  REQUIRE(s.get("ns", "k", v) == status::ok);
  CHECK(v == "v1");
  CHECK(s.entries() == 1);
  CHECK(s.bytes() == 2 + 1 + 2 + exact_store::entry_overhead);

  REQUIRE(s.put("ns", "k", "a much longer value", {}) == status::ok);
  REQUIRE(s.get("ns", "k", v) == status::ok);
  CHECK(v == "a much longer value");
  CHECK(s.entries() == 1);
  CHECK(s.bytes() == 2 + 1 + 19 + exact_store::entry_overhead);

  CHECK(s.erase("ns", "k") == status::ok);
  CHECK(s.erase("ns", "k") == status::not_found);
  CHECK(s.get("ns", "k", v) == status::not_found);
  CHECK(s.entries() == 0);
  CHECK(s.bytes() == 0);
  CHECK(s.evictions_capacity() + s.evictions_expired() + s.evictions_invalidated() == 0);
}

TEST_CASE("the layer_hit get returns tags, cost and no ttl for a non-expiring entry", "[predictive]") {
  exact_store s{store_config{}};
  entry_options o = with_tags({"a", "b"});
  o.cost = 500;
  REQUIRE(s.put("ns", "k", "v", o) == status::ok);
  layer_hit hit;
  REQUIRE(s.get("ns", "k", hit) == status::ok);
  CHECK(hit.value == "v");
  CHECK(hit.meta.tags == std::vector<std::string>{"a", "b"});
  CHECK(hit.meta.cost == 500);
  CHECK(hit.meta.ttl == 0ms);
}

TEST_CASE("namespaces never cross", "[predictive]") {
  exact_store s{store_config{}};
  REQUIRE(s.put("a", "k", "in a", {}) == status::ok);
  REQUIRE(s.put("b", "k", "in b", {}) == status::ok);
  std::string v;
  REQUIRE(s.get("a", "k", v) == status::ok);
  CHECK(v == "in a");
  REQUIRE(s.get("b", "k", v) == status::ok);
  CHECK(v == "in b");
  CHECK(s.get("c", "k", v) == status::not_found);
  // Concatenations that coincide must not collide.
  REQUIRE(s.put("ab", "c", "ab|c", {}) == status::ok);
  CHECK(s.get("a", "bc", v) == status::not_found);

  CHECK(s.erase("a", "k") == status::ok);
  REQUIRE(s.get("b", "k", v) == status::ok);
  CHECK(v == "in b");
  CHECK(s.entries() == 2);
}

TEST_CASE("the namespace, key and value keep their bounds", "[predictive]") {
  // An entry keeps the three in one buffer: a key must not run into its value, nor a value
  // into the next field, whatever their sizes (empty, inline, allocated, with NUL bytes).
  exact_store s{store_config{}};
  const std::string long_value(1000, 'x');
  const std::string binary_value("a\0b\0", 4);
  REQUIRE(s.put("", "", "", {}) == status::ok);
  REQUIRE(s.put("", "k", "v1", {}) == status::ok);
  REQUIRE(s.put("ns", "a-key-longer-than-fifteen-bytes", long_value, {}) == status::ok);
  REQUIRE(s.put("ns", "bin", binary_value, {}) == status::ok);
  std::string v = "unchanged";
  REQUIRE(s.get("", "", v) == status::ok);
  CHECK(v.empty());
  REQUIRE(s.get("", "k", v) == status::ok);
  CHECK(v == "v1");
  CHECK(s.get("", "kv", v) == status::not_found);
  CHECK(s.get("", "kv1", v) == status::not_found);
  layer_hit hit;
  REQUIRE(s.get("ns", "a-key-longer-than-fifteen-bytes", hit) == status::ok);
  CHECK(hit.value == long_value);
  CHECK(hit.meta.cost == 0); // no cost given: the charge is the entry's size, not a cost
  REQUIRE(s.get("ns", "bin", v) == status::ok);
  CHECK(v == binary_value);
  CHECK(s.bytes() == 4 * exact_store::entry_overhead + 1 + 2 + 2 + 31 + 1000 + 2 + 3 + 4);
}

TEST_CASE("a TTL expires lazily on get and the remaining TTL is returned", "[predictive]") {
  exact_store s{store_config{}};
  REQUIRE(s.put("ns", "short", "v", with_ttl(30ms)) == status::ok);
  REQUIRE(s.put("ns", "long", "v", with_ttl(60s)) == status::ok);
  REQUIRE(s.put("ns", "forever", "v", {}) == status::ok);

  layer_hit hit;
  REQUIRE(s.get("ns", "long", hit) == status::ok);
  CHECK(hit.meta.ttl > 59s);
  CHECK(hit.meta.ttl <= 60s);
  REQUIRE(s.get("ns", "short", hit) == status::ok);
  CHECK(hit.meta.ttl >= 1ms);
  CHECK(hit.meta.ttl <= 30ms);

  std::this_thread::sleep_for(50ms);
  CHECK(s.get("ns", "short", hit) == status::not_found);
  CHECK(s.evictions_expired() == 1);
  CHECK(s.entries() == 2); // removed on that get, not merely hidden
  CHECK(has(s, "ns", "long"));
  CHECK(has(s, "ns", "forever"));
}

TEST_CASE("purge removes every expired entry and only those", "[predictive]") {
  store_config c;
  c.shards = 4;
  exact_store s{c};
  for (int i = 0; i < 20; ++i)
    REQUIRE(s.put("ns", "short" + std::to_string(i), "v", with_ttl(10ms)) == status::ok);
  REQUIRE(s.put("ns", "long", "v", with_ttl(60s)) == status::ok);
  REQUIRE(s.put("ns", "forever", "v", {}) == status::ok);

  CHECK(s.purge_expired() == 0);
  CHECK(s.expire_some(exact_store::clock::now() + 1s) == 20);
  CHECK(s.entries() == 2);
  CHECK(s.evictions_expired() == 20);
  CHECK(s.bytes() == 2 * exact_store::entry_overhead + 2 + 4 + 1 + 2 + 7 + 1);
  CHECK(s.expire_some(exact_store::clock::now() + 120s) == 1);
  CHECK(has(s, "ns", "forever"));
}

TEST_CASE("a default TTL applies to puts without one", "[predictive]") {
  store_config c;
  c.default_ttl = 20ms;
  exact_store s{c};
  REQUIRE(s.put("ns", "default", "v", {}) == status::ok);
  REQUIRE(s.put("ns", "own", "v", with_ttl(60s)) == status::ok);
  layer_hit hit;
  REQUIRE(s.get("ns", "default", hit) == status::ok);
  CHECK(hit.meta.ttl <= 20ms);
  std::this_thread::sleep_for(40ms);
  CHECK(s.purge_expired() == 1);
  CHECK(has(s, "ns", "own"));
}

TEST_CASE("a TTL beyond the clock's range keeps the entry rather than wrapping into the past", "[predictive]") {
  // 292 years of nanoseconds fill the steady clock's 64 bits: now + ttl overflowed, and the
  // entry was gone at once (with the old value the put replaced).
  exact_store s{store_config{}};
  for (const auto ttl : {std::chrono::milliseconds::max(), std::chrono::milliseconds(std::int64_t{1} << 53),
                         std::chrono::milliseconds(10'000'000'000'000)}) {
    REQUIRE(s.put("ns", "k", "v", with_ttl(ttl)) == status::ok);
    layer_hit hit;
    REQUIRE(s.get("ns", "k", hit) == status::ok);
    CHECK(hit.value == "v");
    CHECK(hit.meta.ttl > std::chrono::hours(24 * 365 * 200));
    CHECK(s.purge_expired() == 0);
  }
}

TEST_CASE("a negative TTL is invalid and changes nothing", "[predictive]") {
  exact_store s{store_config{}};
  REQUIRE(s.put("ns", "k", "old", {}) == status::ok);
  CHECK(s.put("ns", "k", "new", with_ttl(-5ms)) == status::invalid);
  std::string v;
  REQUIRE(s.get("ns", "k", v) == status::ok);
  CHECK(v == "old");
}

TEST_CASE("invalidate_tag removes only its namespace's entries", "[predictive]") {
  store_config c;
  c.shards = 4;
  exact_store s{c};
  for (int i = 0; i < 10; ++i) {
    REQUIRE(s.put("a", "k" + std::to_string(i), "v", with_tags({"t", "x"})) == status::ok);
    REQUIRE(s.put("b", "k" + std::to_string(i), "v", with_tags({"t"})) == status::ok);
  }
  REQUIRE(s.put("a", "other", "v", with_tags({"u"})) == status::ok);

  CHECK(s.invalidate_tag("a", "t") == 10);
  CHECK(s.evictions_invalidated() == 10);
  CHECK(s.entries() == 11);
  CHECK(!has(s, "a", "k3"));
  CHECK(has(s, "b", "k3"));
  CHECK(has(s, "a", "other"));
  // The removed entries also left the index of their other tag.
  CHECK(s.invalidate_tag("a", "x") == 0);
  CHECK(s.invalidate_tag("a", "t") == 0);
  CHECK(s.invalidate_tag("b", "t") == 10);
  CHECK(s.entries() == 1);
}

TEST_CASE("the tag index follows erase and replace", "[predictive]") {
  exact_store s{store_config{}};
  REQUIRE(s.put("ns", "erased", "v", with_tags({"t"})) == status::ok);
  REQUIRE(s.put("ns", "retagged", "v", with_tags({"t"})) == status::ok);
  REQUIRE(s.put("ns", "kept", "v", with_tags({"t", "t"})) == status::ok); // a tag twice

  REQUIRE(s.erase("ns", "erased") == status::ok);
  REQUIRE(s.put("ns", "retagged", "v2", with_tags({"other"})) == status::ok);
  REQUIRE(s.put("ns", "erased", "back", {}) == status::ok); // same key again, untagged

  CHECK(s.invalidate_tag("ns", "t") == 1);
  CHECK(!has(s, "ns", "kept"));
  CHECK(has(s, "ns", "erased"));
  CHECK(has(s, "ns", "retagged"));
  CHECK(s.invalidate_tag("ns", "other") == 1);
  CHECK(s.entries() == 1);
}

TEST_CASE("the entry bound evicts in exact LRU order with one shard", "[predictive]") {
  exact_store s{single_shard(3)};
  REQUIRE(s.put("ns", "a", "v", {}) == status::ok);
  REQUIRE(s.put("ns", "b", "v", {}) == status::ok);
  REQUIRE(s.put("ns", "c", "v", {}) == status::ok);

  SECTION("without reads the oldest write goes") {
    REQUIRE(s.put("ns", "d", "v", {}) == status::ok);
    CHECK(!has(s, "ns", "a"));
    CHECK(has(s, "ns", "b"));
    CHECK(has(s, "ns", "c"));
    CHECK(has(s, "ns", "d"));
  }
  SECTION("a read makes an entry recent") {
    REQUIRE(has(s, "ns", "a"));
    REQUIRE(s.put("ns", "d", "v", {}) == status::ok); // order was a, c, b: evicts b
    CHECK(!has(s, "ns", "b"));                         // order now d, a, c
    REQUIRE(s.put("ns", "e", "v", {}) == status::ok); // evicts c
    CHECK(!has(s, "ns", "c"));
    CHECK(has(s, "ns", "a"));
    CHECK(has(s, "ns", "d"));
    CHECK(has(s, "ns", "e"));
  }
  SECTION("a replacement makes an entry recent") {
    REQUIRE(s.put("ns", "a", "v2", {}) == status::ok);
    REQUIRE(s.put("ns", "d", "v", {}) == status::ok);
    CHECK(!has(s, "ns", "b"));
    CHECK(has(s, "ns", "a"));
  }
  CHECK(s.entries() == 3);
  CHECK(s.evictions_capacity() >= 1);
}

TEST_CASE("the byte bound uses cost and evicts until the entry fits", "[predictive]") {
  exact_store s{single_shard(100, 1000)};
  REQUIRE(s.put("ns", "a", "v", with_cost(400)) == status::ok);
  REQUIRE(s.put("ns", "b", "v", with_cost(400)) == status::ok);
  REQUIRE(s.put("ns", "c", "v", with_cost(150)) == status::ok);
  CHECK(s.bytes() == 950);
  CHECK(s.evictions_capacity() == 0);

  REQUIRE(has(s, "ns", "a")); // b is now least recently used
  REQUIRE(s.put("ns", "d", "v", with_cost(500)) == status::ok); // must drop b (400) and c (150)
  CHECK(!has(s, "ns", "b"));
  CHECK(!has(s, "ns", "c"));
  CHECK(has(s, "ns", "a"));
  CHECK(has(s, "ns", "d"));
  CHECK(s.bytes() == 900);
  CHECK(s.evictions_capacity() == 2);
}

TEST_CASE("an entry larger than the shard's bytes is rejected without evicting", "[predictive]") {
  exact_store s{single_shard(100, 1000)};
  REQUIRE(s.put("ns", "a", "v", with_cost(600)) == status::ok);
  REQUIRE(s.put("ns", "b", "v", with_cost(300)) == status::ok);
  CHECK(s.put("ns", "big", "v", with_cost(1001)) == status::rejected);
  CHECK(s.put("ns", "big", std::string(1000, 'x'), {}) == status::rejected); // measured size
  CHECK(s.entries() == 2);
  CHECK(s.bytes() == 900);
  CHECK(s.evictions_capacity() == 0);
  CHECK(!has(s, "ns", "big"));

  // A rejected replacement drops the stale value rather than keep serving it.
  CHECK(s.put("ns", "a", "v", with_cost(2000)) == status::rejected);
  CHECK(!has(s, "ns", "a"));
  CHECK(has(s, "ns", "b"));
}

TEST_CASE("a capacity victim that had already expired counts as expired", "[predictive]") {
  exact_store s{single_shard(1)};
  REQUIRE(s.put("ns", "a", "v", with_ttl(5ms)) == status::ok);
  std::this_thread::sleep_for(20ms);
  REQUIRE(s.put("ns", "b", "v", {}) == status::ok);
  REQUIRE(s.put("ns", "c", "v", {}) == status::ok);
  CHECK(s.evictions_expired() == 1);
  CHECK(s.evictions_capacity() == 1);
}

TEST_CASE("bounds are split across shards", "[predictive]") {
  store_config c;
  c.max_entries = 64;
  c.shards = 8;
  exact_store s{c};
  for (int i = 0; i < 1000; ++i) REQUIRE(s.put("ns", std::to_string(i), "v", {}) == status::ok);
  CHECK(s.entries() == 64); // every shard is full: eight entries each
  CHECK(s.evictions_capacity() == 1000 - 64);
  CHECK(s.shard_count() == 8);
}

TEST_CASE("a zero bound or shard count is refused", "[predictive]") {
  store_config c;
  c.shards = 0;
  CHECK_THROWS_AS(exact_store{c}, std::invalid_argument);
  c = store_config{};
  c.max_entries = 0;
  CHECK_THROWS_AS(exact_store{c}, std::invalid_argument);
  c = store_config{};
  c.max_bytes = 0;
  CHECK_THROWS_AS(exact_store{c}, std::invalid_argument);
}
