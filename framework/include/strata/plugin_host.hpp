#pragma once
/// @file plugin_host.hpp
/// What a plugin instance may ask of the runtime that hosts it, in C++: register metrics (recorded
/// lock-free afterwards), report its health, write to the runtime's log, drop stale copies of an
/// entry from the other layers, prefetch a key. Wraps the C table
/// `strata_host_api` of the plugin ABI. A default-constructed host stands alone (for tests that
/// build a plugin object directly): its instruments are kept here, health and log go nowhere.

#include <strata/health.hpp>
#include <strata/instruments.hpp>
#include <strata/plugin_abi.h>

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace strata {

/// Extra labels of one instrument, name → value. The host adds the instance's own label.
using metric_labels = std::vector<std::pair<std::string, std::string>>;

enum class log_level { debug = STRATA_LOG_DEBUG, info = STRATA_LOG_INFO, warn = STRATA_LOG_WARN, error = STRATA_LOG_ERROR };

class plugin_host {
public:
  plugin_host() = default;
  explicit plugin_host(const strata_host_api* api) : api_(api) {}

  /// Throw std::invalid_argument when the host refuses (an invalid name, or a family already
  /// registered with another kind, labels or buckets). Call once and keep the reference.
  instruments::counter& counter(const std::string& name, const std::string& help, const metric_labels& labels = {}) {
    return *static_cast<instruments::counter*>(find(STRATA_METRIC_COUNTER, name, help, labels, {}));
  }
  instruments::gauge& gauge(const std::string& name, const std::string& help, const metric_labels& labels = {}) {
    return *static_cast<instruments::gauge*>(find(STRATA_METRIC_GAUGE, name, help, labels, {}));
  }
  /// `bounds` empty: the default latency buckets (1 us to 5 s).
  instruments::histogram& histogram(const std::string& name, const std::string& help, const metric_labels& labels = {},
                                    const std::vector<double>& bounds = {}) {
    return *static_cast<instruments::histogram*>(find(STRATA_METRIC_HISTOGRAM, name, help, labels, bounds));
  }

  /// The families every cache layer reports about what it holds (docs/metrics.md): entries held,
  /// bytes charged, and entries removed by `reason` (`capacity`: to make room, `expired`,
  /// `invalidated`: by a tag invalidation).
  instruments::gauge& entries_gauge() { return gauge("strata_cache_entries", "Entries held by a layer."); }
  instruments::gauge& size_bytes_gauge() {
    return gauge("strata_cache_size_bytes", "Bytes a layer charges for its entries.");
  }
  instruments::counter& evictions_counter(const std::string& reason) {
    return counter("strata_cache_evictions_total",
                   "Entries a layer removed: capacity (to make room), expired (TTL), "
                   "invalidated (a tag invalidation).",
                   {{"reason", reason}});
  }

  /// Reports the instance's health until the next report. A layer's only: `runtime::health()` has
  /// no entry for an exporter, alert handler or embedder, whose reports are ignored.
  void set_health(health_level level, const std::string& detail) {
    if (api_ != nullptr)
      api_->set_health(api_->host, static_cast<strata_health_level>(level), detail.c_str());
  }

  void log(log_level level, const std::string& message) {
    if (api_ != nullptr)
      api_->log(api_->host, static_cast<strata_log_level>(level), message.c_str());
  }

  /// Drops `key` of namespace `ns` from every other layer of the chain, without calling this
  /// instance back; returns at once. Standalone: nothing.
  void invalidate_key(std::string_view ns, std::string_view key) {
    if (api_ != nullptr)
      api_->invalidate_key(api_->host, ns.data(), ns.size(), key.data(), key.size());
  }

  /// Drops every entry tagged `tag` of namespace `ns` from every other layer, as above.
  void invalidate_tag(std::string_view ns, std::string_view tag) {
    if (api_ != nullptr)
      api_->invalidate_tag(api_->host, ns.data(), ns.size(), tag.data(), tag.size());
  }

  /// Asks the runtime to load `key` of `ns` into this layer ahead of a request (see
  /// strata_host_api::prefetch): one-way, never blocks. False when the host does not prefetch
  /// (a standalone host, or a layer outside a running deployment).
  bool prefetch(std::string_view ns, std::string_view key) {
    return api_ != nullptr && api_->prefetch != nullptr &&
           api_->prefetch(api_->host, ns.data(), ns.size(), key.data(), key.size()) != 0;
  }

private:
  void* find(strata_metric_kind kind, const std::string& name, const std::string& help, const metric_labels& labels,
             const std::vector<double>& bounds) {
    if (api_ == nullptr)
      return keep(kind, name, labels, bounds);
    std::vector<const char*> names, values;
    for (const auto& [n, v] : labels) {
      names.push_back(n.c_str());
      values.push_back(v.c_str());
    }
    char why[256] = {0};
    void* instrument = api_->metric(api_->host, kind, name.c_str(), help.c_str(), names.data(), values.data(),
                                    labels.size(), bounds.empty() ? nullptr : bounds.data(), bounds.size(), why,
                                    sizeof why);
    if (instrument == nullptr) {
      // The registry's reasons start with the metric's name; the host's own checks do not.
      const std::string named = "metric " + name;
      const std::string reason = why;
      throw std::invalid_argument(reason.compare(0, named.size(), named) == 0 ? reason : named + ": " + reason);
    }
    return instrument;
  }

  /// Standalone: one instrument per name and label set, owned here.
  void* keep(strata_metric_kind kind, const std::string& name, const metric_labels& labels,
             const std::vector<double>& bounds) {
    std::string key = std::to_string(kind) + ':' + name; // one kind per family, as in the host
    for (const auto& [n, v] : labels)
      key += '\0' + n + '=' + v;
    auto& slot = (*owned_)[key];
    if (!slot) {
      switch (kind) {
      case STRATA_METRIC_COUNTER: slot = std::make_shared<instruments::counter>(); break;
      case STRATA_METRIC_GAUGE: slot = std::make_shared<instruments::gauge>(); break;
      default:
        slot = std::make_shared<instruments::histogram>(bounds.empty() ? instruments::default_latency_buckets() : bounds);
      }
    }
    return slot.get();
  }

  const strata_host_api* api_ = nullptr;
  /// Shared by copies, so that a copy finds the instruments the original registered.
  std::shared_ptr<std::map<std::string, std::shared_ptr<void>>> owned_ =
    std::make_shared<std::map<std::string, std::shared_ptr<void>>>();
};

} // namespace strata
