/// @file predictive_layer.cpp
/// The `predictive` layer plugin: the exact-match store behind the strata::layer interface, its
/// eviction policy chosen in YAML (lru, or predictive: W-TinyLFU on a frequency sketch), and,
/// when prefetch is on, an access model that learns which key follows which and asks the runtime
/// to load the likely next key before it is asked for. Its figures are published as metrics
/// through the host on every maintenance pass.

#include "access_model.hpp"
#include "exact_store.hpp"

#include <strata/sdk.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>

namespace strata::predictive {
namespace {

std::chrono::milliseconds to_ms(std::chrono::nanoseconds d) {
  // Rounded up so that a sub-millisecond setting does not become 0 ("never").
  return std::chrono::ceil<std::chrono::milliseconds>(d);
}

/// Every reason at once, each at its key (one at a time, a file of three faults took three runs).
store_config read_store_config(const plugin_config& config) {
  store_config c;
  c.max_entries = static_cast<std::uint64_t>(config.get_int("max_entries"));
  c.max_bytes = config.get_size("max_bytes");
  c.shards = static_cast<std::size_t>(config.get_int("shards"));
  config_refusals refused;
  // Each shard holds at least one entry and one byte: fewer in total than shards would hold more
  // than the bound says.
  refused.check([&] {
    if (c.max_entries < c.shards)
      throw std::invalid_argument("max_entries: " + std::to_string(c.max_entries) + " is fewer than the " +
                                  std::to_string(c.shards) +
                                  " shards, each of which holds one entry at least; give shards: " +
                                  std::to_string(c.max_entries) + " or fewer");
  });
  refused.check([&] {
    if (c.max_bytes < c.shards)
      throw std::invalid_argument("max_bytes: " + std::to_string(c.max_bytes) + " bytes are fewer than the " +
                                  std::to_string(c.shards) + " shards, each of which holds one byte at least; give shards: " +
                                  std::to_string(c.max_bytes) + " or fewer");
  });
  c.default_ttl = to_ms(config.get_duration("default_ttl"));
  const auto& policy = config.get_string("policy");
  refused.check([&] {
    if (policy == "lru")
      c.policy = eviction_policy::lru;
    else if (policy == "predictive")
      c.policy = eviction_policy::tinylfu;
    else
      throw std::invalid_argument("policy: '" + policy + "' is neither lru nor predictive");
  });
  refused.done();
  c.window_fraction = config.get_double("window");
  c.adaptive_window = config.get_bool("adaptive_window");
  c.doorkeeper = config.get_bool("doorkeeper");
  return c;
}

model_config read_model_config(const plugin_config& config) {
  model_config c;
  c.prefetch = config.get_bool("prefetch");
  c.confidence = config.get_double("prefetch_confidence");
  c.rate = config.get_double("prefetch_rate");
  c.tracked_keys = static_cast<std::size_t>(config.get_int("model_keys"));
  return c;
}

/// The layer's metrics: the store's own figures, copied out on every maintenance pass (the store
/// counts in plain atomics on its hot path), and the model's.
class layer_metrics {
public:
  explicit layer_metrics(plugin_host& host)
    : host_(host),
      entries_(host.entries_gauge()),
      bytes_(host.size_bytes_gauge()),
      capacity_(host.evictions_counter("capacity")),
      expired_(host.evictions_counter("expired")),
      invalidated_(host.evictions_counter("invalidated")),
      rejected_{host.counter("strata_predictive_admissions_rejected_total",
                             "Entries the predictive policy dropped instead of a more frequent one.")},
      issued_(prefetch_counter(host, "issued")),
      filled_(prefetch_counter(host, "filled")),
      used_(prefetch_counter(host, "used")),
      wasted_(prefetch_counter(host, "wasted")),
      accuracy_(host.gauge("strata_predictive_prefetch_accuracy",
                           "Prefetched entries read at least once, over prefetched entries written.")),
      confidence_(host.histogram("strata_predictive_prediction_confidence",
                                 "Confidence of the model's predictions of the next key.", {},
                                 {0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0})),
      version_(host.gauge("strata_predictive_model_version", "Version of the access model's format.")),
      updates_{host.counter("strata_predictive_model_updates_total",
                            "Transitions (a key followed by another) the access model learned.")},
      last_update_(host.gauge("strata_predictive_model_last_update_seconds",
                              "When the access model last learned, in seconds since the Unix epoch; 0 before.")),
      dropped_{host.counter("strata_predictive_model_reads_dropped_total",
                            "Reads the access model's log dropped because it was full (it learned from a sample).")},
      window_(host.gauge("strata_predictive_window_fraction",
                         "The predictive policy's admission window, as a share of the bounds.")),
      leader_changes_{host.counter("strata_predictive_leader_changes_total",
                                   "Times a shard changed the shadow its store follows (adaptive_window).")} {
    version_.set(access_model::version);
  }

