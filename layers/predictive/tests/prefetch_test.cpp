// Prefetch end to end: the real predictive plugin (dlopen) in a running runtime, its access model
// learning from the reads, the coordinator loading the predicted key from the host's loader and
// writing it into the layer before it is asked for.

#include <strata/runtime.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

using namespace std::chrono_literals;

namespace {

/// A read-through loader over a map of "source of truth" values, counting its calls per key.
/// `hold` makes a load of that key wait until `release`.
class counting_loader {
public:
  /// A loader that holds "value of A" and "value of B" for A and B.
  static std::map<std::string, std::string> a_and_b() { return {{"A", "value of A"}, {"B", "value of B"}}; }
  explicit counting_loader(std::map<std::string, std::string> truth = {}) : truth_(std::move(truth)) {}

  std::optional<strata::loaded_value> load(std::string_view key) {
    {
      std::lock_guard<std::mutex> guard(mutex_);
      ++calls_[std::string(key)];
    }
    while (held_.load() && key == hold_key_)
      std::this_thread::sleep_for(1ms);
    std::lock_guard<std::mutex> guard(mutex_);
    auto it = truth_.find(std::string(key));
    if (it == truth_.end())
      return std::nullopt;
    return strata::loaded_value{it->second, {}};
  }

  void set(const std::string& key, const std::string& value) {
    std::lock_guard<std::mutex> guard(mutex_);
    truth_[key] = value;
  }
  void forget(const std::string& key) {
    std::lock_guard<std::mutex> guard(mutex_);
    truth_.erase(key);
  }
  int calls(const std::string& key) {
    std::lock_guard<std::mutex> guard(mutex_);
    return calls_[key];
  }
  void hold(const std::string& key) {
    hold_key_ = key;
    held_.store(true);
  }
  void release() { held_.store(false); }

  strata::loader_fn fn() {
    return [this](std::string_view, std::string_view key) { return load(key); };
  }

private:
  std::mutex mutex_;
  std::map<std::string, std::string> truth_;
  std::map<std::string, int> calls_;
  std::atomic<bool> held_{false};
  std::string hold_key_;
};

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds limit = 5000ms) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (condition())
      return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

/// The value of one series of the exposition (`name{labels}` as printed), or -1 when absent.
double series(const std::string& exposition, const std::string& prefix) {
  std::istringstream in(exposition);
  for (std::string line; std::getline(in, line);)
    if (line.rfind(prefix, 0) == 0 && line.size() > prefix.size() && line[prefix.size()] == ' ')
      return std::stod(line.substr(prefix.size() + 1));
  return -1;
}

/// A layer below `hot`, without prefetch.
const std::string warm_below = "  - {name: warm, plugin: predictive, config: {expiry_interval: 10ms}}\n";

/// `runtime` is the deployment's `runtime` section's keys, beside `stats_interval`; `below`, the
/// layers after `hot` (`warm_below`).
std::unique_ptr<strata::runtime> start(counting_loader& loader, const std::string& runtime = "",
                                       const std::string& below = "") {
  auto parsed = strata::parse_config("runtime: {stats_interval: 20ms" + runtime + R"(}
layers:
  - name: hot
    plugin: predictive
    config: {policy: predictive, prefetch: true, prefetch_confidence: 0.6, prefetch_rate: 1000, expiry_interval: 10ms}
)" + below,
                                     "prefetch.yaml");
  REQUIRE(parsed.ok());
  strata::runtime_options options;
  options.loader = loader.fn();
  auto rt = strata::runtime::from_config(*parsed.effective, std::move(options));
  if (!rt)
    FAIL(rt.err().message);
  return std::move(*rt);
}

/// Teaches the model that B follows A: A, B, A, B, ... The first reads load A and B through;
/// their fills reach the layer asynchronously, so wait for them before reading on.
void teach(strata::runtime& rt) {
  for (int i = 0; i < 6; ++i) {
    if (i == 1)
      std::this_thread::sleep_for(50ms);
    REQUIRE(rt.get("A").code == strata::status::ok);
    REQUIRE(rt.get("B").code == strata::status::ok);
  }
}

const std::string hot = "{cache_layer=\"hot\"";

/// After `teach`: B is erased, then read A, so that the model prefetches B, whose load the loader
/// holds until `release`. Returns the calls for B before that prefetch. Until the release, a
/// failed REQUIRE would leave the runtime's destructor waiting for the held load: CHECK instead.
int prefetch_of_b_held(strata::runtime& rt, counting_loader& loader) {
  const int loads = loader.calls("B");
  REQUIRE(rt.erase("B") == strata::status::ok);
  loader.hold("B");
  REQUIRE(rt.get("A").code == strata::status::ok);
  REQUIRE(eventually([&] { return loader.calls("B") == loads + 1; })); // the prefetch is loading B
  return loads;
}

} // namespace

