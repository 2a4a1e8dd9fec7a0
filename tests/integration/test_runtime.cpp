// The runtime end to end: real plugin .so files, the coordinator, promotion, read-through,
// write policies, namespaces, tags, configuration errors and shutdown.
#include "runtime_fixture.hpp"
#include "support/nothing_layer.hpp"
#include "support/scratch_dir.hpp"
#include "support/static_layer.hpp"

#include <strata/sdk.hpp>
#include <strata/standalone_layer.hpp>
#include <strata/units.hpp>

#include <elf.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <cstdlib>
#include <fstream>
#include <future>
#include <mutex>
#include <vector>

using namespace strata;
using strata::testing::eventually;
using strata::testing::start;
using strata::testing::test_config;

namespace {

/// A loader that holds every load until `release`, then answers `value`; `entered` counts the
/// loads it holds, so that a test waits for one rather than for a time it hopes is enough.
loader_fn held_until(const std::atomic<bool>& release, std::string value, std::atomic<int>& entered) {
  return [&release, &entered, value = std::move(value)](std::string_view, std::string_view) -> std::optional<loaded_value> {
    ++entered;
    while (!release)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return loaded_value{value, {}};
  };
}

/// two_layers.yaml, with `adjust` applied to its configuration, started with `options`.
std::unique_ptr<runtime> start_adjusted(runtime_options options, const std::function<void(config&)>& adjust) {
  auto parsed = parse_config_file(test_config("two_layers.yaml"));
  REQUIRE(parsed.ok());
  adjust(*parsed.effective);
  auto started = runtime::from_config(*parsed.effective, std::move(options));
  if (!started)
    FAIL("runtime did not start: " << started.err().message);
  return std::move(*started);
}

/// A loader that counts its calls and takes 200 ms over each, answering "value of <key>".
loader_fn slow_counted(std::atomic<int>& calls) {
  return [&calls](std::string_view, std::string_view key) -> std::optional<loaded_value> {
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return loaded_value{"value of " + std::string(key), {}};
  };
}

/// A loader whose n-th call takes delays[n - 1] ms and answers "v<n>"; calls past the script
/// answer at once that the key does not exist. `returned` counts the calls that ended.
loader_fn scripted(std::vector<int> delays, std::atomic<int>& calls, std::atomic<int>& returned) {
  return [delays = std::move(delays), &calls, &returned](std::string_view, std::string_view) -> std::optional<loaded_value> {
    const auto n = static_cast<std::size_t>(++calls);
    std::optional<loaded_value> value;
    if (n <= delays.size()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(delays[n - 1]));
      value = loaded_value{"v" + std::to_string(n), {}};
    }
    ++returned;
    return value;
  };
}

/// Waits until `returned` reaches n, then long enough for the coordinator to have written back
/// what that call brought (a message to it, then a put to each layer): for checks that nothing was.
void wait_for_returns(const std::atomic<int>& returned, int n) {
  REQUIRE(eventually([&] { return returned >= n; }, std::chrono::seconds(10)));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
}

/// Puts layer `layer` answered `ok`: a host's puts, promotions and read-through fills.
double puts_taken(const runtime& rt, const std::string& layer) {
  double total = 0;
  for (const auto& family : rt.snapshot().metrics)
    if (family.name == "strata_cache_requests_total")
      for (const auto& sample : family.samples) {
        const auto has = [&](const char* name, const std::string& value) {
          return std::find(sample.labels.begin(), sample.labels.end(), std::make_pair(std::string(name), value)) !=
                 sample.labels.end();
        };
        if (has("cache_layer", layer) && has("operation", "put") && has("status", "ok"))
          total += sample.value;
      }
  return total;
}

/// A loader_timeout that a load answered at once meets even on a slow, shared machine under a
/// sanitizer, and the delay of a load that misses it.
constexpr std::chrono::milliseconds short_timeout{500};

/// Two loader threads, and short_timeout.
void two_loader_threads(config& c) {
  c.runtime.loader_threads = 2;
  c.runtime.loader_timeout = short_timeout;
}

/// A loader that holds the key "stuck" until `release`, and answers every key "value of <key>"
/// after `delay`.
loader_fn stuck_until(const std::atomic<bool>& release, std::chrono::milliseconds delay = {}) {
  return [&release, delay](std::string_view, std::string_view key) -> std::optional<loaded_value> {
    while (key == "stuck" && !release)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    std::this_thread::sleep_for(delay);
    return loaded_value{"value of " + std::string(key), {}};
  };
}

} // namespace

TEST_CASE("put, get, erase through two layers", "[runtime]") {
  auto rt = start("two_layers.yaml");
  CHECK(rt->get("k").code == status::not_found);
  REQUIRE(rt->put("k", "v1") == status::ok);
  auto hit = rt->get("k");
  CHECK(hit.code == status::ok);
  CHECK(hit.value == "v1");
  CHECK(hit.layer == "hot"); // served by layer 0's read view
  REQUIRE(rt->put("k", "v2") == status::ok);
  CHECK(rt->get("k").value == "v2");
  CHECK(rt->erase("k") == status::ok);
  CHECK(rt->get("k").code == status::not_found);
  CHECK(rt->erase("k") == status::not_found);
}

TEST_CASE("namespaces never answer for each other", "[runtime]") {
  auto rt = start("two_layers.yaml");
  put_options tenant_a;
  tenant_a.ns = "a";
  request_options in_b;
  in_b.ns = "b";
  REQUIRE(rt->put("k", "for a", tenant_a) == status::ok);
  CHECK(rt->get("k", tenant_a).value == "for a");
  CHECK(rt->get("k", in_b).code == status::not_found);
  CHECK(rt->get("k").code == status::not_found); // the default namespace
}

TEST_CASE("a deeper hit is promoted to the layer above", "[runtime]") {
  auto rt = start("write_around.yaml");
  REQUIRE(rt->put("k", "v") == status::ok); // written to deep only
  auto first = rt->get("k");
  CHECK(first.code == status::ok);
  CHECK(first.layer == "deep");
  CHECK(eventually([&] { return rt->get("k").layer == "hot"; }));
  CHECK(rt->get("k").value == "v");
  // A put skips hot but drops its promoted copy: the next get does not find the old value.
  REQUIRE(rt->put("k", "w") == status::ok);
  const auto after = rt->get("k");
  CHECK(after.value == "w");
  CHECK(after.layer == "deep");
  REQUIRE(eventually([&] { return rt->get("k").layer == "hot"; }));
  REQUIRE(rt->expire("k", std::chrono::milliseconds(100)) == status::ok); // the TTL reaches the copy's place
  CHECK(eventually([&] { return rt->get("k").code == status::not_found; }));
}

TEST_CASE("a completion callback that throws is logged and ignored, the runtime goes on", "[runtime]") {
  auto rt = start("write_around.yaml");
  std::promise<void> ran;
  rt->get_async("missing", {}, [&](get_result) {
    ran.set_value();
    throw std::runtime_error("the host's callback fails");
  });
  ran.get_future().wait();
  // Through the coordinator, which ran that callback: it still answers.
  REQUIRE(rt->put("k", "v") == status::ok);
  CHECK(rt->get_with_ttl("k").value == "v");
}

TEST_CASE("a put with an empty namespace, an empty tag or an unknown condition is invalid", "[runtime]") {
  auto rt = start("write_around.yaml");
  put_options no_ns;
  no_ns.ns = "";
  CHECK(rt->put("k", "v", no_ns) == status::invalid);
  put_options empty_tag;
  empty_tag.tags = {"t", ""};
  CHECK(rt->put("k", "v", empty_tag) == status::invalid);
  put_options unknown_condition; // a value of none of the enum's names: it wrote as `always`
  unknown_condition.condition = static_cast<put_condition>(9);
  CHECK(rt->put("k", "v", unknown_condition) == status::invalid);
  CHECK(rt->get("k").code == status::not_found); // nothing was written
}

TEST_CASE("a put or expire with a negative TTL, or one above 106481 days, is invalid and leaves the entry as it was",
          "[runtime]") {
  auto rt = start("write_around.yaml");
  REQUIRE(rt->put("k", "precious") == status::ok);
  put_options negative;
  negative.ttl = std::chrono::milliseconds(-1);
  CHECK(rt->put("k", "new", negative) == status::invalid);
  negative.condition = put_condition::if_present;
  CHECK(rt->put("k", "new", negative) == status::invalid);
  CHECK(rt->expire("k", std::chrono::milliseconds(-5)) == status::invalid);
  // Beyond the longest TTL, which HTTP and the Redis commands also refuse: it was cut to what the
  // clock holds.
  put_options too_long;
  too_long.ttl = strata::units::max_ttl + std::chrono::milliseconds(1);
  CHECK(rt->put("k", "new", too_long) == status::invalid);
  CHECK(rt->expire("k", std::chrono::milliseconds::max()) == status::invalid);
  // A layer refused it before: the failed put's undo erased the key from every layer.
  const auto kept = rt->get_with_ttl("k");
  CHECK(kept.code == status::ok);
  CHECK(kept.value == "precious");
  CHECK(kept.ttl == std::chrono::milliseconds(0));
}