  instruments::histogram& confidence() noexcept { return confidence_; }

  void publish(const exact_store& store, const access_model* model) {
    entries_.set(static_cast<double>(store.entries()));
    bytes_.set(static_cast<double>(store.bytes()));
    capacity_.follow(store.evictions_capacity());
    expired_.follow(store.evictions_expired());
    invalidated_.follow(store.evictions_invalidated());
    rejected_.follow(store.admissions_rejected());
    filled_.follow(store.prefetches_filled());
    used_.follow(store.prefetches_used());
    wasted_.follow(store.prefetches_wasted());
    const auto filled = store.prefetches_filled();
    accuracy_.set(filled == 0 ? 0.0 : static_cast<double>(store.prefetches_used()) / static_cast<double>(filled));
    window_.set(store.policy() == eviction_policy::tinylfu ? store.window_fraction() : 1.0);
    leader_changes_.follow(store.leader_changes());
    if (model != nullptr) {
      issued_.follow(model->prefetches_issued());
      updates_.follow(model->updates());
      dropped_.follow(model->reads_dropped());
      last_update_.set(model->last_update());
    }
    host_.set_health(health_level::healthy, holding_detail(store.entries(), store.bytes()));
  }

private:
  static instruments::counter& prefetch_counter(plugin_host& host, const char* outcome) {
    return host.counter("strata_predictive_prefetches_total",
                        "Prefetches: issued (asked of the runtime), filled (written into the layer), "
                        "used (read at least once), wasted (removed before any read).",
                        {{"outcome", outcome}});
  }

  plugin_host& host_;
  instruments::gauge& entries_;
  instruments::gauge& bytes_;
  instruments::counter_total capacity_;
  instruments::counter_total expired_;
  instruments::counter_total invalidated_;
  instruments::counter_total rejected_;
  instruments::counter_total issued_;
  instruments::counter_total filled_;
  instruments::counter_total used_;
  instruments::counter_total wasted_;
  instruments::gauge& accuracy_;
  instruments::histogram& confidence_;
  instruments::gauge& version_;
  instruments::counter_total updates_;
  instruments::gauge& last_update_;
  instruments::counter_total dropped_;
  instruments::gauge& window_;
  instruments::counter_total leader_changes_;
};

/// The access model when prefetch is on, wired to the store (is a key cached?), the host (pass a
/// prefetch on) and the confidence histogram. Null when prefetch is off: reads then cost nothing
/// beyond the store's own work.
std::shared_ptr<access_model> make_model(const plugin_config& config, const std::shared_ptr<exact_store>& store,
                                         plugin_host host, instruments::histogram& confidence) {
  const auto c = read_model_config(config);
  if (!c.prefetch)
    return nullptr;
  return std::make_shared<access_model>(
    c, [store](std::string_view ns, std::string_view key) { return store->contains(ns, key); },
    [host](std::string_view ns, std::string_view key) mutable { return host.prefetch(ns, key); },
    [&confidence](double value) { confidence.observe(value); });
}

/// The concurrent read path. Holds the store and the model themselves, so it outlives the layer.
class store_view : public read_view {
public:
  store_view(std::shared_ptr<exact_store> store, std::shared_ptr<access_model> model)
    : store_(std::move(store)), model_(std::move(model)) {}

  status get(std::string_view ns, std::string_view key, std::string& value_out) override {
    const status found = store_->get(ns, key, value_out);
    if (model_)
      model_->record(ns, key);
    return found;
  }

private:
  std::shared_ptr<exact_store> store_;
  std::shared_ptr<access_model> model_;
};

class predictive_layer : public layer {
public:
  /// What the schema cannot say: that `policy` names a policy.
  static void check_config(const plugin_config& config) { read_store_config(config); }

  /// What only W-TinyLFU, or only the access model, reads: set without it, refused (ABI 1.8).
  static constexpr strata_key_condition key_conditions[] = {
    {"window", "policy", "predictive"},
    {"adaptive_window", "policy", "predictive"},
    {"doorkeeper", "policy", "predictive"},
    {"prefetch_confidence", "prefetch", "true"},
    {"prefetch_rate", "prefetch", "true"},
    {"model_keys", "prefetch", "true"},
  };

  explicit predictive_layer(const layer_context& context)
      : store_(std::make_shared<exact_store>(read_store_config(context.config))),
        expiry_interval_(to_ms(context.config.get_duration("expiry_interval"))), host_(context.host),
        metrics_(host_), model_(make_model(context.config, store_, host_, metrics_.confidence())) {
    metrics_.publish(*store_, model_.get()); // the gauges say what holds from the start, not 0
  }