TEST_CASE("after A, B is loaded before it is asked for, and its first read counts as a used prefetch",
          "[predictive][prefetch][integration]") {
  counting_loader loader(counting_loader::a_and_b());
  auto rt = start(loader);
  teach(*rt);
  const int loads = loader.calls("B");
  REQUIRE(rt->erase("B") == strata::status::ok);

  REQUIRE(rt->get("A").code == strata::status::ok); // a first-layer hit: the model predicts B
  REQUIRE(eventually([&] { return loader.calls("B") == loads + 1; }));
  const auto prefix = "strata_predictive_prefetches_total" + hot + ",outcome=\"filled\"}";
  REQUIRE(eventually([&] { return series(rt->prometheus_text(), prefix) == 1; }));

  const auto b = rt->get("B");
  CHECK(b.code == strata::status::ok);
  CHECK(b.value == "value of B");
  CHECK(b.layer == "hot"); // served by the layer, not by the loader
  CHECK(loader.calls("B") == loads + 1);
  // The accuracy is set after the counters in a maintenance pass: a scrape between saw the old one.
  REQUIRE(eventually([&] {
    const auto text = rt->prometheus_text();
    return series(text, "strata_predictive_prefetches_total" + hot + ",outcome=\"used\"}") == 1 &&
           series(text, "strata_predictive_prefetch_accuracy" + hot + "}") == 1;
  }));
  const auto text = rt->prometheus_text();
  CHECK(series(text, "strata_predictive_prefetches_total" + hot + ",outcome=\"issued\"}") >= 1);
  CHECK(series(text, "strata_predictive_model_version" + hot + "}") == 1);
  CHECK(series(text, "strata_predictive_model_updates_total" + hot + "}") >= 11);
  CHECK(series(text, "strata_predictive_model_last_update_seconds" + hot + "}") > 1.7e9);
  CHECK(series(text, "strata_predictive_prediction_confidence_count" + hot + "}") >= 1);
}

TEST_CASE("a prefetch whose key is written while it loads does not bring the old value back",
          "[predictive][prefetch][integration]") {
  counting_loader loader;
  loader.set("A", "value of A");
  loader.set("B", "old B");
  auto rt = start(loader);
  teach(*rt);
  prefetch_of_b_held(*rt, loader);
  CHECK(rt->put("B", "new B") == strata::status::ok); // no REQUIRE while the load is held
  loader.release();
  // Let the load's answer reach the coordinator; then the put must still be what B holds.
  std::this_thread::sleep_for(100ms);
  const auto b = rt->get("B");
  CHECK(b.code == strata::status::ok);
  CHECK(b.value == "new B");
  CHECK(b.layer == "hot");
}

TEST_CASE("a client's write of a key whose prefetch was asked for counts as neither filled nor used",
          "[predictive][prefetch][integration]") {
  counting_loader loader(counting_loader::a_and_b());
  auto rt = start(loader);
  teach(*rt);
  SECTION("written while the prefetch loads") {
    prefetch_of_b_held(*rt, loader);
    CHECK(rt->put("B", "new B") == strata::status::ok); // no REQUIRE while the load is held
    loader.release();
  }
  SECTION("written after the prefetch found nothing") {
    loader.forget("B");
    const int loads = loader.calls("B");
    REQUIRE(rt->erase("B") == strata::status::ok);
    REQUIRE(rt->get("A").code == strata::status::ok);
    REQUIRE(eventually([&] { return loader.calls("B") == loads + 1; }));
    std::this_thread::sleep_for(50ms); // the load's "nothing" reaches the coordinator
    REQUIRE(rt->put("B", "new B") == strata::status::ok);
  }
  const auto b = rt->get("B");
  CHECK(b.code == strata::status::ok);
  CHECK(b.value == "new B");
  CHECK(b.layer == "hot");
  std::this_thread::sleep_for(100ms); // maintenance publishes the counts every 10 ms
  const auto text = rt->prometheus_text();
  CHECK(series(text, "strata_predictive_prefetches_total" + hot + ",outcome=\"issued\"}") >= 1);
  CHECK(series(text, "strata_predictive_prefetches_total" + hot + ",outcome=\"filled\"}") == 0);
  CHECK(series(text, "strata_predictive_prefetches_total" + hot + ",outcome=\"used\"}") == 0);
}

TEST_CASE("a miss of a key that a prefetch is loading waits for that load rather than calling the loader",
          "[predictive][prefetch][integration]") {
  counting_loader loader(counting_loader::a_and_b());
  auto rt = start(loader);
  teach(*rt);
  const int loads = prefetch_of_b_held(*rt, loader);
  auto b = rt->get_async("B");
  std::this_thread::sleep_for(50ms); // the miss reaches the coordinator while the load is out
  loader.release();
  const auto got = b.get();
  CHECK(got.code == strata::status::ok);
  CHECK(got.value == "value of B");
  CHECK(got.layer == "loader");
  CHECK(loader.calls("B") == loads + 1);
}

