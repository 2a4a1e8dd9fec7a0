#pragma once
// A host table for tests: keeps the counters a plugin registers, to be read back, and what it logs.

#include <strata/instruments.hpp>
#include <strata/plugin_abi.h>
#include <strata/plugin_host.hpp>

#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace strata::testing {

class recording_host {
public:
  recording_host() : api_{this, &metric, &set_health, &log} {}
  recording_host(const recording_host&) = delete;
  recording_host& operator=(const recording_host&) = delete;

  const strata_host_api* api() const { return &api_; }

  std::vector<std::string> logs() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return logs_;
  }

  /// The counter registered as `name` with `labels`, or null.
  const instruments::counter* counter(const std::string& name, const metric_labels& labels) const {
    std::lock_guard<std::mutex> guard(mutex_);
    auto it = counters_.find(key(name, labels));
    return it == counters_.end() ? nullptr : it->second.get();
  }

private:
  static std::string key(const std::string& name, const metric_labels& labels) {
    std::string k = name;
    for (const auto& [n, v] : labels)
      k += '\0' + n + '=' + v;
    return k;
  }

  static void* metric(void* self, strata_metric_kind kind, const char* name, const char*, const char* const* label_names,
                      const char* const* label_values, size_t label_count, const double*, size_t, char* error,
                      size_t error_size) {
    if (kind != STRATA_METRIC_COUNTER) {
      std::snprintf(error, error_size, "this test host keeps counters only");
      return nullptr;
    }
    auto& host = *static_cast<recording_host*>(self);
    metric_labels labels;
    for (size_t i = 0; i < label_count; ++i)
      labels.emplace_back(label_names[i], label_values[i]);
    std::lock_guard<std::mutex> guard(host.mutex_);
    auto& slot = host.counters_[key(name, labels)];
    if (!slot)
      slot = std::make_unique<instruments::counter>();
    return slot.get();
  }

  static void set_health(void*, strata_health_level, const char*) {}

  static void log(void* self, strata_log_level, const char* message) {
    auto& host = *static_cast<recording_host*>(self);
    std::lock_guard<std::mutex> guard(host.mutex_);
    host.logs_.emplace_back(message);
  }

  mutable std::mutex mutex_;
  std::map<std::string, std::unique_ptr<instruments::counter>> counters_;
  std::vector<std::string> logs_;
  strata_host_api api_;
};

} // namespace strata::testing
