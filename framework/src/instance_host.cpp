#include "instance_host.hpp"

#include "abi_value.hpp"
#include "telemetry_hub.hpp"

#include <cstdio>
#include <exception>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace strata::detail {

instance_host::instance_host(std::string label, std::string instance, telemetry::registry* registry,
                             health_fn on_health, std::shared_ptr<runtime_log> log)
  : label_(std::move(label)), instance_(std::move(instance)), registry_(registry), on_health_(std::move(on_health)),
    log_(std::move(log)), api_{this,
         &instance_host::metric,
         &instance_host::set_health,
         &instance_host::log,
         &instance_host::invalidate_key,
         &instance_host::invalidate_tag,
         &instance_host::prefetch} {
  if (registry_ == nullptr) {
    unexported_ = std::make_unique<telemetry::registry>();
    registry_ = unexported_.get();
  }
}

namespace {

/// A family plugins of one kind share: the type every one of them registers, the label the host
/// adds for that kind, and the labels each registration gives.
struct shared_family {
  const char* kind;
  const char* label;
  std::vector<std::string> labels;
};

/// The families plugins share (the layers' standard families, and the exporters' and alert
/// handlers' error counters), or null.
const shared_family* shared_family_of(const std::string& name) {
  static const std::map<std::string, shared_family> families{
    {"strata_cache_entries", {"gauge", "cache_layer", {}}},
    {"strata_cache_size_bytes", {"gauge", "cache_layer", {}}},
    {"strata_cache_evictions_total", {"counter", "cache_layer", {"reason"}}},
    {"strata_exporter_errors_total", {"counter", "exporter", {}}},
    {"strata_alert_handler_errors_total", {"counter", "handler", {}}},
  };
  const auto it = families.find(name);
  return it == families.end() ? nullptr : &it->second;
}

/// What an instance whose metrics carry `label` is, for messages: "layer", "exporter", ...
std::string instance_kind(const std::string& label) {
  return label == "cache_layer" ? "layer" : label == "handler" ? "alert handler" : label;
}

std::string kind_name(strata_metric_kind kind) {
  switch (abi_value(kind)) {
  case STRATA_METRIC_COUNTER: return "counter";
  case STRATA_METRIC_GAUGE: return "gauge";
  case STRATA_METRIC_HISTOGRAM: return "histogram";
  default: return "unknown kind";
  }
}

} // namespace

