#include "test_map_layer.hpp"

#include <strata/entry.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <cstdlib>
#include <stdexcept>
#include <thread>
#include <vector>

namespace strata::test_plugins {

namespace {

/// Instances that died in maintain(); `die_once` kills only the first, so the restart is healthy.
std::atomic<int> deaths{0};

/// Never false: it keeps the compiler from turning `recurse_without_end` into a loop, or from
/// proving that it never returns.
volatile bool deeper = true;

/// Recurses, a page of stack per call, until the thread's stack overflows.
[[gnu::noinline]] int recurse_without_end(int depth) {
  volatile char frame[4096];
  frame[0] = static_cast<char>(depth);
  if (!deeper)
    return frame[0];
  return recurse_without_end(depth + 1) + frame[0];
}

/// The entry stores kept across restarts, by layer name.
template <class Store>
std::shared_ptr<Store> kept_store(const std::string& layer) {
  static std::mutex mutex;
  static std::map<std::string, std::shared_ptr<Store>> stores;
  std::lock_guard<std::mutex> guard(mutex);
  auto& store = stores[layer];
  if (!store)
    store = std::make_shared<Store>();
  return store;
}

/// Instances created so far under each layer name, for `restarts_fail`.
std::map<std::string, int>& creations() {
  static std::map<std::string, int> counts;
  return counts;
}
std::mutex creations_mutex;

} // namespace

test_map_layer::test_map_layer(const layer_context& context)
  : fail_(context.config.get_string("fail")), hang_(context.config.get_duration("hang")),
    store_(context.config.contains("keep_across_restarts") && context.config.get_bool("keep_across_restarts")
             ? kept_store<entry_store>(context.name)
             : std::make_shared<entry_store>()) {
  // A factory that waits (for a database, say): the coordinator creates instances itself.
  if (context.config.contains("factory_delay")) // a test may create it from some keys only
    std::this_thread::sleep_for(context.config.get_duration("factory_delay"));
  if (fail_ == "throw_in_factory")
    throw std::runtime_error("configured to fail in its factory");
  if (context.config.contains("restarts_fail")) { // a test may create it from some keys only
    std::lock_guard<std::mutex> guard(creations_mutex);
    const int created_before = creations()[context.name]++;
    if (created_before > 0 && created_before <= context.config.get_int("restarts_fail"))
      throw std::runtime_error("configured to fail its restart");
  }
  const std::vector<std::string> modes{"none",          "throw_on_get",           "hang_on_get",
                                       "die_once",      "unknown_status_on_get",  "throw_in_view",
                                       "throw_in_maintenance_interval", "down_after_first_put",
                                       "unavailable_on_get", "internal_on_get", "timeout_on_put", "invalid_on_put", "hang_on_put",
                                       "unavailable_on_first_put", "unavailable_on_second_put", "hang_on_first_put",
                                       "view_throws",   "view_unknown_status", "view_misses", "view_overflows", "negative_ttl_hit",
                                       "empty_tag_hit", "crash_on_get", "abort_on_get", "overflow_on_get", "viewed_slow_puts",
                                       "throw_late_on_get", "hang_on_first_get_then_slow", "hang_on_get_then_warn",
                                       "unavailable_after_first_get"};
  if (std::find(modes.begin(), modes.end(), fail_) == modes.end())
    throw std::invalid_argument("fail: unknown mode '" + fail_ + "'"); // checked here only, as before ABI 1.3
  host_ = context.host;
  plugin_host host = context.host;
  if (const auto& metric = context.config.get_string("metric"); !metric.empty())
    gets_ = &host.counter(metric, "Gets the test layer answered.", {{"kind", "get"}});
  const auto& health = context.config.get_string("health");
  if (health == "warning")
    host.set_health(health_level::warning, "configured to warn");
  else if (health == "critical")
    host.set_health(health_level::critical, "configured to be critical");
  host.log(log_level::info, "test_map started");
}

std::string test_map_layer::id(std::string_view ns, std::string_view key) {
  std::string s(ns);
  s.push_back('\0');
  s.append(key);
  return s;
}

status test_map_layer::get(std::string_view ns, std::string_view key, layer_hit& out) {
  if (gets_ != nullptr)
    gets_->inc();
  if (fail_ == "throw_on_get")
    throw std::runtime_error("configured to throw on get");
  if (fail_ == "hang_on_get")
    std::this_thread::sleep_for(hang_);
  if (fail_ == "hang_on_get_then_warn") { // as a thread of a hung instance that reports on after its replacement
    std::this_thread::sleep_for(hang_);
    host_.set_health(health_level::warning, "warned after its hung get");
    host_.log(log_level::warn, "its hung get returned");
  }
  if (fail_ == "throw_late_on_get") {
    std::this_thread::sleep_for(hang_);
    throw std::runtime_error("configured to throw late on get");
  }
  if (fail_ == "hang_on_first_get_then_slow" || fail_ == "unavailable_after_first_get") {
    std::size_t earlier_gets = 0;
    {
      std::lock_guard<std::mutex> guard(store_->mutex);
      earlier_gets = store_->gets++;
    }
    if (fail_ == "unavailable_after_first_get" && earlier_gets > 0)
      return status::unavailable;
    if (fail_ == "hang_on_first_get_then_slow")
      std::this_thread::sleep_for(earlier_gets == 0 ? hang_ : std::chrono::milliseconds(200));
  }
  if (fail_ == "unknown_status_on_get")
    return static_cast<status>(200);
  if (fail_ == "internal_on_get")
    return status::internal; // its own word that it failed, without a throw
  if (fail_ == "unavailable_on_get")
    return status::unavailable;
  if (fail_ == "crash_on_get") {
    int* volatile nowhere = nullptr; // volatile: a write through a known null would be compiled to a trap
    *nowhere = 1;
  }
  if (fail_ == "abort_on_get")
    std::abort(); // as a failed assert does: the signal is raised in the C library, not here
  if (fail_ == "overflow_on_get")
    recurse_without_end(0);
  std::lock_guard<std::mutex> guard(store_->mutex);
  auto& entries = store_->entries;
  auto it = entries.find(id(ns, key));
  if (it == entries.end())
    return status::not_found;
  const auto now = std::chrono::steady_clock::now();
  if (it->second.expires <= now) {
    entries.erase(it);
    return status::not_found;
  }
  out.value = it->second.value;
  out.meta = it->second.meta;
  if (it->second.expires != std::chrono::steady_clock::time_point::max())
    out.meta.ttl = std::chrono::ceil<std::chrono::milliseconds>(it->second.expires - now);
  if (fail_ == "negative_ttl_hit")
    out.meta.ttl = std::chrono::milliseconds(-5000);
  if (fail_ == "empty_tag_hit")
    out.meta.tags.emplace_back();
  return status::ok;
}

status test_map_layer::put(std::string_view ns, std::string_view key, std::string_view value,
                           const entry_options& options) {
  std::size_t earlier_puts = 0;
  {
    std::lock_guard<std::mutex> guard(store_->mutex);
    earlier_puts = store_->puts++;
  }
  if (fail_ == "down_after_first_put" && earlier_puts > 0)
    return status::unavailable;
  if (fail_ == "unavailable_on_first_put" && earlier_puts == 0)
    return status::unavailable;
  if (fail_ == "unavailable_on_second_put" && earlier_puts == 1)
    return status::unavailable;
  if (fail_ == "timeout_on_put")
    return status::timeout; // its backend's own deadline passed
  if (fail_ == "invalid_on_put")
    return status::invalid;
  if (fail_ == "hang_on_put" || fail_ == "viewed_slow_puts")
    std::this_thread::sleep_for(hang_);
  if (fail_ == "hang_on_first_put" && earlier_puts == 0)
    std::this_thread::sleep_for(hang_); // then writes, as a stuck statement that completes does
  const auto expires = options.ttl.count() > 0 ? expiry_after(std::chrono::steady_clock::now(), options.ttl)
                                               : std::chrono::steady_clock::time_point::max();
  std::lock_guard<std::mutex> guard(store_->mutex);
  store_->entries[id(ns, key)] = stored{std::string(value), options, expires};
  return status::ok;
}

status test_map_layer::erase(std::string_view ns, std::string_view key) {
  std::lock_guard<std::mutex> guard(store_->mutex);
  if (fail_ == "down_after_first_put" && store_->puts > 1)
    return status::unavailable;
  return store_->entries.erase(id(ns, key)) ? status::ok : status::not_found;
}

std::size_t test_map_layer::invalidate_tag(std::string_view ns, std::string_view tag) {
  std::size_t removed = 0;
  const auto prefix = id(ns, "");
  std::lock_guard<std::mutex> guard(store_->mutex);
  auto& entries = store_->entries;
  for (auto it = entries.begin(); it != entries.end();) {
    const auto& tags = it->second.meta.tags;
    bool tagged = it->first.compare(0, prefix.size(), prefix) == 0 &&
                  std::find(tags.begin(), tags.end(), tag) != tags.end();
    if (tagged) {
      it = entries.erase(it);
      ++removed;
    } else {
      ++it;
    }
  }
  return removed;
}

status test_map_layer::command(std::string_view name, std::string_view, std::string& json_out) {
  if (name == "not_json") { // an answer the runtime must not pass on as JSON
    json_out = "not json at all";
    return status::ok;
  }
  if (name == "json_array") {
    json_out = "[1, 2]";
    return status::ok;
  }
  if (name == "size") { // how many entries the instance holds, expired ones too
    std::lock_guard<std::mutex> guard(store_->mutex);
    json_out = "{\"size\":" + std::to_string(store_->entries.size()) + "}";
    return status::ok;
  }
  if (name != "sleep") {
    json_out = "{\"error\":\"unknown command\"}";
    return status::invalid;
  }
  std::this_thread::sleep_for(hang_);
  json_out = "{}";
  return status::ok;
}

namespace {

/// A read view that fails or misses every get (`fail`: view_throws, view_unknown_status,
/// view_misses: a view that lags behind its layer; view_overflows: one that recurses until the
/// reading thread's stack overflows), while the layer's own get works.
class failing_view : public read_view {
public:
  explicit failing_view(std::string fail) : fail_(std::move(fail)) {}
  status get(std::string_view, std::string_view, std::string&) override {
    if (fail_ == "view_throws")
      throw std::runtime_error("configured to throw in its read view");
    if (fail_ == "view_overflows")
      recurse_without_end(0);
    return fail_ == "view_misses" ? status::not_found : static_cast<status>(201);
  }

private:
  std::string fail_;
};

} // namespace

/// What the layer holds, read from other threads (`viewed_slow_puts`).
class test_map_layer::entries_view : public read_view {
public:
  explicit entries_view(std::shared_ptr<entry_store> store) : store_(std::move(store)) {}
  status get(std::string_view ns, std::string_view key, std::string& value) override {
    std::lock_guard<std::mutex> guard(store_->mutex);
    const auto it = store_->entries.find(id(ns, key));
    if (it == store_->entries.end() || it->second.expires <= std::chrono::steady_clock::now())
      return status::not_found;
    value = it->second.value;
    return status::ok;
  }

private:
  std::shared_ptr<entry_store> store_;
};

std::shared_ptr<read_view> test_map_layer::concurrent_view() {
  if (fail_ == "throw_in_view")
    throw std::runtime_error("configured to throw in concurrent_view()");
  if (fail_ == "view_throws" || fail_ == "view_unknown_status" || fail_ == "view_misses" || fail_ == "view_overflows")
    return std::make_shared<failing_view>(fail_);
  if (fail_ == "viewed_slow_puts")
    return std::make_shared<entries_view>(store_);
  return nullptr;
}

std::chrono::milliseconds test_map_layer::maintenance_interval() const {
  if (fail_ == "throw_in_maintenance_interval")
    throw std::runtime_error("configured to throw in maintenance_interval()");
  return fail_ == "die_once" ? std::chrono::milliseconds(20) : std::chrono::milliseconds(0);
}

void test_map_layer::maintain() {
  if (deaths.fetch_add(1) == 0)
    throw std::runtime_error("configured to die once in maintain()");
}

} // namespace strata::test_plugins

