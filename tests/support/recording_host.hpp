#pragma once
// Shared test double: the C host table a plugin receives (`strata_host_api`), recording every log
// line and health report, and handing out instruments from a real registry with the instance's
// label added, as the runtime does. Link strata_telemetry.

#include <strata/metrics_registry.hpp>
#include <strata/plugin_abi.h>
#include <strata/plugin_host.hpp>

#include <cstdio>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
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

class recording_host {
public:
  /// `label` is the label the host adds to every instrument of the instance (`cache_layer` for a
  /// layer, `handler` for an alert handler), `instance` its value.
  recording_host(std::string label, std::string instance)
    : label_(std::move(label)), instance_(std::move(instance)) {}

  // The table points back at this object.
  recording_host(const recording_host&) = delete;
  recording_host& operator=(const recording_host&) = delete;

  /// What goes into strata_plugin_context::host.
  const strata_host_api* api() const noexcept { return &api_; }

  std::vector<recorded_log> logs() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return logs_;
  }

  std::vector<recorded_health> health() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return health_;
  }

  /// Every family the plugin registered, with the instance label first in each sample.
  std::vector<metric_family> metrics() const { return registry_.snapshot(); }

  /// The value of the counter or gauge sample of `family` whose labels are the instance label
  /// followed by `labels`; nothing if the plugin never registered it.
  std::optional<double> value(const std::string& family, const metric_labels& labels = {}) const {
    metric_labels wanted{{label_, instance_}};
    wanted.insert(wanted.end(), labels.begin(), labels.end());
    for (const auto& f : registry_.snapshot())
      if (f.name == family)
        for (const auto& sample : f.samples)
          if (sample.labels == wanted)
            return sample.value;
    return std::nullopt;
  }

private:
  static recording_host& self(void* host) { return *static_cast<recording_host*>(host); }

  static void* metric(void* host, strata_metric_kind kind, const char* name, const char* help,
                      const char* const* label_names, const char* const* label_values, std::size_t label_count,
                      const double* bounds, std::size_t bound_count, char* error, std::size_t error_size) {
    auto& h = self(host);
    std::vector<std::string> names{h.label_};
    telemetry::label_values values{h.instance_};
    for (std::size_t i = 0; i < label_count; ++i) {
      names.emplace_back(label_names[i]);
      values.emplace_back(label_values[i]);
    }
    try {
      switch (kind) {
      case STRATA_METRIC_COUNTER: return &h.registry_.counter(name, help, names, values);
      case STRATA_METRIC_GAUGE: return &h.registry_.gauge(name, help, names, values);
      case STRATA_METRIC_HISTOGRAM:
        return bounds == nullptr
                 ? &h.registry_.histogram(name, help, names, values)
                 : &h.registry_.histogram(name, help, names, values, std::vector<double>(bounds, bounds + bound_count));
      }
      std::snprintf(error, error_size, "unknown metric kind %d", static_cast<int>(kind));
    } catch (const std::exception& e) {
      std::snprintf(error, error_size, "%s", e.what());
    }
    return nullptr;
  }

  static void set_health(void* host, strata_health_level level, const char* detail) {
    auto& h = self(host);
    std::lock_guard<std::mutex> guard(h.mutex_);
    h.health_.push_back({level, detail != nullptr ? detail : ""});
  }

  static void log(void* host, strata_log_level level, const char* message) {
    auto& h = self(host);
    std::lock_guard<std::mutex> guard(h.mutex_);
    h.logs_.push_back({level, message});
  }

  std::string label_;
  std::string instance_;
  telemetry::registry registry_;
  mutable std::mutex mutex_;
  std::vector<recorded_log> logs_;
  std::vector<recorded_health> health_;
  const strata_host_api api_{this, &recording_host::metric, &recording_host::set_health, &recording_host::log};
};

} // namespace strata::testing
