#pragma once
// Shared test double: the host table a plugin instance receives (`strata_host_api`), keeping the
// contract of the runtime's own host (framework/src/instance_host.cpp) and recording what the
// instance does with it:
// - metric: counters, gauges and histograms from a real registry. The host adds the label naming
//   the instance (`cache_layer` for a layer, `exporter` for an exporter, `handler` for an alert
//   handler) first, and refuses a plugin-supplied label of that name; it also refuses, with a
//   reason in `error`, a missing name, label name or value, an unknown kind, and whatever the
//   registry refuses (an invalid name, a family registered with another kind, labels or buckets).
//   Null bounds (or none): the default latency buckets.
// - set_health and log: every report and every line, in order; levels out of range are read as
//   critical and error, as the runtime does. Messages are kept as the plugin wrote them (the
//   runtime's log prefixes them with the instance, which is its format, not the plugin's words).
// Every function is thread-safe. Link strata_test_support.

#include <strata/metrics_registry.hpp>
#include <strata/plugin_abi.h>
#include <strata/plugin_host.hpp>
#include <strata/telemetry_snapshot.hpp>

#include <cstdio>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace strata::testing {

struct recorded_log {
  strata_log_level level;
  std::string message;
};

struct recorded_health {
  strata_health_level level;
  std::string detail;
};

/// A request to drop a key (or a tag) from the other layers (strata_host_api 1.2).
struct recorded_invalidation {
  bool tag;
  std::string ns;
  std::string what;
};

class recording_host {
public:
  /// The label the runtime's host adds to every instrument of an instance of a plugin of `kind`.
  static std::string instance_label(strata_plugin_kind kind) {
    switch (raw(kind)) {
    case STRATA_PLUGIN_LAYER: return "cache_layer";
    case STRATA_PLUGIN_EXPORTER: return "exporter";
    case STRATA_PLUGIN_ALERT_HANDLER: return "handler";
    default: throw std::invalid_argument("no host for plugin kind " + std::to_string(raw(kind)));
    }
  }

  /// The host of the instance named `instance` of a plugin of `kind`.
  recording_host(strata_plugin_kind kind, std::string instance)
    : label_(instance_label(kind)), instance_(std::move(instance)) {}

  // The table points back at this object.
  recording_host(const recording_host&) = delete;
  recording_host& operator=(const recording_host&) = delete;

  /// What goes into strata_plugin_context::host. It must outlive the instance.
  const strata_host_api* api() const noexcept { return &api_; }

  /// The label the host adds (`cache_layer`, `exporter`, `handler`) and its value.
  const std::string& label() const noexcept { return label_; }
  const std::string& instance() const noexcept { return instance_; }

  /// Every line logged, in order.
  std::vector<recorded_log> logs() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return logs_;
  }

  /// Every health report, in order (the last one holds).
  std::vector<recorded_health> health() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return health_;
  }

  /// Every invalidation asked for, in order.
  std::vector<recorded_invalidation> invalidations() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return invalidations_;
  }

  /// Every family registered, sorted by name, with the instance label first in each sample.
  std::vector<metric_family> metrics() const { return registry_.snapshot(); }

  /// The sample of `family` whose labels are the instance label followed by `labels` (those the
  /// plugin gave); nothing if the plugin never registered it.
  std::optional<metric_sample> sample(const std::string& family, const metric_labels& labels = {}) const {
    auto found = find(family, labels);
    return found ? std::optional<metric_sample>(std::move(found->second)) : std::nullopt;
  }

  /// The value of a counter or gauge, as sample() finds it; nothing for a histogram.
  std::optional<double> value(const std::string& family, const metric_labels& labels = {}) const {
    const auto found = find(family, labels);
    return found && found->first != metric_type::histogram ? std::optional<double>(found->second.value)
                                                           : std::nullopt;
  }

