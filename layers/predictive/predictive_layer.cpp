/// @file predictive_layer.cpp
/// The `predictive` layer plugin: for now the exact-match store behind the strata::layer
/// interface (the prediction model that prefetches comes later). Its size and evictions are
/// published as metrics through the host on every maintenance pass.

#include "exact_store.hpp"

#include <strata/sdk.hpp>

#include <chrono>
#include <stdexcept>
#include <memory>

namespace strata::predictive {
namespace {

std::chrono::milliseconds to_ms(std::chrono::nanoseconds d) {
  // Rounded up so that a sub-millisecond setting does not become 0 ("never").
  return std::chrono::ceil<std::chrono::milliseconds>(d);
}

store_config read_config(const plugin_config& config) {
  store_config c;
  c.max_entries = static_cast<std::uint64_t>(config.get_int("max_entries"));
  c.max_bytes = config.get_size("max_bytes");
  c.shards = static_cast<std::size_t>(config.get_int("shards"));
  c.default_ttl = to_ms(config.get_duration("default_ttl"));
  const auto& policy = config.get_string("policy");
  if (policy == "lru")
    c.policy = eviction_policy::lru;
  else if (policy == "predictive")
    c.policy = eviction_policy::tinylfu;
  else
    throw std::invalid_argument("policy: '" + policy + "' is neither lru nor predictive");
  c.window_fraction = config.get_double("window");
  c.adaptive_window = config.get_bool("adaptive_window");
  c.doorkeeper = config.get_bool("doorkeeper");
  return c;
}

/// The concurrent read path. Holds the store itself, so it outlives the layer.
class store_view : public read_view {
public:
  explicit store_view(std::shared_ptr<exact_store> store) : store_(std::move(store)) {}

  status get(std::string_view ns, std::string_view key, std::string& value_out) override {
    return store_->get(ns, key, value_out);
  }

private:
  std::shared_ptr<exact_store> store_;
};

/// The store's own figures as metrics. The store counts in plain atomics on its hot path; these
/// copy them out when the layer is maintained, so the metrics lag by at most `expiry_interval`.
class store_metrics {
public:
  explicit store_metrics(plugin_host& host)
    : host_(host),
      entries_(host.gauge("strata_cache_entries", "Entries held by a layer.")),
      bytes_(host.gauge("strata_cache_size_bytes", "Bytes a layer charges for its entries.")),
      capacity_(eviction_counter(host, "capacity")),
      expired_(eviction_counter(host, "expired")),
      invalidated_(eviction_counter(host, "invalidated")) {}

  void publish(const exact_store& store) {
    entries_.set(static_cast<double>(store.entries()));
    bytes_.set(static_cast<double>(store.bytes()));
    advance(capacity_, store.evictions_capacity());
    advance(expired_, store.evictions_expired());
    advance(invalidated_, store.evictions_invalidated());
    host_.set_health(health_level::healthy, std::to_string(store.entries()) + " entries, " +
                                              std::to_string(store.bytes()) + " bytes");
  }

private:
  struct tracked {
    instruments::counter& counter;
    std::uint64_t published = 0;
  };

  static tracked eviction_counter(plugin_host& host, const char* reason) {
    return tracked{host.counter("strata_cache_evictions_total",
                                "Entries a layer removed: capacity (to make room), expired (TTL), "
                                "invalidated (a tag invalidation).",
                                {{"reason", reason}})};
  }

  /// Counters only go up: add what the store counted since the last pass.
  static void advance(tracked& t, std::uint64_t total) {
    if (total > t.published)
      t.counter.inc(total - t.published);
    t.published = total;
  }

  plugin_host& host_;
  instruments::gauge& entries_;
  instruments::gauge& bytes_;
  tracked capacity_;
  tracked expired_;
  tracked invalidated_;
};

class predictive_layer : public layer {
public:
  explicit predictive_layer(const layer_context& context)
      : store_(std::make_shared<exact_store>(read_config(context.config))),
        expiry_interval_(to_ms(context.config.get_duration("expiry_interval"))), host_(context.host),
        metrics_(host_) {}

  status get(std::string_view ns, std::string_view key, layer_hit& out) override {
    return store_->get(ns, key, out);
  }

  status put(std::string_view ns, std::string_view key, std::string_view value,
             const entry_options& options) override {
    return store_->put(ns, key, value, options);
  }

  status erase(std::string_view ns, std::string_view key) override { return store_->erase(ns, key); }

  std::size_t invalidate_tag(std::string_view ns, std::string_view tag) override {
    return store_->invalidate_tag(ns, tag);
  }

  std::chrono::milliseconds maintenance_interval() const override { return expiry_interval_; }

  void maintain() override {
    store_->purge_expired();
    metrics_.publish(*store_);
  }

  std::shared_ptr<read_view> concurrent_view() override { return std::make_shared<store_view>(store_); }

private:
  std::shared_ptr<exact_store> store_;
  std::chrono::milliseconds expiry_interval_;
  plugin_host host_;
  store_metrics metrics_;
};

const strata_config_key schema[] = {
    {"max_entries", STRATA_VALUE_INT, "100000", "entries kept in total (split across shards)", 1, 1, 0, 0},
    {"max_bytes", STRATA_VALUE_SIZE, "64MiB", "bytes charged in total (split across shards)", 1, 1, 0, 0},
    {"shards", STRATA_VALUE_INT, "8", "independently locked partitions; 1 gives an exact global LRU",
     1, 1, 1, 256},
    {"expiry_interval", STRATA_VALUE_DURATION, "1s", "how often expired entries are purged", 1, 1, 0, 0},
    {"default_ttl", STRATA_VALUE_DURATION, "0", "TTL of a put that gives none; 0 means no expiry",
     1, 0, 0, 0},
    {"policy", STRATA_VALUE_STRING, "lru",
     "what a full shard drops: lru (exact least recently used) or predictive (W-TinyLFU on the access model)",
     0, 0, 0, 0},
    {"window", STRATA_VALUE_DOUBLE, "0.01", "predictive: the admission window's initial share of the bounds",
     1, 0, 1, 1},
    {"adaptive_window", STRATA_VALUE_BOOL, "false",
     "predictive: steer the window's share by an LRU shadow of the same bounds (up to 1: an LRU) when it "
     "does better than the policy; costs about 80 bytes per entry", 0, 0, 0, 0},
    {"doorkeeper", STRATA_VALUE_BOOL, "false",
     "predictive: a Bloom filter in front of the frequency sketch (keys seen once cost no counter)", 0, 0, 0, 0},
};

} // namespace
} // namespace strata::predictive

STRATA_LAYER_PLUGIN("predictive", "0.1.0", strata::predictive::predictive_layer,
                    strata::predictive::schema, STRATA_PLUGIN_FLAG_COOPERATIVE)