void* instance_host::metric(void* self, strata_metric_kind kind, const char* name, const char* help,
                            const char* const* label_names, const char* const* label_values, size_t label_count,
                            const double* bounds, size_t bound_count, char* error, size_t error_size) noexcept {
  auto* host = static_cast<instance_host*>(self);
  try {
    if (name == nullptr)
      throw std::invalid_argument("no name given");
    if (is_derived_family(name))
      throw std::invalid_argument(std::string("'") + name + "' is derived by the runtime; choose another name");
    if (is_runtime_family(name))
      throw std::invalid_argument(std::string("'") + name + "' is recorded by the runtime itself; choose another name");
    if (const auto base = telemetry::histogram_of_series(name); !base.empty() && (is_runtime_family(base) || is_derived_family(base)))
      // Registered first, it would stop the runtime's own family, created after the plugins.
      throw std::invalid_argument(std::string("'") + name + "' is a series of '" + base +
                                  "', which the runtime records; choose another name");
    // Refused here, in the plugin that got it wrong: else the plugins that register it right would
    // fail after it, and be blamed.
    if (const auto* shared = shared_family_of(name)) {
      if (host->label_ != shared->label)
        throw std::invalid_argument(std::string("'") + name + "' is the family of every " +
                                    instance_kind(shared->label) + " (docs/metrics.md); a " +
                                    instance_kind(host->label_) + " cannot register it; choose another name");
      if (kind_name(kind) != shared->kind)
        throw std::invalid_argument(std::string("'") + name + "' is a " + shared->kind +
                                    " shared by plugins of its kind (docs/metrics.md); register it as one");
      std::vector<std::string> given;
      for (size_t i = 0; i < label_count && label_names != nullptr; ++i)
        given.emplace_back(label_names[i] != nullptr ? label_names[i] : "");
      if (given != shared->labels) {
        std::string labels;
        for (const auto& label : shared->labels)
          labels += (labels.empty() ? "" : ", ") + label;
        throw std::invalid_argument(std::string("'") + name + "' is shared by plugins of its kind (docs/metrics.md) " +
                                    (labels.empty() ? std::string("without labels") : "with the labels " + labels) +
                                    "; register it so");
      }
    }
    std::vector<std::string> names{host->label_};
    telemetry::label_values values{host->instance_};
    if (label_count > 0 && (label_names == nullptr || label_values == nullptr))
      throw std::invalid_argument(std::to_string(label_count) + " labels declared, but no array of their names or values");
    for (size_t i = 0; i < label_count; ++i) {
      if (label_names[i] == nullptr || label_values[i] == nullptr)
        throw std::invalid_argument("label " + std::to_string(i) + " has no name or value");
      if (host->label_ == label_names[i])
        throw std::invalid_argument("label '" + host->label_ + "' is added by the host");
      names.emplace_back(label_names[i]);
      values.emplace_back(label_values[i]);
    }
    const std::string description = help != nullptr ? help : "";
    // Named in the refusal of a later registration that disagrees: a family another plugin took
    // first failed the plugin it belongs to with no word of who took it.
    const std::string registrant = instance_kind(host->label_) + " '" + host->instance_ + "'";
    auto& r = *host->registry_;
    switch (abi_value(kind)) {
    case STRATA_METRIC_COUNTER: return &r.counter(name, description, names, values, registrant);
    case STRATA_METRIC_GAUGE: return &r.gauge(name, description, names, values, registrant);
    case STRATA_METRIC_HISTOGRAM: {
      std::vector<double> b = bounds != nullptr && bound_count > 0 ? std::vector<double>(bounds, bounds + bound_count)
                                                                   : instruments::default_latency_buckets();
      return &r.histogram(name, description, names, values, b, registrant);
    }
    default: throw std::invalid_argument("unknown metric kind " + std::to_string(abi_value(kind)));
    }
  } catch (const std::exception& e) {
    if (error != nullptr && error_size > 0)
      std::snprintf(error, error_size, "%s", e.what());
  } catch (...) {
    if (error != nullptr && error_size > 0)
      std::snprintf(error, error_size, "unknown exception");
  }
  return nullptr;
}

void instance_host::set_health(void* self, strata_health_level level, const char* detail) noexcept try {
  auto* host = static_cast<instance_host*>(self);
  const auto raw = abi_value(level);
  const auto checked = raw >= STRATA_HEALTH_HEALTHY && raw <= STRATA_HEALTH_CRITICAL
                         ? static_cast<health_level>(raw) : health_level::critical;
  if (host->on_health_)
    host->on_health_(checked, detail != nullptr ? detail : "");
} catch (...) {
  // Out of memory at worst: the report is lost, the plugin's thread goes on.
}

void instance_host::log(void* self, strata_log_level level, const char* message) noexcept try {
  auto* host = static_cast<instance_host*>(self);
  if (host->log_ == nullptr)
    return;
  const auto raw = abi_value(level);
  const auto checked = raw >= STRATA_LOG_DEBUG && raw <= STRATA_LOG_ERROR ? static_cast<log_level>(raw) : log_level::error;
  log_fields fields;
  fields.message = message != nullptr ? message : "";
  if (host->label_ == "cache_layer")
    fields.layer = host->instance_;
  else
    fields.message = host->label_ + " " + host->instance_ + ": " + fields.message;
  host->log_->write(checked, fields);
} catch (...) {
  // As above: a line is lost, never the caller.
}

void instance_host::connect_invalidation(invalidate_fn target) {
  std::lock_guard<std::mutex> guard(invalidator_mutex_);
  invalidator_ = std::move(target);
}