private:
  /// A plugin may write any integer into an enum field; loading it as the enum would be undefined.
  template <class Enum>
  static long long raw(const Enum& field) {
    std::underlying_type_t<Enum> value;
    std::memcpy(&value, &field, sizeof value);
    return static_cast<long long>(value);
  }

  std::optional<std::pair<metric_type, metric_sample>> find(const std::string& family,
                                                             const metric_labels& labels) const {
    metric_labels wanted{{label_, instance_}};
    wanted.insert(wanted.end(), labels.begin(), labels.end());
    for (const auto& f : registry_.snapshot())
      if (f.name == family)
        for (const auto& s : f.samples)
          if (s.labels == wanted)
            return std::make_pair(f.type, s);
    return std::nullopt;
  }

  static recording_host& self(void* host) { return *static_cast<recording_host*>(host); }

  static void* metric(void* host, strata_metric_kind kind, const char* name, const char* help,
                      const char* const* label_names, const char* const* label_values, std::size_t label_count,
                      const double* bounds, std::size_t bound_count, char* error, std::size_t error_size) {
    auto& h = self(host);
    try {
      if (name == nullptr)
        throw std::invalid_argument("no name given");
      std::vector<std::string> names{h.label_};
      telemetry::label_values values{h.instance_};
      if (label_count > 0 && (label_names == nullptr || label_values == nullptr))
        throw std::invalid_argument(std::to_string(label_count) + " labels declared, but no array of their names or values");
      for (std::size_t i = 0; i < label_count; ++i) {
        if (label_names[i] == nullptr || label_values[i] == nullptr)
          throw std::invalid_argument("label " + std::to_string(i) + " has no name or value");
        if (h.label_ == label_names[i])
          throw std::invalid_argument("label '" + h.label_ + "' is added by the host");
        names.emplace_back(label_names[i]);
        values.emplace_back(label_values[i]);
      }
      const std::string description = help != nullptr ? help : "";
      switch (raw(kind)) {
      case STRATA_METRIC_COUNTER: return &h.registry_.counter(name, description, names, values);
      case STRATA_METRIC_GAUGE: return &h.registry_.gauge(name, description, names, values);
      case STRATA_METRIC_HISTOGRAM:
        return &h.registry_.histogram(name, description, names, values,
                                      bounds != nullptr && bound_count > 0
                                        ? std::vector<double>(bounds, bounds + bound_count)
                                        : instruments::default_latency_buckets());
      default: throw std::invalid_argument("unknown metric kind " + std::to_string(raw(kind)));
      }
    } catch (const std::exception& e) {
      if (error != nullptr && error_size > 0)
        std::snprintf(error, error_size, "%s", e.what());
    }
    return nullptr;
  }

  static void set_health(void* host, strata_health_level level, const char* detail) {
    const auto value = raw(level);
    const auto checked = value >= STRATA_HEALTH_HEALTHY && value <= STRATA_HEALTH_CRITICAL
                           ? static_cast<strata_health_level>(value) : STRATA_HEALTH_CRITICAL;
    auto& h = self(host);
    std::lock_guard<std::mutex> guard(h.mutex_);
    h.health_.push_back({checked, detail != nullptr ? detail : ""});
  }

  static void log(void* host, strata_log_level level, const char* message) {
    const auto value = raw(level);
    const auto checked = value >= STRATA_LOG_DEBUG && value <= STRATA_LOG_ERROR ? static_cast<strata_log_level>(value)
                                                                                 : STRATA_LOG_ERROR;
    auto& h = self(host);
    std::lock_guard<std::mutex> guard(h.mutex_);
    h.logs_.push_back({checked, message != nullptr ? message : ""});
  }

  static void invalidate(void* host, bool tag, const char* ns, size_t ns_size, const char* what, size_t what_size) {
    auto& h = self(host);
    std::lock_guard<std::mutex> guard(h.mutex_);
    h.invalidations_.push_back({tag, ns != nullptr ? std::string(ns, ns_size) : "",
                                what != nullptr ? std::string(what, what_size) : ""});
  }
  static void invalidate_key(void* host, const char* ns, size_t ns_size, const char* key, size_t key_size) {
    invalidate(host, false, ns, ns_size, key, key_size);
  }
  static void invalidate_tag(void* host, const char* ns, size_t ns_size, const char* tag, size_t tag_size) {
    invalidate(host, true, ns, ns_size, tag, tag_size);
  }

  const std::string label_;
  const std::string instance_;
  telemetry::registry registry_; // locks on its own
  mutable std::mutex mutex_;     // logs_, health_ and invalidations_
  std::vector<recorded_log> logs_;
  std::vector<recorded_health> health_;
  std::vector<recorded_invalidation> invalidations_;
  const strata_host_api api_{this,
                             &recording_host::metric,
                             &recording_host::set_health,
                             &recording_host::log,
                             &recording_host::invalidate_key,
                             &recording_host::invalidate_tag,
                             nullptr}; // no prefetch: it refuses, as a host outside a deployment does
};

} // namespace strata::testing