TEST_CASE("what a prefetch loads after loader_timeout is still written into the layer",
          "[predictive][prefetch][integration]") {
  counting_loader loader(counting_loader::a_and_b());
  auto rt = start(loader, ", loader_timeout: 100ms");
  teach(*rt);
  const int loads = prefetch_of_b_held(*rt, loader);
  std::this_thread::sleep_for(300ms); // past the load's timeout
  loader.release();
  const auto prefix = "strata_predictive_prefetches_total" + hot + ",outcome=\"filled\"}";
  REQUIRE(eventually([&] { return series(rt->prometheus_text(), prefix) == 1; }));
  const auto got = rt->get("B");
  CHECK(got.code == strata::status::ok);
  CHECK(got.value == "value of B");
  CHECK(got.layer == "hot");
  CHECK(loader.calls("B") == loads + 1);
}

TEST_CASE("a prefetch's load that a miss waited for, however late, fills every layer as the miss's would",
          "[predictive][prefetch][integration]") {
  counting_loader loader(counting_loader::a_and_b());
  auto rt = start(loader, ", loader_timeout: 100ms", warm_below);
  teach(*rt);
  const auto warm_entries = [&] { return series(rt->prometheus_text(), "strata_cache_entries{cache_layer=\"warm\"}"); };
  REQUIRE(eventually([&] { return warm_entries() == 2; })); // A and B, filled by their misses
  const int loads = prefetch_of_b_held(*rt, loader);
  CHECK(eventually([&] { return warm_entries() == 1; })); // no REQUIRE while the load is held
  CHECK(rt->get("B").code == strata::status::timeout);            // a miss waits for it, and times out
  loader.release();
  CHECK(eventually([&] { return warm_entries() == 2; }));
  CHECK(loader.calls("B") == loads + 1);
}

TEST_CASE("a prefetch's reads of the layers below are not counted as their gets",
          "[predictive][prefetch][integration]") {
  // Counted, they were hits and misses no client asked for: the chain's hit rate (hits of every
  // layer over the gets of the first) went above 1, and hid a low one.
  counting_loader loader(counting_loader::a_and_b());
  auto rt = start(loader, "", warm_below);
  teach(*rt);
  const auto warm_gets = [&] {
    const auto text = rt->prometheus_text();
    return series(text, "strata_cache_hits_total{cache_layer=\"warm\"}") +
           series(text, "strata_cache_misses_total{cache_layer=\"warm\"}");
  };
  const double before = warm_gets();
  REQUIRE(before >= 2); // A's and B's first misses
  const int loads = loader.calls("B");
  REQUIRE(rt->erase("B") == strata::status::ok);
  REQUIRE(rt->get("A").code == strata::status::ok); // a first-layer hit: warm is not asked
  REQUIRE(eventually([&] { return loader.calls("B") == loads + 1; })); // the prefetch read warm, then loaded
  REQUIRE(eventually([&] {
    return series(rt->prometheus_text(), "strata_predictive_prefetches_total" + hot + ",outcome=\"filled\"}") == 1;
  }));
  CHECK(warm_gets() == before);
}

TEST_CASE("without prefetch the model asks for nothing", "[predictive][prefetch][integration]") {
  counting_loader loader(counting_loader::a_and_b());
  auto parsed = strata::parse_config(R"(
layers:
  - {name: hot, plugin: predictive, config: {expiry_interval: 10ms}}
)",
                                     "no_prefetch.yaml");
  REQUIRE(parsed.ok());
  strata::runtime_options options;
  options.loader = loader.fn();
  auto rt = strata::runtime::from_config(*parsed.effective, std::move(options));
  REQUIRE(rt);
  teach(**rt);
  const int loads = loader.calls("B");
  REQUIRE((*rt)->erase("B") == strata::status::ok);
  REQUIRE((*rt)->get("A").code == strata::status::ok);
  std::this_thread::sleep_for(100ms);
  CHECK(loader.calls("B") == loads);
}

TEST_CASE("the layer's gauges say what holds from the start, before its first maintenance",
          "[predictive][integration]") {
  auto parsed = strata::parse_config(R"(
layers:
  - {name: hot, plugin: predictive, config: {policy: lru, expiry_interval: 1h}}
)",
                                     "gauges.yaml");
  REQUIRE(parsed.ok());
  auto rt = strata::runtime::from_config(*parsed.effective);
  REQUIRE(rt);
  // Published at creation: it read 0 until the first maintenance pass, an hour away here.
  CHECK(series((*rt)->prometheus_text(), "strata_predictive_window_fraction" + hot + "}") == 1);
}