TEST_CASE("a get erase or tag invalidation with an empty namespace or tag is invalid and calls no loader", "[runtime]") {
  std::atomic<int> calls{0};
  runtime_options options;
  options.loader = slow_counted(calls);
  auto rt = start_adjusted(std::move(options), [](config&) {});
  request_options no_ns;
  no_ns.ns = "";
  // A loaded value was written under "", where no front end could address or invalidate it.
  CHECK(rt->get("k", no_ns).code == status::invalid);
  CHECK(rt->get_async("k", no_ns).get().code == status::invalid);
  CHECK(rt->get_with_ttl("k", no_ns).code == status::invalid);
  CHECK(calls == 0);
  CHECK(rt->erase("k", no_ns) == status::invalid);
  CHECK(rt->invalidate_tag("t", no_ns).code == status::invalid);
  CHECK(rt->invalidate_tag("").code == status::invalid);
}

TEST_CASE("what a callback answered in the caller's thread throws is logged and ignored, as in an actor's", "[runtime]") {
  auto rt = start("two_layers.yaml");
  REQUIRE(rt->put("k", "v") == status::ok);
  const auto throwing = [](auto) { throw std::runtime_error("the host's bug"); };
  // A first-layer hit and a refusal run the callback before the call returns; it escaped from it.
  CHECK_NOTHROW(rt->get_async("k", {}, throwing));
  put_options no_ns;
  no_ns.ns = "";
  CHECK_NOTHROW(rt->put_async("k", "v", no_ns, throwing));
  CHECK(rt->get("k").value == "v");
}

TEST_CASE("an empty completion callback is refused at the call and nothing is done", "[runtime]") {
  // It was called with the answer once the request had run: a put landed, and the log said only
  // that a callback threw bad_function_call.
  auto rt = start("two_layers.yaml");
  REQUIRE(rt->put("kept", "v") == status::ok);
  const auto refused = [](const char* function) {
    return Catch::Matchers::Contains(std::string("strata::runtime::") + function +
                                     ": the completion callback is empty");
  };
  CHECK_THROWS_AS(rt->put_async("k", "v", {}, nullptr), std::invalid_argument);
  CHECK_THROWS_WITH(rt->put_async("k", "v", {}, nullptr), refused("put_async"));
  CHECK_THROWS_WITH(rt->get_async("kept", {}, nullptr), refused("get_async"));
  CHECK_THROWS_WITH(rt->get_with_ttl_async("kept", {}, nullptr), refused("get_with_ttl_async"));
  CHECK_THROWS_WITH(rt->erase_async("kept", {}, nullptr), refused("erase_async"));
  CHECK_THROWS_WITH(rt->expire_async("kept", std::chrono::seconds(1), {}, nullptr), refused("expire_async"));
  CHECK(rt->get("k").code == status::not_found);
  const auto kept = rt->get_with_ttl("kept");
  CHECK(kept.value == "v");
  CHECK(kept.ttl == std::chrono::milliseconds(0));
}

TEST_CASE("a put that no layer takes is rejected, not acknowledged", "[runtime]") {
  // Every layer write: around: an ok would tell the caller the value was kept.
  auto rt = start("all_around.yaml");
  CHECK(rt->put("k", "v") == status::rejected);
  CHECK(rt->get("k").code == status::not_found);
}

TEST_CASE("a put one layer declines and another keeps is ok, the declining layer drops its old value", "[runtime]") {
  auto rt = strata::testing::start_yaml(
    "layers:\n  - {name: hot, plugin: predictive, config: {max_bytes: 4KiB, shards: 1}}\n"
    "  - {name: deep, plugin: test_map}\n");
  REQUIRE(rt->put("k", "small") == status::ok);
  REQUIRE(rt->get("k").layer == "hot");
  put_options too_heavy;
  too_heavy.cost = 5000; // more than hot's whole bound
  CHECK(rt->put("k", "large", too_heavy) == status::ok); // it was rejected, though deep kept it
  const auto after = rt->get("k");
  CHECK(after.value == "large");
  CHECK(after.layer == "deep");
}

TEST_CASE("promotion can be switched off per layer", "[runtime]") {
  auto rt = start("no_promotion.yaml");
  REQUIRE(rt->put("k", "v") == status::ok);
  for (int i = 0; i < 5; ++i)
    CHECK(rt->get("k").layer == "deep");
}

TEST_CASE("a promoted entry keeps its TTL and tags", "[runtime]") {
  auto rt = start("write_around.yaml");
  put_options options;
  options.ttl = std::chrono::seconds(2); // the put, get, promotion and invalidation happen within it
  options.tags = {"t"};
  REQUIRE(rt->put("k", "v", options) == status::ok);
  REQUIRE(rt->get("k").layer == "deep");
  REQUIRE(eventually([&] { return rt->get("k").layer == "hot"; }));
  // The tag reached the promoted copy: invalidation removes it from both layers.
  auto removed = rt->invalidate_tag("t");
  CHECK(removed.code == status::ok);
  CHECK(removed.removed == 2);
  CHECK(rt->get("k").code == status::not_found);
  // The TTL reached it too.
  REQUIRE(rt->put("e", "v", options) == status::ok);
  REQUIRE(eventually([&] { return rt->get("e").layer == "hot"; }));
  CHECK(eventually([&] { return rt->get("e").code == status::not_found; }));
}

TEST_CASE("a promoted copy never outlives the entry it was copied from", "[runtime]") {
  // The copy took the TTL the deeper layer reported, rounded up to whole milliseconds, from when
  // the layer above applied it: it expired up to a few milliseconds after the original.
  auto rt = start("write_around.yaml");
  put_options options;
  options.ttl = std::chrono::seconds(10);
  REQUIRE(rt->put("k", "v", options) == status::ok);
  const auto original = rt->get("k"); // from deep, which reports what it has left
  REQUIRE(original.layer == "deep");
  REQUIRE(eventually([&] { return rt->get("k").layer == "hot"; }));
  const auto copy = rt->get_with_ttl("k");
  REQUIRE(copy.layer == "hot");
  REQUIRE((original.ttl && copy.ttl));
  CHECK(*copy.ttl <= *original.ttl - std::chrono::milliseconds(1));
}

TEST_CASE("tags invalidate every layer, within one namespace", "[runtime]") {
  auto rt = start("two_layers.yaml");
  put_options tagged;
  tagged.tags = {"user:1"};
  put_options other_ns = tagged;
  other_ns.ns = "other";
  REQUIRE(rt->put("a", "1", tagged) == status::ok);
  REQUIRE(rt->put("b", "2", tagged) == status::ok);
  REQUIRE(rt->put("c", "3") == status::ok);
  REQUIRE(rt->put("a", "1", other_ns) == status::ok);
  auto result = rt->invalidate_tag("user:1");
  CHECK(result.code == status::ok);
  CHECK(result.removed == 4); // a and b, in both layers
  CHECK(rt->get("a").code == status::not_found);
  CHECK(rt->get("b").code == status::not_found);
  CHECK(rt->get("c").value == "3");
  request_options in_other;
  in_other.ns = "other";
  CHECK(rt->get("a", in_other).value == "1");
}

TEST_CASE("write behind acknowledges before the deeper layer has written", "[runtime]") {
  auto rt = start("write_behind.yaml");
  REQUIRE(rt->put("k", "v") == status::ok);
  CHECK(rt->get("k").layer == "hot");
  REQUIRE(rt->erase("k") == status::ok); // erase reaches every layer, whatever the write policy
  CHECK(rt->get("k").code == status::not_found);
}

TEST_CASE("a first layer written behind serves no value older than an answered put", "[runtime]") {
  // Its read view answered in the caller's thread while the layer was still applying the put
  // (not waited for), so a get right after the put's answer had the value before it.
  auto rt = strata::testing::start_yaml(R"(
layers:
  - {name: hot, plugin: test_map, write: behind, deadline: 5s, config: {fail: viewed_slow_puts, hang: 300ms}}
  - {name: deep, plugin: predictive}
)");
  REQUIRE(rt->put("k", "v1") == status::ok);
  REQUIRE(eventually([&] { return rt->get("k").layer == "hot"; }));
  REQUIRE(rt->put("k", "v2") == status::ok); // answered by deep; hot takes 300 ms more
  const auto read = rt->get("k");
  CHECK(read.value == "v2");
}

TEST_CASE("read-through: a full miss calls the loader and writes the value back", "[runtime]") {
  std::atomic<int> calls{0};
  runtime_options options;
  options.loader = [&](std::string_view ns, std::string_view key) -> std::optional<loaded_value> {
    ++calls;
    if (key == "absent")
      return std::nullopt;
    return loaded_value{std::string(ns) + "/" + std::string(key) + "=loaded", {}};
  };
  auto rt = start("two_layers.yaml", options);
  auto first = rt->get("k");
  CHECK(first.code == status::ok);
  CHECK(first.value == "default/k=loaded");
  CHECK(first.layer == "loader");
  CHECK(eventually([&] { return rt->get("k").layer == "hot"; }));
  CHECK(calls == 1);
  CHECK(rt->get("absent").code == status::not_found);
  CHECK(calls == 2);
}