void instance_host::invalidate_key(void* self, const char* ns, size_t ns_size, const char* key,
                                   size_t key_size) noexcept {
  static_cast<instance_host*>(self)->invalidate(false, ns, ns_size, key, key_size);
}

void instance_host::invalidate_tag(void* self, const char* ns, size_t ns_size, const char* tag,
                                   size_t tag_size) noexcept {
  static_cast<instance_host*>(self)->invalidate(true, ns, ns_size, tag, tag_size);
}

void instance_host::invalidate(bool tag, const char* ns, size_t ns_size, const char* what,
                               size_t what_size) noexcept try {
  if (ns == nullptr || what == nullptr)
    return;
  std::lock_guard<std::mutex> guard(invalidator_mutex_);
  if (invalidator_)
    invalidator_(tag, std::string(ns, ns_size), std::string(what, what_size));
} catch (...) {
  // Out of memory at worst: this invalidation is lost, the plugin's thread goes on.
}

void instance_host::connect_prefetch(prefetch_fn target) {
  std::lock_guard<std::mutex> guard(prefetch_mutex_);
  prefetch_ = std::move(target);
}

int instance_host::prefetch(void* self, const char* ns, size_t ns_size, const char* key, size_t key_size) noexcept try {
  auto* host = static_cast<instance_host*>(self);
  if (ns == nullptr || key == nullptr)
    return 0;
  // Rare (a plugin rate-limits its prefetches) and short (a message is sent): a lock is cheap here.
  std::lock_guard<std::mutex> guard(host->prefetch_mutex_);
  return host->prefetch_ && host->prefetch_(std::string_view(ns, ns_size), std::string_view(key, key_size)) ? 1 : 0;
} catch (...) {
  return 0; // the request is lost, never the caller
}

instance_voice& instance_host::new_voice() {
  std::lock_guard<std::mutex> guard(voices_mutex_);
  voices_.push_back(std::make_unique<instance_voice>(api_));
  return *voices_.back();
}

instance_voice::instance_voice(const strata_host_api& host) : host_(host), api_(host) {
  api_.host = this;
  api_.metric = [](void* self, strata_metric_kind kind, const char* name, const char* help,
                   const char* const* label_names, const char* const* label_values, size_t label_count,
                   const double* bounds, size_t bound_count, char* error, size_t error_size) -> void* {
    const auto& host = of(self).host_;
    return host.metric(host.host, kind, name, help, label_names, label_values, label_count, bounds, bound_count,
                       error, error_size);
  };
  api_.set_health = [](void* self, strata_health_level level, const char* detail) {
    const auto& voice = of(self);
    if (!voice.silenced())
      voice.host_.set_health(voice.host_.host, level, detail);
  };
  api_.log = [](void* self, strata_log_level level, const char* message) {
    const auto& voice = of(self);
    if (!voice.silenced())
      return voice.host_.log(voice.host_.host, level, message);
    try { // no exception crosses the table
      const std::string marked = std::string("a replaced instance: ") + (message != nullptr ? message : "");
      voice.host_.log(voice.host_.host, level, marked.c_str());
    } catch (...) {
    }
  };
  api_.invalidate_key = [](void* self, const char* ns, size_t ns_size, const char* key, size_t key_size) {
    const auto& host = of(self).host_;
    host.invalidate_key(host.host, ns, ns_size, key, key_size);
  };
  api_.invalidate_tag = [](void* self, const char* ns, size_t ns_size, const char* tag, size_t tag_size) {
    const auto& host = of(self).host_;
    host.invalidate_tag(host.host, ns, ns_size, tag, tag_size);
  };
  api_.prefetch = [](void* self, const char* ns, size_t ns_size, const char* key, size_t key_size) -> int {
    const auto& voice = of(self);
    return voice.silenced() ? 0 : voice.host_.prefetch(voice.host_.host, ns, ns_size, key, key_size);
  };
}

} // namespace strata::detail
