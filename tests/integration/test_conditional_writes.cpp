// Conditional puts (put_condition), expire and get_with_ttl through the coordinator: what Redis's
// SET NX / XX, EXPIRE and TTL need, checked on real plugin .so files.
#include "runtime_fixture.hpp"

#include <atomic>
#include <future>
#include <thread>
#include <vector>

using namespace strata;
using namespace std::chrono_literals;
using strata::testing::eventually;
using strata::testing::start;

namespace {

put_options when(put_condition condition, std::chrono::milliseconds ttl = 0ms) {
  put_options options;
  options.condition = condition;
  options.ttl = ttl;
  return options;
}

} // namespace

TEST_CASE("if_absent writes only a key no layer holds", "[runtime][conditional]") {
  auto rt = start("two_layers.yaml");
  CHECK(rt->put("k", "first", when(put_condition::if_absent)) == status::ok);
  CHECK(rt->put("k", "second", when(put_condition::if_absent)) == status::rejected);
  CHECK(rt->get("k").value == "first");
  REQUIRE(rt->erase("k") == status::ok);
  CHECK(rt->put("k", "third", when(put_condition::if_absent)) == status::ok);
  CHECK(rt->get("k").value == "third");
}

TEST_CASE("if_present writes only a key some layer holds", "[runtime][conditional]") {
  auto rt = start("two_layers.yaml");
  CHECK(rt->put("k", "v", when(put_condition::if_present)) == status::not_found);
  CHECK(rt->get("k").code == status::not_found);
  REQUIRE(rt->put("k", "v1") == status::ok);
  CHECK(rt->put("k", "v2", when(put_condition::if_present)) == status::ok);
  CHECK(rt->get("k").value == "v2");
}

TEST_CASE("the condition looks through the whole chain, not only the first layer", "[runtime][conditional]") {
  auto rt = start("write_around.yaml"); // puts reach only the deep layer
  REQUIRE(rt->put("k", "deep only") == status::ok);
  CHECK(rt->put("k", "other", when(put_condition::if_absent)) == status::rejected);
  CHECK(rt->put("k", "replaced", when(put_condition::if_present)) == status::ok);
  CHECK(rt->get("k").value == "replaced");
}

TEST_CASE("a layer that cannot answer the check may hold the key: nothing is written", "[runtime][conditional]") {
  // Its backend down, the deep layer answers unavailable (not a fault): it may hold the key, and
  // an if_absent that took it for absent wrote over it.
  auto rt = strata::testing::start_yaml("layers:\n  - {name: hot, plugin: predictive}\n"
                                        "  - {name: deep, plugin: test_map, config: {fail: unavailable_on_get}}\n");
  CHECK(rt->put("k", "v", when(put_condition::if_absent)) == status::unavailable);
  CHECK(rt->put("k", "v", when(put_condition::if_present)) == status::unavailable);
  CHECK(rt->expire("k", 10s) == status::unavailable);
  CHECK(rt->get("k").code == status::unavailable); // nothing in hot either
}

TEST_CASE("of concurrent if_absent puts of one key exactly one wins", "[runtime][conditional]") {
  auto rt = start("two_layers.yaml");
  for (int round = 0; round < 50; ++round) {
    const auto key = "race" + std::to_string(round);
    std::vector<std::future<status>> answers;
    for (int i = 0; i < 8; ++i)
      answers.push_back(rt->put_async(key, "writer" + std::to_string(i), when(put_condition::if_absent)));
    int won = -1, wins = 0;
    for (int i = 0; i < 8; ++i) {
      const auto s = answers[i].get();
      REQUIRE((s == status::ok || s == status::rejected));
      if (s == status::ok) {
        ++wins;
        won = i;
      }
    }
    REQUIRE(wins == 1);
    CHECK(rt->get(key).value == "writer" + std::to_string(won));
  }
}

TEST_CASE("writes that arrive during a conditional write's check keep their order", "[runtime][conditional]") {
  auto rt = start("two_layers.yaml");
  for (int round = 0; round < 50; ++round) {
    const auto key = "order" + std::to_string(round);
    auto conditional = rt->put_async(key, "conditional", when(put_condition::if_absent));
    auto plain = rt->put_async(key, "plain");
    auto erased = rt->erase_async(key + "-other");
    CHECK(conditional.get() == status::ok);
    CHECK(plain.get() == status::ok);
    CHECK(erased.get() == status::not_found);
    CHECK(rt->get(key).value == "plain");
  }
}

TEST_CASE("get_with_ttl reports the remaining time to live, even for a first-layer hit", "[runtime][conditional]") {
  auto rt = start("two_layers.yaml");
  put_options options;
  options.ttl = 60s;
  REQUIRE(rt->put("k", "v", options) == status::ok);
  const auto plain = rt->get("k");
  CHECK(plain.layer == "hot");
  CHECK_FALSE(plain.ttl.has_value()); // the read view reports values only
  const auto hit = rt->get_with_ttl("k");
  REQUIRE(hit.code == status::ok);
  REQUIRE(hit.ttl.has_value());
  CHECK(*hit.ttl > 55s);
  CHECK(*hit.ttl <= 60s);
  REQUIRE(rt->put("forever", "v") == status::ok);
  CHECK(rt->get_with_ttl("forever").ttl == 0ms);
  CHECK(rt->get_with_ttl("absent").code == status::not_found);
}

TEST_CASE("expire sets a new TTL and keeps the value and tags", "[runtime][conditional]") {
  auto rt = start("two_layers.yaml");
  CHECK(rt->expire("absent", 10s) == status::not_found);
  CHECK(rt->get("absent").code == status::not_found);
  put_options tagged;
  tagged.tags = {"group"};
  REQUIRE(rt->put("k", "v", tagged) == status::ok);
  CHECK(rt->get_with_ttl("k").ttl == 0ms);
  REQUIRE(rt->expire("k", 30s) == status::ok);
  const auto after = rt->get_with_ttl("k");
  CHECK(after.value == "v");
  REQUIRE(after.ttl.has_value());
  CHECK(*after.ttl > 25s);
  CHECK(rt->expire("k", 0ms) == status::ok); // no expiry any more
  CHECK(rt->get_with_ttl("k").ttl == 0ms);
  CHECK(rt->invalidate_tag("group").removed >= 1); // the tag survived both expires
  CHECK(rt->get("k").code == status::not_found);

  REQUIRE(rt->put("short", "v") == status::ok);
  REQUIRE(rt->expire("short", 50ms) == status::ok);
  CHECK(eventually([&] { return rt->get("short").code == status::not_found; }));
}
