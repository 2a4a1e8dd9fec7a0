// Loads libstrata_predictive.so as the runtime does and drives the layer through its interface.

#include <strata/sdk.hpp>

#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <map>
#include <string>

using namespace std::chrono_literals;

namespace {

/// The configuration the loader would build: every schema default, then the overrides.
strata::plugin_config config_of(const strata_plugin_descriptor& d,
                                std::map<std::string, std::string> overrides) {
  std::map<std::string, std::string> values;
  for (std::size_t i = 0; i < d.config_schema_size; ++i)
    values[d.config_schema[i].key] = d.config_schema[i].default_value;
  for (auto& [k, v] : overrides) values[k] = v;
  return strata::plugin_config{std::move(values)};
}

const strata_plugin_descriptor& load() {
  static void* handle = dlopen(STRATA_PREDICTIVE_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
  REQUIRE(handle != nullptr);
  auto entry = reinterpret_cast<strata_plugin_entry_fn>(dlsym(handle, STRATA_PLUGIN_ENTRY_SYMBOL));
  REQUIRE(entry != nullptr);
  return *entry();
}

} // namespace

TEST_CASE("the plugin describes itself", "[predictive][plugin]") {
  const auto& d = load();
  CHECK(d.abi_major == STRATA_ABI_MAJOR);
  CHECK(std::string(d.name) == "predictive");
  CHECK(std::string(d.version) == "0.3.0");
  CHECK(d.kind == STRATA_PLUGIN_LAYER);
  std::map<std::string, const strata_config_key*> keys;
  for (std::size_t i = 0; i < d.config_schema_size; ++i) keys[d.config_schema[i].key] = &d.config_schema[i];
  REQUIRE(keys.size() == 13);
  CHECK(std::string(keys.at("policy")->default_value) == "lru");
  CHECK(keys.at("max_entries")->type == STRATA_VALUE_INT);
  CHECK(keys.at("max_bytes")->type == STRATA_VALUE_SIZE);
  CHECK(std::string(keys.at("max_bytes")->default_value) == "64MiB");
  CHECK(keys.at("shards")->has_max == 1);
  CHECK(keys.at("shards")->max == 256);
  CHECK(keys.at("expiry_interval")->type == STRATA_VALUE_DURATION);
  CHECK(std::string(keys.at("default_ttl")->default_value) == "0");
  for (auto& [name, key] : keys) {
    CHECK(key->default_value != nullptr);
    CHECK(std::string(key->description).size() > 0);
  }
}

TEST_CASE("the layer serves through its interface and its view outlives it", "[predictive][plugin]") {
  const auto& d = load();
  auto config = config_of(d, {{"expiry_interval", "250ms"}, {"default_ttl", "1h"}, {"shards", "2"}});
  strata_plugin_context ctx{STRATA_ABI_MAJOR, STRATA_ABI_MINOR, "l1", &config, nullptr, nullptr};
  char error[256] = {};
  auto* l = static_cast<strata::layer*>(d.create(&ctx, error, sizeof error));
  REQUIRE(l != nullptr);

  CHECK(l->maintenance_interval() == 250ms);
  strata::entry_options options;
  options.tags = {"t"};
  REQUIRE(l->put("ns", "k", "v", options) == strata::status::ok);
  strata::layer_hit hit;
  REQUIRE(l->get("ns", "k", hit) == strata::status::ok);
  CHECK(hit.value == "v");
  CHECK(hit.meta.ttl > 3599s); // the default TTL applied
  CHECK(hit.meta.tags == std::vector<std::string>{"t"});
  l->maintain();

  auto view = l->concurrent_view();
  REQUIRE(view != nullptr);
  d.destroy(l);
  std::string value;
  REQUIRE(view->get("ns", "k", value) == strata::status::ok);
  CHECK(value == "v");
  CHECK(view->get("other", "k", value) == strata::status::not_found);
}

TEST_CASE("create reports a bad configuration instead of throwing", "[predictive][plugin]") {
  const auto& d = load();
  strata::plugin_config empty;
  strata_plugin_context ctx{STRATA_ABI_MAJOR, STRATA_ABI_MINOR, "l1", &empty, nullptr, nullptr};
  char error[256] = {};
  CHECK(d.create(&ctx, error, sizeof error) == nullptr);
  CHECK(std::string(error).find("max_entries") != std::string::npos);
}

TEST_CASE("create refuses an unknown policy or a prefetch confidence above 1, naming them", "[predictive][plugin]") {
  const auto& d = load();
  char error[256] = {};
  auto policy = config_of(d, {{"policy", "fifo"}});
  strata_plugin_context ctx{STRATA_ABI_MAJOR, STRATA_ABI_MINOR, "l1", &policy, nullptr, nullptr};
  CHECK(d.create(&ctx, error, sizeof error) == nullptr);
  CHECK(std::string(error) == "policy: 'fifo' is neither lru nor predictive");

  auto confidence = config_of(d, {{"prefetch", "true"}, {"prefetch_confidence", "1.5"}});
  ctx.config = &confidence;
  CHECK(d.create(&ctx, error, sizeof error) == nullptr);
  CHECK(std::string(error).find("prefetch_confidence") != std::string::npos);

  // A share is at least one entry and one byte: fewer in total than shards would hold more.
  auto few = config_of(d, {{"max_entries", "5"}, {"shards", "8"}});
  ctx.config = &few;
  CHECK(d.create(&ctx, error, sizeof error) == nullptr);
  CHECK(std::string(error) ==
        "max_entries: 5 is fewer than the 8 shards, each of which holds one entry at least; give shards: 5 or fewer");
  auto small = config_of(d, {{"max_bytes", "7"}, {"shards", "8"}});
  ctx.config = &small;
  CHECK(d.create(&ctx, error, sizeof error) == nullptr);
  CHECK(std::string(error) ==
        "max_bytes: 7 bytes are fewer than the 8 shards, each of which holds one byte at least; give shards: 7 or fewer");
  auto exact = config_of(d, {{"max_entries", "8"}, {"max_bytes", "8"}, {"shards", "8"}});
  ctx.config = &exact;
  void* eight = d.create(&ctx, error, sizeof error);
  REQUIRE(eight != nullptr);
  d.destroy(eight);

  auto fine = config_of(d, {{"policy", "predictive"}, {"prefetch", "true"}});
  ctx.config = &fine;
  void* instance = d.create(&ctx, error, sizeof error);
  REQUIRE(instance != nullptr);
  d.destroy(instance);
}