TEST_CASE("read-through: concurrent misses for one key share one load", "[runtime]") {
  // Also with the longest loader_timeout a file may give: twice it overflowed the clock's count,
  // and each miss took the load in hand for one stuck past it, and called again.
  for (const auto loader_timeout : {std::chrono::milliseconds(5000), strata::units::max_ttl}) {
    INFO("loader_timeout " << loader_timeout.count() << " ms");
    std::atomic<int> calls{0};
    runtime_options options;
    options.loader = slow_counted(calls);
    auto rt = start_adjusted(options, [&](config& c) { c.runtime.loader_timeout = loader_timeout; });
    std::vector<std::future<get_result>> pending;
    for (int i = 0; i < 16; ++i)
      pending.push_back(rt->get_async("slow"));
    for (auto& f : pending) {
      auto r = f.get();
      CHECK(r.code == status::ok);
      CHECK(r.value == "value of slow");
    }
    CHECK(calls == 1);
  }
}

TEST_CASE("read-through: a miss whose walk began before a load answered takes its answer", "[runtime]") {
  // The second get asks the slow layer while the load is out and hears back after it answered:
  // its walk missed because it asked before the loaded value reached the layer, and it called the
  // loader again (a second model call for one prompt).
  std::atomic<bool> release{false};
  std::atomic<int> entered{0};
  runtime_options options;
  options.loader = [&](std::string_view, std::string_view key) -> std::optional<loaded_value> {
    ++entered;
    while (!release)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (key == "absent")
      return std::nullopt;
    loaded_value loaded{"loaded", {}};
    loaded.options.ttl = key == "brief" ? std::chrono::milliseconds(100) : std::chrono::minutes(1);
    return loaded;
  };
  auto rt = strata::testing::start_yaml(R"(
layers:
  - {name: slow, plugin: test_map, deadline: 5s, config: {fail: hang_on_get, hang: 400ms}}
)",
                                        std::move(options));
  // "brief" lives 100 ms: its answer has run out when the second walk ends, ~250 ms after it,
  // and the layer let the value go, so that get calls again.
  for (const std::string key : {"brief", "k", "absent"}) {
    INFO(key);
    release = false;
    entered = 0;
    auto first = rt->get_async(key);
    const bool in_flight = eventually([&] { return entered == 1; });
    auto second = rt->get_async(key); // its get of the layer is out for 400 ms
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    release = true;
    REQUIRE(in_flight);
    const auto answers = {first.get(), second.get()};
    for (const auto& answer : answers) {
      CHECK(answer.code == (key == "absent" ? status::not_found : status::ok));
      CHECK(answer.value == (key == "absent" ? "" : "loaded"));
    }
    CHECK(entered == (key == "brief" ? 2 : 1));
    if (key == "k") // what is left of the TTL, ~250 ms later
      CHECK(answers.begin()[1].ttl < std::chrono::minutes(1));
  }
  // A get that begins after the answer finds the value in the layer; one of a key found nowhere
  // calls again.
  CHECK(rt->get("k").layer == "slow");
  CHECK(rt->get("absent").code == status::not_found);
  CHECK(entered == 2);
}

TEST_CASE("read-through: misses of two namespaces never share a load whatever bytes they hold", "[runtime]") {
  using namespace std::string_literals;
  std::atomic<int> calls{0};
  runtime_options options;
  options.loader = [&](std::string_view ns, std::string_view key) -> std::optional<loaded_value> {
    ++calls;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    return loaded_value{std::string(ns) + "|" + std::string(key), {}};
  };
  auto rt = start("two_layers.yaml", options);
  request_options a, b;
  a.ns = "a";
  b.ns = "a\0b"s;
  auto first = rt->get_async("b\0c"s, a); // with a bare separator, ("a", "b\0c") was ("a\0b", "c")
  auto second = rt->get_async("c", b);
  CHECK(first.get().value == "a|b\0c"s);
  CHECK(second.get().value == "a\0b|c"s);
  CHECK(calls == 2);
}

TEST_CASE("read-through: a load superseded by a put is not written back", "[runtime]") {
  std::atomic<bool> release{false};
  runtime_options options;
  std::atomic<int> entered{0};
  options.loader = held_until(release, "stale", entered);
  auto rt = start("two_layers.yaml", options);
  auto loading = rt->get_async("k");
  const bool in_flight = eventually([&] { return entered == 1; });
  if (!in_flight)
    release = true; // a load that starts later would otherwise hold the runtime's stop for ever
  REQUIRE(in_flight);
  REQUIRE(rt->put("k", "fresh") == status::ok);
  release = true;
  CHECK(loading.get().value == "stale"); // it asked before the put
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(rt->get("k").value == "fresh");
}

TEST_CASE("read-through: a tag invalidation supersedes the loads of its namespace only", "[runtime]") {
  std::atomic<bool> release{false};
  std::atomic<int> calls{0};
  runtime_options options;
  options.loader = [&](std::string_view ns, std::string_view) -> std::optional<loaded_value> {
    ++calls;
    while (!release)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return loaded_value{"loaded in " + std::string(ns), {}};
  };
  auto rt = start("two_layers.yaml", options);
  request_options tenant_a, tenant_b;
  tenant_a.ns = "a";
  tenant_b.ns = "b";
  auto in_a = rt->get_async("k", tenant_a);
  auto in_b = rt->get_async("k", tenant_b);
  REQUIRE(eventually([&] { return calls == 2; })); // both loads in flight
  CHECK(rt->invalidate_tag("t", tenant_b).code == status::ok);
  release = true;
  CHECK(in_a.get().value == "loaded in a");
  CHECK(in_b.get().value == "loaded in b");
  // a's load was kept (another tenant's invalidation cannot touch it: every load was thrown away,
  // and one tenant's invalidations kept another's loads from being cached); b's was not.
  CHECK(eventually([&] { return rt->get("k", tenant_a).layer == "hot"; }));
  CHECK(rt->get("k", tenant_b).layer == "loader");
  CHECK(calls == 3);
}

TEST_CASE("a log file in a directory that does not exist is refused, not made", "[runtime]") {
  strata::test::scratch_dir dir;
  const auto missing = dir.path / "no-such-dir";
  const auto log_file = (missing / "runtime.log").string();
  auto parsed = parse_config_file(test_config("two_layers.yaml"));
  REQUIRE(parsed.ok());
  parsed.effective->logging.output = log_file;
  auto refused = runtime::from_config(*parsed.effective);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.err().message, Catch::Contains("logging.output: cannot open '" + log_file + "': its directory '" +
                                                    missing.string() + "' does not exist"));
  CHECK_FALSE(std::filesystem::exists(missing));
}