static const strata_config_key test_map_schema[] = {
  {"fail", STRATA_VALUE_STRING, "none",
   "fault to inject: none, throw_on_get, hang_on_get, die_once, throw_in_factory, unknown_status_on_get, "
   "throw_in_view, throw_in_maintenance_interval, down_after_first_put (later puts, and erases after them, "
   "answer unavailable: a backend gone down), unavailable_on_get, internal_on_get, timeout_on_put, invalid_on_put (answered at "
   "once, nothing stored), hang_on_put, hang_on_first_put (the first put of the layer's entries hangs, then writes), unavailable_on_first_put, unavailable_on_second_put, view_throws, view_unknown_status, view_misses (a read view whose every get fails or misses), view_overflows (a read view that recurses until "
   "the reading thread's stack overflows: SIGSEGV), viewed_slow_puts (a read view of the entries, and puts that take `hang`), "
   "hang_on_get_then_warn (a get waits `hang`, then reports a warning and logs), negative_ttl_hit, empty_tag_hit (hits whose metadata a put would be refused for), crash_on_get (a get writes "
   "through a null pointer: SIGSEGV), abort_on_get (a get calls abort: SIGABRT), overflow_on_get (a get recurses "
   "until its thread's stack overflows: SIGSEGV), throw_late_on_get (a get sleeps `hang`, then throws), "
   "hang_on_first_get_then_slow (the first get of the layer's entries sleeps `hang`, every later one 200 ms), "
   "unavailable_after_first_get (the first get of the layer's entries answers, every later one unavailable)", 0, 0, 0, 0},
  {"hang", STRATA_VALUE_DURATION, "500ms", "how long hang_on_get, hang_on_put, throw_late_on_get and the command sleep, sleep", 1, 0, 0, 0},
  {"metric", STRATA_VALUE_STRING, "", "name of a counter of gets to register through the host; empty: none",
   0, 0, 0, 0},
  {"health", STRATA_VALUE_STRING, "healthy", "health to report at start: healthy, warning, critical", 0, 0, 0, 0},
  {"factory_delay", STRATA_VALUE_DURATION, "0", "how long each instance's creation takes", 1, 0, 0, 0},
  {"keep_across_restarts", STRATA_VALUE_BOOL, "false",
   "entries shared by every instance of this layer name in this process, as a database is", 0, 0, 0, 0},
  {"restarts_fail", STRATA_VALUE_INT, "0",
   "how many creations after the first, under this layer name in this process, throw (a restart that fails)", 1, 0, 1,
   1000},
};

#ifdef STRATA_TEST_MAP_DEADLINE_MS
// test_patient_map: test_map under another name, whose plugin declares a default deadline (ABI 1.7).
namespace strata::test_plugins {
struct patient_map_layer : test_map_layer {
  using test_map_layer::test_map_layer;
  static constexpr std::chrono::milliseconds default_deadline{STRATA_TEST_MAP_DEADLINE_MS};
};
} // namespace strata::test_plugins
STRATA_LAYER_PLUGIN("test_patient_map", "1.0.0", strata::test_plugins::patient_map_layer, test_map_schema, 0)
#else
STRATA_LAYER_PLUGIN("test_map", "1.0.0", strata::test_plugins::test_map_layer, test_map_schema, 0)
#endif