  status get(std::string_view ns, std::string_view key, layer_hit& out) override {
    const status found = store_->get(ns, key, out);
    if (model_)
      model_->record(ns, key);
    return found;
  }

  status put(std::string_view ns, std::string_view key, std::string_view value,
             const entry_options& options) override {
    if (model_)
      model_->end_pending(ns, key); // a client's write, a promotion, a read-through's fill: not a prefetch's
    return store_->put(ns, key, value, options);
  }

  status put_prefetched(std::string_view ns, std::string_view key, std::string_view value,
                        const entry_options& options) override {
    if (model_)
      model_->end_pending(ns, key);
    return store_->put_prefetched(ns, key, value, options);
  }

  status erase(std::string_view ns, std::string_view key) override { return store_->erase(ns, key); }

  std::size_t invalidate_tag(std::string_view ns, std::string_view tag) override {
    return store_->invalidate_tag(ns, tag);
  }

  std::chrono::milliseconds maintenance_interval() const override { return expiry_interval_; }

  void maintain() override {
    store_->purge_expired();
    if (model_)
      model_->drain();
    metrics_.publish(*store_, model_.get());
  }

  std::shared_ptr<read_view> concurrent_view() override { return std::make_shared<store_view>(store_, model_); }

private:
  std::shared_ptr<exact_store> store_;
  std::chrono::milliseconds expiry_interval_;
  plugin_host host_;
  layer_metrics metrics_;
  std::shared_ptr<access_model> model_;
};

const strata_config_key schema[] = {
    {"max_entries", STRATA_VALUE_INT, "100000", "entries kept in total (split across shards; at least shards)", 1, 1, 0, 0},
    {"max_bytes", STRATA_VALUE_SIZE, "64MiB", "bytes charged in total (split across shards; at least shards)", 1, 1, 0, 0},
    {"shards", STRATA_VALUE_INT, "8", "independently locked partitions; 1 gives an exact global LRU",
     1, 1, 1, 256},
    {"expiry_interval", STRATA_VALUE_DURATION, "1s", "how often expired entries are purged and the layer's metrics published", 1, 1, 0, 0},
    {"default_ttl", STRATA_VALUE_DURATION, "0", "TTL of a put that gives none; 0 means no expiry",
     1, 0, 0, 0},
    {"policy", STRATA_VALUE_STRING, "lru",
     "what a full shard drops: lru (exact least recently used) or predictive (W-TinyLFU on the access model, "
     "and recency while that hits more: see adaptive_window)",
     0, 0, 0, 0},
    {"window", STRATA_VALUE_DOUBLE, "0.01", "predictive: the W-TinyLFU admission window's share of the bounds",
     1, 0, 1, 1},
    {"adaptive_window", STRATA_VALUE_BOOL, "true",
     "predictive: hold what a GreedyDual-Size shadow of the same bounds holds (recency, small entries kept "
     "longer; LRU when charges are equal) until a W-TinyLFU shadow hits more (over all requests, by 2 % of its "
     "misses and beyond chance), then what that one holds while it does: so a first scan of keys seen once flushes the "
     "frequent ones as under LRU, and later scans do not; costs about 160 bytes per entry (false: W-TinyLFU alone, scan-resistant from the start)", 0, 0, 0, 0},
    {"doorkeeper", STRATA_VALUE_BOOL, "false",
     "predictive: a Bloom filter in front of the frequency sketch (keys seen once cost no counter)", 0, 0, 0, 0},
    {"prefetch", STRATA_VALUE_BOOL, "false",
     "learn which key follows which and ask the runtime to load the likely next key ahead of a request",
     0, 0, 0, 0},
    {"prefetch_confidence", STRATA_VALUE_DOUBLE, "0.5",
     "prefetch: the least share of a key's recent successors that the predicted key must have", 1, 0, 1, 1},
    {"prefetch_rate", STRATA_VALUE_DOUBLE, "100", "prefetch: requests per second at most (a token bucket of a second's worth, at least one)",
     1, 0.001, 0, 0},
    {"model_keys", STRATA_VALUE_INT, "10000",
     "prefetch: keys whose successors the model tracks (least recently seen forgotten first)", 1, 1, 1, 10000000},
};

} // namespace
} // namespace strata::predictive

STRATA_LAYER_PLUGIN("predictive", "0.3.0", strata::predictive::predictive_layer,
                    strata::predictive::schema, STRATA_PLUGIN_FLAG_COOPERATIVE)