TEST_CASE("a loader that throws gives that get an error and the log its message", "[runtime]") {
  strata::test::scratch_dir dir;
  const auto log_file = (dir.path / "runtime.log").string();
  runtime_options options;
  options.loader = [](std::string_view, std::string_view) -> std::optional<loaded_value> {
    throw std::runtime_error("backend down at db.example:5432");
  };
  auto rt = start_adjusted(std::move(options), [&](config& c) { c.logging.output = log_file; });
  CHECK(rt->get("k").code == status::internal);
  REQUIRE(rt->put("k", "v") == status::ok);
  CHECK(rt->get("k").value == "v");
  rt.reset(); // flushes the log
  std::ifstream in(log_file);
  const std::string logged{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  CHECK_THAT(logged, Catch::Contains("read-through load of 'k' (namespace 'default') failed") &&
                       Catch::Contains("loader threw: backend down at db.example:5432"));
}

TEST_CASE("a loaded entry a put would be refused for is an error and is not kept", "[runtime]") {
  for (const bool negative_ttl : {true, false}) {
    INFO((negative_ttl ? "a negative TTL" : "an empty tag"));
    std::atomic<int> calls{0};
    runtime_options options;
    options.loader = [&](std::string_view, std::string_view) -> std::optional<loaded_value> {
      ++calls;
      loaded_value loaded{"v", {}};
      if (negative_ttl)
        loaded.options.ttl = std::chrono::milliseconds(-1000);
      else
        loaded.options.tags = {""}; // cached, it could never be invalidated by tag
      return loaded;
    };
    auto rt = start("two_layers.yaml", options);
    CHECK(rt->get("k").code == status::internal);
    CHECK(rt->get("k").code == status::internal);
    CHECK(calls == 2); // nothing kept
  }
}

TEST_CASE("async variants: futures and callbacks", "[runtime]") {
  auto rt = start("two_layers.yaml");
  put_options options;
  options.tags = {"t"};
  CHECK(rt->put_async("k", "v", options).get() == status::ok);
  CHECK(rt->get_async("k").get().value == "v");
  std::promise<get_result> via_callback;
  rt->get_async("k", {}, [&](get_result r) { via_callback.set_value(std::move(r)); });
  CHECK(via_callback.get_future().get().value == "v");
  std::promise<status> put_done;
  rt->put_async("k2", "v2", {}, [&](status s) { put_done.set_value(s); });
  CHECK(put_done.get_future().get() == status::ok);
  CHECK(rt->invalidate_tag_async("t").get().removed == 2);
  CHECK(rt->erase_async("k2").get() == status::ok);
  CHECK(rt->get("k2").code == status::not_found);
}

TEST_CASE("shutdown drains in-flight requests, then refuses new ones", "[runtime]") {
  // 2000 puts queue in the layers at once: a generous deadline, so that a loaded machine cannot
  // turn the queueing into timeouts (this test is about draining, not deadlines).
  auto rt = strata::testing::start_yaml(R"(layers:
  - {name: hot, plugin: predictive, deadline: 10s, config: {max_entries: 1000, shards: 1}}
  - {name: deep, plugin: test_map, deadline: 10s}
)");
  std::vector<std::future<status>> puts;
  for (int i = 0; i < 2000; ++i)
    puts.push_back(rt->put_async("k" + std::to_string(i), "v"));
  rt->shutdown();
  for (auto& f : puts)
    CHECK(f.get() == status::ok);
  CHECK(rt->get("k1").code == status::unavailable);
  CHECK(rt->put("k", "v") == status::unavailable);
  rt->shutdown(); // idempotent
}

TEST_CASE("a runtime can be built from a config object", "[runtime]") {
  config cfg;
  layer_config hot;
  hot.name = "hot";
  hot.plugin = "predictive";
  hot.settings = {{"max_entries", "10"}};
  cfg.layers.push_back(hot);
  auto rt = runtime::from_config(cfg);
  REQUIRE(rt);
  REQUIRE((*rt)->put("k", "v") == status::ok);
  CHECK((*rt)->get("k").value == "v");
  // Defaults were filled from the plugin's schema.
  CHECK((*rt)->effective_config().layers[0].settings.at("max_bytes") == "64MiB");
  CHECK((*rt)->effective_config().layers[0].settings.at("max_entries") == "10");
}

TEST_CASE("a bad config object is refused before anything starts", "[runtime][config]") {
  config cfg;
  layer_config hot;
  hot.name = "hot";
  hot.plugin = "predictive";
  hot.settings = {{"max_entries", "-1"}};
  cfg.layers = {hot, hot};
  auto rt = runtime::from_config(cfg);
  REQUIRE_FALSE(rt);
  CHECK(rt.err().message.find("<config>: layers[1].name: duplicate layer name 'hot'") != std::string::npos);
  CHECK(rt.err().message.find("layers[0].config.max_entries") != std::string::npos);
}

TEST_CASE("plugin settings errors are reported with file:line:column", "[runtime][config]") {
  auto rt = runtime::from_file(test_config("bad_settings.yaml"));
  REQUIRE_FALSE(rt);
  const auto& message = rt.err().message;
  const auto file = test_config("bad_settings.yaml");
  INFO(message);
  CHECK(message.find(file + ":5:20: layers[0].config.max_entries:") != std::string::npos);
  CHECK(message.find(file + ":6:18: layers[0].config.max_bytes:") != std::string::npos);
  CHECK(message.find(file + ":7:7: layers[0].config.colour:") != std::string::npos);
  CHECK(message.find(file + ":9:13: layers[1].plugin: no plugin named 'no_such_plugin'") != std::string::npos);
}

TEST_CASE("a plugin of another ABI named in the YAML stops the start", "[runtime][loader]") {
  ::setenv("STRATA_TEST_PLUGIN_DIR", STRATA_TEST_PLUGIN_DIR, 1);
  auto rt = runtime::from_file(test_config("bad_abi.yaml"));
  REQUIRE_FALSE(rt);
  const auto& message = rt.err().message;
  INFO(message);
  CHECK(message.find(test_config("bad_abi.yaml") + ":2:12: plugins.files[0]: plugin " STRATA_TEST_PLUGIN_DIR
                     "/libstrata_test_bad_abi.so: symbol strata_plugin_entry: built for plugin ABI 2.0") !=
        std::string::npos);
}

TEST_CASE("a plugin's several refusals are each at the key they name, or at the instance", "[runtime][loader]") {
  // Given in this order, the reason that names no key went on the one before it, unplaced and
  // uncounted; a quoted value's line break stays in its reason, escaped so that the error stays on
  // its line.
  auto parsed = parse_config("plugins: {path: [\"" STRATA_TEST_PLUGIN_DIR "\"]}\n"
                             "layers:\n  - name: odd\n    plugin: test_refusing_check\n"
                             "    config: {a: x, b: \"two\\nlines\", c: z}\n",
                             "x.yaml");
  REQUIRE(parsed.ok());
  const auto report = validate(*parsed.effective);
  REQUIRE(report.errors.size() == 3);
  CHECK(report.errors[0].path == "layers[0].config.a");
  CHECK(report.errors[1].path == "layers[0].config.b");
  CHECK(report.errors[1].message == "plugin 'test_refusing_check': 'two\\nlines' is not ok");
  CHECK(report.errors[2].path == "layers[0]");
  CHECK(report.errors[2].message == "plugin 'test_refusing_check': the settings do not go together");
  // A reason whose key stands alone on its first line: the key went on as "d:" before a raw line break.
  auto alone = parse_config("plugins: {path: [\"" STRATA_TEST_PLUGIN_DIR "\"]}\n"
                            "layers:\n  - {name: odd, plugin: test_refusing_check, config: {d: x}}\n", "x.yaml");
  REQUIRE(alone.ok());
  const auto alone_report = validate(*alone.effective);
  REQUIRE(alone_report.errors.size() == 1);
  CHECK(alone_report.errors[0].path == "layers[0].config.d");
  CHECK(alone_report.errors[0].message == "plugin 'test_refusing_check': the reason begins on the next line");
}

TEST_CASE("a layer whose plugin file plugins.files refused has that one error and no other", "[runtime][loader]") {
  auto parsed = parse_config("plugins: {files: [\"" STRATA_TEST_PLUGIN_DIR "/libstrata_test_bad_abi.so\"]}\n"
                             "layers: [{name: odd, plugin: test_bad_abi}]\n", "x.yaml");
  REQUIRE(parsed.ok());
  const auto report = validate(*parsed.effective);
  REQUIRE(report.errors.size() == 1); // not also "no plugin named 'test_bad_abi' ... none was found"
  CHECK(report.errors[0].path == "plugins.files[0]");
}

TEST_CASE("an unknown key of a plugin names the file whose schema refused it", "[runtime][loader]") {
  // plugins.files takes precedence over a plugin of the same name on the path: an older build
  // named there refuses keys the one on the path knows, and the error says which file it was.
  auto parsed = parse_config("plugins: {files: [\"" STRATA_TEST_PLUGIN_DIR "/libstrata_predictive.so\"]}\n"
                             "layers: [{name: hot, plugin: predictive, config: {colour: red}}]\n", "x.yaml");
  REQUIRE(parsed.ok());
  const auto report = validate(*parsed.effective);
  REQUIRE(report.errors.size() == 1);
  CHECK_THAT(report.errors[0].to_string(),
             Catch::StartsWith("x.yaml:2:51: layers[0].config.colour: unknown key 'colour' for plugin 'predictive' "
                               "(" STRATA_TEST_PLUGIN_DIR "/libstrata_predictive.so); allowed: max_entries"));
}

TEST_CASE("a start from a file that does not parse whole reports the plugins' errors too", "[runtime][loader]") {
  auto rt = runtime::from_file(test_config("partly_parsed.yaml"));
  REQUIRE_FALSE(rt);
  const auto& message = rt.err().message;
  INFO(message);
  CHECK(message.find(":6:12: runtime.threads: expected an integer") != std::string::npos);
  CHECK(message.find(":17:15: layers[2].deadline: expected a duration greater than 0") != std::string::npos);
  CHECK(message.find(":19:15: layers[2].config.window: '7' is above the maximum of 1") != std::string::npos);
  CHECK(message.find(":24:15: layers[3].config.policy: plugin 'predictive': 'bogus'") != std::string::npos);
  CHECK(message.find("missing required key") == std::string::npos); // the url is there; it did not parse
  CHECK(std::count(message.begin(), message.end(), '\n') == 8); // nine errors, one per line
}

TEST_CASE("a plugin file cut short is refused rather than loaded", "[runtime][loader]") {
  // dlopen maps a truncated library's segments past the end of the file, and the process died of
  // SIGBUS when it touched them.
  std::ifstream in(STRATA_TEST_PLUGIN_DIR "/libstrata_predictive.so", std::ios::binary);
  const std::string whole{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  REQUIRE(whole.size() > 100000);
  strata::test::scratch_dir dir;
  for (const bool without_section_headers : {false, true}) {
    INFO((without_section_headers ? "no section headers (stripped)" : "as built"));
    Elf64_Ehdr header;
    std::memcpy(&header, whole.data(), sizeof header);
    // Cut inside the last loaded segment: what follows it (symbols, debug information) is not loaded.
    std::uint64_t loaded_end = 0;
    for (int i = 0; i < header.e_phnum; ++i) {
      Elf64_Phdr segment;
      std::memcpy(&segment, whole.data() + header.e_phoff + i * header.e_phentsize, sizeof segment);
      if (segment.p_type == PT_LOAD)
        loaded_end = std::max<std::uint64_t>(loaded_end, segment.p_offset + segment.p_filesz);
    }
    REQUIRE(loaded_end > 4096);
    auto cut = whole.substr(0, loaded_end - 4096);
    if (without_section_headers) {
      header.e_shoff = 0;
      header.e_shnum = 0;
      std::memcpy(cut.data(), &header, sizeof header);
    }
    const auto file = (dir.path / "libstrata_cut.so").string();
    std::ofstream(file, std::ios::binary) << cut;
    auto parsed = parse_config("plugins: {files: [\"" + file + "\"]}\nlayers: [{name: hot, plugin: predictive}]\n", "x.yaml");
    REQUIRE(parsed.ok());
    const auto report = validate(*parsed.effective);
    REQUIRE(report.errors.size() == 1);
    CHECK_THAT(report.errors[0].message,
               Catch::StartsWith("plugin " + file + ": truncated or corrupt shared library: its " +
                                 (without_section_headers ? "segment #" : "section headers end at byte")));
  }
}

TEST_CASE("a start from a file that does not parse whole keeps each instance at its index", "[runtime][loader]") {
  // A layer that is not a mapping was left out of the partial configuration: the layers after it
  // moved up one, and their errors were reported at the wrong place, or hidden.
  strata::test::scratch_dir dir;
  const auto file = (dir.path / "d.yaml").string();
  static const strata_plugin_descriptor only_in_code = {
    STRATA_ABI_MAJOR, STRATA_ABI_MINOR, "only_in_code", "1.0", STRATA_PLUGIN_LAYER, 0, nullptr, 0,
    [](const strata_plugin_context*, char*, size_t) -> void* { return nullptr; }, [](void*) {}, nullptr, 0, nullptr, 0};
  std::ofstream(file) << "plugins: {path: [\"" STRATA_TEST_PLUGIN_DIR "\"]}\n"
                         "layers:\n"
                         "  - hot\n"
                         "  - {name: warm, plugin: predictive, config: {colour: x}}\n"
                         "  - {name: cold, plugin: predictive, config: {window: 7}}\n"
                         "  - {name: mine, plugin: only_in_code}\n";
  runtime_options options;
  options.static_plugins = {&only_in_code};
  auto rt = runtime::from_file(file, std::move(options));
  REQUIRE_FALSE(rt);
  const auto& message = rt.err().message;
  INFO(message);
  CHECK(message.find(":3:5: layers[0]: expected a mapping") != std::string::npos);
  CHECK(message.find(":4:47: layers[1].config.colour: unknown key 'colour'") != std::string::npos);
  CHECK(message.find(":5:55: layers[2].config.window: '7' is above the maximum of 1") != std::string::npos);
  CHECK(message.find("only_in_code") == std::string::npos); // the host's plugin given in code is known
  CHECK(std::count(message.begin(), message.end(), '\n') == 2); // three errors, one per line
}

TEST_CASE("a host's plugin given in code is used in place of a file in plugins.files that declares its name", "[runtime][loader]") {
  // It refused to start: "a plugin named 'test_map' is already loaded from <static>".
  static const strata_plugin_descriptor in_code = {
    STRATA_ABI_MAJOR, STRATA_ABI_MINOR, "test_map", "9.9", STRATA_PLUGIN_LAYER, 0, nullptr, 0,
    [](const strata_plugin_context*, char*, size_t) -> void* { return nullptr; }, [](void*) {}, nullptr, 0, nullptr, 0};
  auto parsed = parse_config("plugins: {files: [\"" STRATA_TEST_PLUGIN_DIR "/libstrata_test_map.so\"]}\n"
                             "layers: [{name: mine, plugin: test_map}]\n", "inline.yaml");
  REQUIRE(parsed.ok());
  runtime_options options;
  options.static_plugins = {&in_code};
  auto rt = runtime::from_config(*parsed.effective, std::move(options));
  REQUIRE_FALSE(rt);
  // The file's test_map would have started; the one in code creates nothing.
  CHECK(rt.err().message == "inline.yaml:2:10: layers[0]: layer 'mine': plugin <static>: "
                            "its factory failed: no reason given");
}

TEST_CASE("a failing factory stops the start with file and reason", "[runtime][loader]") {
  auto rt = runtime::from_file(test_config("factory_fails.yaml"));
  REQUIRE_FALSE(rt);
  CHECK(rt.err().message == test_config("factory_fails.yaml") + ":4:5: layers[1]: layer 'broken': plugin " STRATA_TEST_PLUGIN_DIR
                            "/libstrata_test_map.so: its factory failed: "
                            "configured to fail in its factory");
}

TEST_CASE("a factory's refusal of a setting is placed at that setting", "[runtime][loader]") {
  // test_map checks its `fail` mode in its factory only, as a plugin without `check` (ABI 1.3) does.
  auto rt = runtime::from_file(test_config("bad_fail_mode.yaml"));
  REQUIRE_FALSE(rt);
  CHECK_THAT(rt.err().message, Catch::StartsWith(test_config("bad_fail_mode.yaml") +
                                                 ":5:13: layers[0].config.fail: layer 'hot': plugin "));
  CHECK_THAT(rt.err().message, Catch::EndsWith("its factory failed: fail: unknown mode 'bogus'"));
  // On one line, its control characters escaped, as a check's reasons are (a line break read as a
  // second error, and an escape sequence reached the terminal).
  const auto refused = strata::testing::start_error(
    "layers:\n  - {name: hot, plugin: test_map, config: {fail: \"bo\\ngus\\e[31m\"}}\n");
  CHECK_THAT(refused, Catch::EndsWith("its factory failed: fail: unknown mode 'bo\\ngus\\x1b[31m'"));
  CHECK(refused.find('\n') == std::string::npos);
}

TEST_CASE("a deployment of observers alone is refused: nothing would cache", "[runtime][loader]") {
  strata::test::scratch_dir dir;
  CHECK(strata::testing::start_error("layers:\n  - {name: d, plugin: diary, config: {sqlite_path: " +
                                     (dir.path / "d.db").string() + "}}\n") ==
        "inline.yaml:2:3: layers: every layer is an observer (its plugin records interactions and answers no "
        "request): a deployment needs one that caches");
}

TEST_CASE("an alert rule on an observer's hit rate or throughput is refused: it is never measured", "[runtime][loader]") {
  // The diary's throughput stayed 0 while the layer above served: a `<` rule fired for ever.
  strata::test::scratch_dir dir;
  CHECK(strata::testing::start_error(
          "layers:\n  - {name: hot, plugin: predictive}\n"
          "  - {name: d, plugin: diary, config: {sqlite_path: " + (dir.path / "d.db").string() + "}}\n"
          "alerts:\n  rules:\n    - {name: slow, value: throughput, layer: d, comparison: '<', threshold: 1}\n"
          "    - {name: fine, value: throughput, layer: hot, comparison: '<', threshold: 1}\n") ==
        "inline.yaml:6:46: alerts.rules[0].layer: layer 'd' is an observer (its plugin records interactions and "
        "answers no request): its throughput is never measured; name a layer that caches, or none for the whole "
        "runtime");
  // Nor set by the host's reload (a review).
  auto rt = strata::testing::start_yaml("layers:\n  - {name: hot, plugin: predictive}\n"
                                        "  - {name: d, plugin: diary, config: {sqlite_path: " +
                                        (dir.path / "r.db").string() + "}}\n");
  alert_rule on_the_diary;
  on_the_diary.name = "slow";
  on_the_diary.value = "hit_rate";
  on_the_diary.layer = "d";
  on_the_diary.comparison = "<";
  on_the_diary.threshold = 0.5;
  const auto refused = rt->reload_alert_rules({on_the_diary});
  REQUIRE(refused);
  CHECK_THAT(refused->message, Catch::Contains("alerts.rules[0].layer: layer 'd' is an observer") &&
                                 Catch::Contains("its hit_rate is never measured"));
  on_the_diary.layer = "hot";
  CHECK(rt->reload_alert_rules({on_the_diary}) == std::nullopt);
}

TEST_CASE("a layer flagged an observer whose observer() gives none is refused at start", "[runtime][loader]") {
  CHECK(strata::testing::start_error("layers:\n  - {name: hot, plugin: predictive}\n"
                                     "  - {name: quiet, plugin: test_silent_observer}\n") ==
        "inline.yaml:3:5: layers[1]: layer 'quiet': plugin 'test_silent_observer' is flagged an observer, but its "
        "observer() returned none");
}

TEST_CASE("a standalone layer places a factory's refusal of a setting where the runtime does", "[runtime][loader]") {
  auto parsed = parse_config_file(test_config("bad_fail_mode.yaml"));
  REQUIRE(parsed.ok());
  auto made = standalone_layer::create(*parsed.effective);
  REQUIRE_FALSE(made);
  CHECK_THAT(made.err().message, Catch::StartsWith(test_config("bad_fail_mode.yaml") +
                                                   ":5:13: layers[0].config.fail: layer 'hot': plugin "));
}

TEST_CASE("a plugin's check refuses a setting before anything is created, at that setting", "[runtime][loader]") {
  auto rt = runtime::from_file(test_config("bad_policy.yaml"));
  REQUIRE_FALSE(rt);
  CHECK_THAT(rt.err().message, Catch::Contains(test_config("bad_policy.yaml") +
                                               ":6:15: layers[0].config.policy: plugin 'predictive': 'bogus' is "
                                               "neither lru nor predictive"));
}

TEST_CASE("a put's cost is charged against the layer's byte bound", "[runtime]") {
  config cfg;
  layer_config hot;
  hot.name = "hot";
  hot.plugin = "predictive";
  hot.settings = {{"max_bytes", "4KiB"}, {"shards", "1"}};
  cfg.layers.push_back(hot);
  auto rt = runtime::from_config(cfg);
  REQUIRE(rt);
  put_options heavy;
  heavy.cost = 3000;
  REQUIRE((*rt)->put("a", "small value", heavy) == status::ok);
  REQUIRE((*rt)->put("b", "small value", heavy) == status::ok); // 6000 > 4096: evicts a
  CHECK((*rt)->get("a").code == status::not_found);
  CHECK((*rt)->get("b").code == status::ok);
  put_options too_heavy;
  too_heavy.cost = 5000; // more than the whole bound: refused, nothing evicted
  CHECK((*rt)->put("c", "v", too_heavy) == status::rejected);
  CHECK((*rt)->get("b").code == status::ok);
}

// The loader is the host's code, which the runtime cannot stop: shutdown answers the gets that
// wait for it once shutdown_timeout has passed, and returns once the loader has.
TEST_CASE("shutdown with a load in flight answers the gets that wait for it", "[runtime][shutdown]") {
  std::atomic<bool> release{false};
  runtime_options options;
  std::atomic<int> entered{0};
  options.loader = held_until(release, "late", entered);
  auto started = start_adjusted(std::move(options),
                                [](config& c) { c.runtime.shutdown_timeout = std::chrono::milliseconds(100); });
  auto& rt = *started;
  auto sync_get = std::async(std::launch::async, [&] { return rt.get("k"); });
  auto async_get = rt.get_async("k2");
  const bool loading = eventually([&] { return entered >= 1; }); // a load is in the loader's thread
  auto stopping = std::async(std::launch::async, [&] { rt.shutdown(); });
  const bool sync_answered = sync_get.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  const bool async_answered = async_get.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  const bool stopped_early = stopping.wait_for(std::chrono::milliseconds(200)) == std::future_status::ready;
  release = true; // so that a failure above does not leave the test blocked
  REQUIRE(loading);
  REQUIRE(sync_answered);
  CHECK(sync_get.get().code == status::unavailable);
  REQUIRE(async_answered);
  CHECK(async_get.get().code == status::unavailable);
  CHECK_FALSE(stopped_early); // it waits for the loader's thread
  CHECK(stopping.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
}

TEST_CASE("read-through: a load that hangs holds up no other when a second loader thread is free", "[runtime]") {
  std::atomic<bool> release{false};
  runtime_options options;
  options.loader = stuck_until(release);
  auto started = start_adjusted(std::move(options), [](config& c) {
    c.runtime.loader_threads = 2;
    c.runtime.loader_timeout = std::chrono::seconds(5);
  });
  auto& rt = *started;
  auto stuck = rt.get_async("stuck");
  std::this_thread::sleep_for(std::chrono::milliseconds(50)); // one worker is in the loader
  // Taken in turn, every other load would wait behind the stuck one until loader_timeout.
  for (int i = 0; i < 6; ++i) {
    const auto key = "k" + std::to_string(i);
    const auto r = rt.get(key);
    CHECK(r.code == status::ok);
    CHECK(r.layer == "loader");
  }
  CHECK(stuck.wait_for(std::chrono::milliseconds(0)) == std::future_status::timeout); // still in the loader
  release = true;
  CHECK(stuck.get().value == "value of stuck");
}

TEST_CASE("shutdown called by the loader itself returns at once and the runtime stops", "[runtime][shutdown]") {
  runtime* self = nullptr;
  std::promise<void> shutdown_returned;
  runtime_options options;
  options.loader = [&](std::string_view, std::string_view) -> std::optional<loaded_value> {
    self->shutdown();
    shutdown_returned.set_value();
    return loaded_value{"loaded", {}};
  };
  auto started = start_adjusted(std::move(options), [](config&) {});
  self = started.get();
  auto get = std::async(std::launch::async, [&] { return self->get("k"); });
  REQUIRE(shutdown_returned.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  REQUIRE(get.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(self->get("other").code == status::unavailable); // refused from the call on
  auto destroyed = std::async(std::launch::async, [&] { started.reset(); });
  CHECK(destroyed.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
}

TEST_CASE("shutdown called from a callback returns at once and the runtime stops", "[runtime][shutdown]") {
  auto started = start("two_layers.yaml");
  runtime& rt = *started;
  REQUIRE(rt.put("k", "v") == status::ok);
  std::promise<void> shutdown_returned;
  rt.get_with_ttl_async("k", {}, [&](get_result) {
    rt.shutdown();
    shutdown_returned.set_value();
  });
  REQUIRE(shutdown_returned.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(rt.get("k").code == status::unavailable);
  const auto health = rt.health(); // it still answered healthy
  CHECK(health.overall == health_level::critical);
  REQUIRE_FALSE(health.system.empty());
  CHECK(health.system.back().name == "runtime");
  auto destroyed = std::async(std::launch::async, [&] { started.reset(); });
  CHECK(destroyed.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
}

TEST_CASE("a runtime destroyed in its own callback stops in the background", "[runtime][shutdown]") {
  strata::test::scratch_dir dir;
  const auto log_file = (dir.path / "runtime.log").string();
  auto started = start_adjusted({}, [&](config& c) { c.logging.output = log_file; });
  std::unique_ptr<runtime> rt = std::move(started);
  REQUIRE(rt->put("k", "v") == status::ok);
  std::promise<void> destroyed;
  runtime* raw = rt.get();
  raw->get_with_ttl_async("k", {}, [&](get_result) {
    rt.reset();
    destroyed.set_value();
  });
  REQUIRE(destroyed.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  const auto logged = [&](const std::string& what) {
    std::ifstream in(log_file);
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    return text.find(what) != std::string::npos;
  };
  // The log is written by a thread of its own.
  CHECK(eventually([&] { return logged("runtime destroyed from its own loader or callback"); }));
  CHECK(eventually([&] { return logged("runtime stopped"); }, std::chrono::seconds(10)));
}

TEST_CASE("shutdown calls the loader for no load still queued once it stops waiting", "[runtime][shutdown]") {
  std::atomic<int> calls{0};
  runtime_options options;
  options.loader = slow_counted(calls);
  auto started = start_adjusted(std::move(options), [](config& c) {
    c.runtime.loader_threads = 1;
    c.runtime.loader_timeout = std::chrono::seconds(30);
    c.runtime.shutdown_timeout = std::chrono::milliseconds(100);
  });
  std::vector<std::future<get_result>> gets;
  for (int i = 0; i < 20; ++i)
    gets.push_back(started->get_async("k" + std::to_string(i)));
  std::this_thread::sleep_for(std::chrono::milliseconds(50)); // the first load is in the loader
  started.reset();
  for (auto& g : gets)
    CHECK(g.get().code != status::ok); // not answered within shutdown_timeout: unavailable
  CHECK(calls <= 3); // the load in progress, and what the drain let start; not all twenty (4 s)
}

TEST_CASE("a synchronous call from a completion callback is refused rather than waiting for ever", "[runtime]") {
  auto rt = start("two_layers.yaml");
  REQUIRE(rt->put("k", "v") == status::ok);
  std::promise<std::tuple<status, status, status>> inside;
  rt->get_with_ttl_async("k", {}, [&](get_result) {
    inside.set_value({rt->put("other", "v"), rt->get("absent").code, rt->get("k").code});
  });
  auto answered = inside.get_future();
  REQUIRE(answered.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  const auto [put, get, get_held] = answered.get();
  CHECK(put == status::invalid);
  CHECK(get == status::invalid);
  // Whether the first layer holds the key or not: it was answered from the read view when it did,
  // so that a host's misuse passed its tests and failed on the first miss.
  CHECK(get_held == status::invalid);
  CHECK(rt->get("other").code == status::not_found); // nothing was written
  CHECK(rt->put("other", "v") == status::ok);        // outside a callback, as ever
}

TEST_CASE("read-through: what a load brings back after loader_timeout is kept", "[runtime][late_load]") {
  std::atomic<int> calls{0}, returned{0};
  runtime_options options;
  options.loader = scripted({1000}, calls, returned);
  auto rt = start_adjusted(std::move(options), [](config& c) { c.runtime.loader_timeout = short_timeout; });
  CHECK(rt->get("k").code == status::timeout);
  // Dropped, every later miss would call a backend slower than the timeout again, and time out.
  REQUIRE(eventually([&] { return puts_taken(*rt, "hot") == 1; }, std::chrono::seconds(10)));
  const auto later = rt->get("k");
  CHECK(later.code == status::ok);
  CHECK(later.value == "v1");
  CHECK(later.layer == "hot");
  CHECK(calls == 1);
}

TEST_CASE("read-through: a late load is not kept when the key was written meanwhile", "[runtime][late_load]") {
  for (const std::string meanwhile : {"put", "erase", "tag invalidation"}) {
    INFO("meanwhile: " << meanwhile);
    std::atomic<int> calls{0}, returned{0};
    runtime_options options;
    options.loader = scripted({1000}, calls, returned);
    auto rt = start_adjusted(std::move(options), [](config& c) { c.runtime.loader_timeout = short_timeout; });
    CHECK(rt->get("k").code == status::timeout);
    if (meanwhile == "put")
      REQUIRE(rt->put("k", "written") == status::ok);
    else if (meanwhile == "erase")
      REQUIRE(rt->erase("k") == status::not_found);
    else
      REQUIRE(rt->invalidate_tag("t").code == status::ok); // the late value's tags are unknown until it comes
    wait_for_returns(returned, 1);
    const auto later = rt->get("k");
    if (meanwhile == "put") {
      CHECK(later.value == "written");
    } else {
      CHECK(later.code == status::not_found); // the second call, past the script
      CHECK(calls == 2);
    }
  }
}

TEST_CASE("read-through: a miss of a key whose load is late waits for that load", "[runtime][late_load]") {
  std::atomic<int> calls{0}, returned{0};
  runtime_options options;
  options.loader = scripted({750}, calls, returned); // between the two gets' timeouts, 250 ms from each
  auto rt = start_adjusted(std::move(options), two_loader_threads);
  CHECK(rt->get("k").code == status::timeout);
  // Calling the loader again for each miss would load a backend slower than the timeout once per
  // miss; this get has a loader_timeout of its own, in which the first call comes back.
  const auto second = rt->get("k");
  CHECK(second.code == status::ok);
  CHECK(second.value == "v1");
  CHECK(second.layer == "loader");
  CHECK(calls == 1);
  REQUIRE(eventually([&] { return puts_taken(*rt, "hot") == 1; })); // the fill is sent, not yet taken, when it answers
  CHECK(rt->get("k").layer == "hot");
}

namespace {

/// A loader whose first call hangs until `release`; each later call answers "v<n>" at once.
loader_fn first_call_hangs(const std::atomic<bool>& release, std::atomic<int>& calls, std::atomic<int>& returned) {
  return [&](std::string_view, std::string_view) -> std::optional<loaded_value> {
    const int n = ++calls;
    while (n == 1 && !release)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    ++returned;
    return loaded_value{"v" + std::to_string(n), {}};
  };
}

} // namespace

TEST_CASE("read-through: a call out for twice loader_timeout is made again by the next miss", "[runtime][late_load]") {
  std::atomic<bool> release{false};
  std::atomic<int> calls{0}, returned{0};
  runtime_options options;
  options.loader = first_call_hangs(release, calls, returned);
  auto rt = start_adjusted(std::move(options), [](config& c) {
    two_loader_threads(c);
    c.runtime.loader_threads = 3; // so that one stays free of the stuck call and of the new one
  });
  CHECK(rt->get("k").code == status::timeout);
  CHECK(rt->get("k").code == status::timeout); // waited for the first call
  CHECK(calls == 1);
  // Each get waited a whole loader_timeout: the call is now out for twice that, likely stuck.
  const auto retried = rt->get("k");
  CHECK(retried.value == "v2");
  CHECK(retried.layer == "loader");
  CHECK(calls == 2);
  release = true;
  wait_for_returns(returned, 2);
  CHECK(rt->get("k").value == "v2"); // the stuck call's older value did not replace it
}

TEST_CASE("read-through: a stuck call is not made again when that would leave no loader thread free", "[runtime][late_load]") {
  std::atomic<bool> release{false};
  std::atomic<int> calls{0}, returned{0};
  runtime_options options;
  options.loader = first_call_hangs(release, calls, returned);
  auto rt = start_adjusted(std::move(options), two_loader_threads);
  for (int i = 0; i < 3; ++i) // the third comes after twice loader_timeout
    CHECK(rt->get("k").code == status::timeout);
  CHECK(calls == 1);
  CHECK(rt->get("other").value == "v2"); // the other thread is still free for other keys
  release = true;
  wait_for_returns(returned, 2);
}

TEST_CASE("read-through: a get overtaken by a write while it walked the chain does not fill the layers", "[runtime][late_load]") {
  // The deep layer holds each get 600 ms: the put arrives while the get walks the chain, and the
  // get's load starts after it. Filled, the load's value replaced what the completed put wrote.
  // get_with_ttl walks from layer 0's actor: a get from a miss of its read view asks layer 0 again
  // before the loader, and may find the put there instead, depending on when that lands.
  runtime_options options;
  options.loader = [](std::string_view, std::string_view) -> std::optional<loaded_value> {
    return loaded_value{"loaded", {}};
  };
  auto rt = strata::testing::start_yaml("layers:\n  - {name: hot, plugin: predictive}\n"
                                        "  - {name: deep, plugin: test_map, deadline: 5s, "
                                        "config: {fail: hang_on_get, hang: 600ms}}\n",
                                        std::move(options));
  std::promise<get_result> answered;
  auto overtaken = answered.get_future();
  rt->get_with_ttl_async("k", {}, [&](get_result r) { answered.set_value(std::move(r)); });
  std::this_thread::sleep_for(std::chrono::milliseconds(200)); // the get is in deep
  REQUIRE(rt->put("k", "written") == status::ok);
  CHECK(overtaken.get().value == "loaded"); // answered by its own load, which was concurrent
  std::this_thread::sleep_for(std::chrono::milliseconds(300)); // time for a fill to land
  const auto later = rt->get("k");
  CHECK(later.value == "written");
  CHECK(later.layer == "hot");
}

TEST_CASE("read-through: a first layer whose read view missed is asked once more before the loader", "[runtime][late_load]") {
  // The view lags behind its layer: a put the layer has applied is not in it yet. The get went
  // from the view's miss to the loader, whose fill replaced the put.
  std::atomic<int> calls{0};
  runtime_options options;
  options.loader = [&](std::string_view, std::string_view) -> std::optional<loaded_value> {
    ++calls;
    return loaded_value{"loaded", {}};
  };
  auto rt = strata::testing::start_yaml("layers: [{name: only, plugin: test_map, config: {fail: view_misses}}]\n",
                                        std::move(options));
  REQUIRE(rt->put("k", "written") == status::ok);
  const auto got = rt->get("k");
  CHECK(got.value == "written");
  CHECK(got.layer == "only");
  CHECK(calls == 0);
  CHECK(rt->get("absent").value == "loaded"); // a miss still goes to the loader
  CHECK(calls == 1);
}

TEST_CASE("read-through: a miss after an erase does not wait for a load that started before it", "[runtime][late_load]") {
  std::atomic<int> calls{0}, returned{0};
  runtime_options options;
  options.loader = scripted({1000}, calls, returned); // then: not found, at once
  auto rt = start_adjusted(std::move(options), two_loader_threads);
  auto first = rt->get_async("k");
  REQUIRE(eventually([&] { return calls == 1; }));
  REQUIRE(rt->erase("k") == status::not_found);
  // The first call may have read the backend before whatever the erase stands for changed it.
  CHECK(rt->get("k").code == status::not_found);
  CHECK(calls == 2);
  CHECK(first.get().code == status::timeout);
  wait_for_returns(returned, 2);
  CHECK(puts_taken(*rt, "hot") == 0);
}

TEST_CASE("read-through: a late load from before an erase stays dropped when a later load is late too", "[runtime][late_load]") {
  std::atomic<int> calls{0}, returned{0};
  runtime_options options;
  options.loader = scripted({1000, 2500}, calls, returned);
  auto rt = start_adjusted(std::move(options), two_loader_threads);
  CHECK(rt->get("k").code == status::timeout);
  REQUIRE(eventually([&] { return calls == 1; }));
  REQUIRE(rt->erase("k") == status::not_found);
  CHECK(rt->get("k").code == status::timeout); // a second load, after the erase, still running
  wait_for_returns(returned, 1);
  CHECK(puts_taken(*rt, "hot") == 0); // not "v1", read before the erase
  wait_for_returns(returned, 2);
  CHECK(rt->get("k").value == "v2");
}

TEST_CASE("read-through: a load that timed out holds its loader thread only until it returns", "[runtime][late_load]") {
  std::atomic<bool> release{false};
  std::atomic<int> slow_returned{0};
  runtime_options options;
  options.loader = [&](std::string_view, std::string_view key) -> std::optional<loaded_value> {
    if (key == "slow") {
      std::this_thread::sleep_for(std::chrono::milliseconds(1000));
      ++slow_returned;
    }
    while (key == "stuck" && !release)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return loaded_value{"value of " + std::string(key), {}};
  };
  auto rt = start_adjusted(std::move(options), two_loader_threads);
  CHECK(rt->get("slow").code == status::timeout);
  wait_for_returns(slow_returned, 1);
  auto stuck = rt->get_async("stuck");
  std::this_thread::sleep_for(std::chrono::milliseconds(50)); // one thread is in the loader
  // Were "slow" still counted on its thread, the loads would alternate between the two threads,
  // and every other one would wait behind "stuck" until it timed out.
  for (int i = 0; i < 4; ++i) {
    const auto key = "k" + std::to_string(i);
    CHECK(rt->get(key).code == status::ok);
  }
  release = true;
  stuck.get();
}

TEST_CASE("read-through: loads arriving together go past a loader thread stuck beyond its timeout", "[runtime][late_load]") {
  std::atomic<bool> release{false};
  runtime_options options;
  options.loader = stuck_until(release, std::chrono::milliseconds(5));
  auto rt = start_adjusted(std::move(options), two_loader_threads);
  CHECK(rt->get("stuck").code == status::timeout);
  // Six at once: with one load in hand each, the two threads tied, and about half of these were
  // queued behind the stuck one until they timed out too (an audit saw three of six).
  std::vector<std::future<get_result>> gets;
  for (int i = 0; i < 6; ++i)
    gets.push_back(rt->get_async("k" + std::to_string(i)));
  for (auto& g : gets)
    CHECK(g.get().code == status::ok);
  release = true;
}

namespace {

/// What a layer built for ABI 1.<minor> saw: the keys of its puts and of its calls of the
/// virtuals appended later.
struct recorded_calls {
  std::mutex mutex;
  std::vector<std::string> puts;
  std::vector<std::string> kept; ///< put_kept
  std::atomic<bool> put_prefetched{false};
  bool put_of(const std::string& key) {
    std::lock_guard<std::mutex> guard(mutex);
    return std::find(puts.begin(), puts.end(), key) != puts.end();
  }
  bool kept_of(const std::string& key) {
    std::lock_guard<std::mutex> guard(mutex);
    return std::find(kept.begin(), kept.end(), key) != kept.end();
  }
};
template <std::uint32_t Minor>
recorded_calls& calls_of_abi() {
  static recorded_calls calls;
  return calls;
}

/// A layer as a plugin built for ABI 1.<Minor> has it: the host must not call a virtual appended
/// after that minor (its vtable has no such slot). A get of "A" asks for "B" to be prefetched; "K"
/// is held, for an EXPIRE to find.
template <std::uint32_t Minor>
class recording_layer : public strata::test_plugins::nothing_layer {
public:
  explicit recording_layer(const strata::layer_context& context) : nothing_layer(context), host_(context.host) {}
  status get(std::string_view ns, std::string_view key, layer_hit& out) override {
    if (key == "A")
      host_.prefetch(ns, "B");
    if (key != "K")
      return status::not_found;
    out.value = "held";
    return status::ok;
  }
  status put(std::string_view, std::string_view key, std::string_view, const entry_options&) override {
    std::lock_guard<std::mutex> guard(calls().mutex);
    calls().puts.emplace_back(key);
    return status::ok;
  }
  status put_prefetched(std::string_view, std::string_view, std::string_view, const entry_options&) override {
    calls().put_prefetched = true;
    return status::internal;
  }
  /// As a layer that sets the TTL only: no value written.
  status put_kept(std::string_view, std::string_view key, std::string_view, const entry_options&) override {
    std::lock_guard<std::mutex> guard(calls().mutex);
    calls().kept.emplace_back(key);
    return status::not_found;
  }

private:
  static recorded_calls& calls() { return calls_of_abi<Minor>(); }
  strata::plugin_host host_;
};

template <std::uint32_t Minor>
const strata_plugin_descriptor recording_descriptor = strata::test::static_layer<recording_layer<Minor>>(
  Minor == 3 ? "abi_1_3" : Minor == 4 ? "abi_1_4" : "abi_current", Minor);

} // namespace

TEST_CASE("a prefetch's fill reaches a plugin built before ABI 1.4 as a put, never through put_prefetched",
          "[runtime][abi]") {
  runtime_options options;
  options.static_plugins = {&recording_descriptor<3>};
  options.loader = [](std::string_view, std::string_view key) -> std::optional<loaded_value> {
    return loaded_value{"value of " + std::string(key), {}};
  };
  auto rt = strata::testing::start_yaml("layers:\n  - {name: old, plugin: abi_1_3}\n", std::move(options));
  CHECK(rt->get("A").value == "value of A"); // from the loader; the layer asks for B
  CHECK(eventually([] { return calls_of_abi<3>().put_of("B"); }));
  CHECK_FALSE(calls_of_abi<3>().put_prefetched);
}

TEST_CASE("an EXPIRE's write-back reaches a plugin built for ABI 1.5 through put_kept, an older one as a put",
          "[runtime][abi]") {
  static_assert(STRATA_ABI_MINOR >= 5, "put_kept came with ABI 1.5");
  runtime_options options;
  options.static_plugins = {&recording_descriptor<4>, &recording_descriptor<STRATA_ABI_MINOR>};
  auto rt = strata::testing::start_yaml("layers:\n  - {name: now, plugin: abi_current}\n  - {name: old, plugin: abi_1_4}\n",
                                        std::move(options));
  REQUIRE(rt->expire("K", std::chrono::hours(1)) == status::ok);
  CHECK(calls_of_abi<STRATA_ABI_MINOR>().kept_of("K"));
  CHECK_FALSE(calls_of_abi<STRATA_ABI_MINOR>().put_of("K"));
  CHECK(calls_of_abi<4>().put_of("K"));
  CHECK_FALSE(calls_of_abi<4>().kept_of("K"));
  // A chain whose only layer sets the TTL only (put_kept answers not_found): the EXPIRE was taken.
  runtime_options alone;
  alone.static_plugins = {&recording_descriptor<STRATA_ABI_MINOR>};
  auto only = strata::testing::start_yaml("layers:\n  - {name: now, plugin: abi_current}\n", std::move(alone));
  CHECK(only->expire("K", std::chrono::hours(1)) == status::ok);
}

namespace {

std::atomic<std::int64_t> prefetched_ttl_ms{-1};

/// Asks for "B" to be prefetched on a get of "A", and records the TTL of the fill.
class prefetch_asker : public strata::test_plugins::nothing_layer {
public:
  explicit prefetch_asker(const strata::layer_context& context) : nothing_layer(context), host_(context.host) {}
  status get(std::string_view ns, std::string_view key, layer_hit&) override {
    if (key == "A")
      host_.prefetch(ns, "B");
    return status::not_found;
  }
  status put_prefetched(std::string_view, std::string_view, std::string_view, const entry_options& options) override {
    prefetched_ttl_ms = options.ttl.count();
    return status::ok;
  }

private:
  strata::plugin_host host_;
};

/// Holds "B" with 10 s left, and takes 50 ms to say so.
class slow_holder : public strata::test_plugins::nothing_layer {
public:
  using nothing_layer::nothing_layer;
  status get(std::string_view, std::string_view key, layer_hit& out) override {
    if (key != "B")
      return status::not_found;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    out.value = "b";
    out.meta.ttl = std::chrono::seconds(10);
    return status::ok;
  }
};

const strata_plugin_descriptor prefetch_asker_descriptor = strata::test::static_layer<prefetch_asker>("prefetch_asker");
const strata_plugin_descriptor slow_holder_descriptor = strata::test::static_layer<slow_holder>("slow_holder");

} // namespace

TEST_CASE("a prefetched copy never outlives the entry it was copied from", "[runtime]") {
  // It took the TTL the layer below reported, from when the asking layer applied it: it was served
  // up to a millisecond past the entry's expiry (audit), as a promoted copy was before.
  runtime_options options;
  options.static_plugins = {&prefetch_asker_descriptor, &slow_holder_descriptor};
  auto rt = strata::testing::start_yaml("layers:\n  - {name: asker, plugin: prefetch_asker}\n"
                                        "  - {name: holder, plugin: slow_holder}\n",
                                        std::move(options));
  CHECK(rt->get("A").code == status::not_found);
  REQUIRE(eventually([] { return prefetched_ttl_ms.load() >= 0; }));
  CHECK(prefetched_ttl_ms.load() > 0);
  CHECK(prefetched_ttl_ms.load() <= 10'000 - 51); // less the 50 ms the holder took, and 1 ms
}

namespace {

std::atomic<std::int64_t> behind_acknowledged{0}; ///< puts the runtime answered
std::atomic<std::int64_t> behind_applied{0};      ///< puts the slow layer applied
std::atomic<std::int64_t> behind_most_ahead{0};   ///< most answered and not applied yet, seen at a put

/// Takes 1 ms a put, and records how far the answered puts ran ahead of it.
class slow_writer : public strata::test_plugins::nothing_layer {
public:
  using nothing_layer::nothing_layer;
  status put(std::string_view, std::string_view, std::string_view, const entry_options&) override {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    const auto ahead = behind_acknowledged.load() - behind_applied.fetch_add(1);
    auto most = behind_most_ahead.load();
    while (ahead > most && !behind_most_ahead.compare_exchange_weak(most, ahead)) {
    }
    return status::ok;
  }
};

const strata_plugin_descriptor slow_writer_descriptor = strata::test::static_layer<slow_writer>("slow_writer");

} // namespace

TEST_CASE("puts wait for a write-behind layer that is 1024 writes behind", "[runtime]") {
  // Answered at once whatever the layer's backlog, 1.1 million puts queued in front of the global
  // layer, and every get and erase that reached it timed out for tens of seconds (audit).
  runtime_options options;
  options.static_plugins = {&slow_writer_descriptor};
  auto rt = strata::testing::start_yaml(
    "layers:\n  - {name: slow, plugin: slow_writer, write: behind, deadline: 30s}\n", std::move(options));
  constexpr int puts = 3000;
  std::atomic<int> answered{0};
  for (int i = 0; i < puts; ++i)
    rt->put_async("k" + std::to_string(i), "v", {}, [&](status s) {
      CHECK(s == status::ok);
      ++behind_acknowledged;
      ++answered;
    });
  REQUIRE(eventually([&] { return behind_applied.load() == puts && answered.load() == puts; }, std::chrono::seconds(60)));
  // 1024 in the layer's mailbox, and the puts that were already past the check when it filled.
  CHECK(behind_most_ahead.load() <= 1024 + 64);
  CHECK(behind_most_ahead.load() > 0);
}
