#pragma once
// The host side of strata_host_api: what one plugin instance (a layer, an exporter, an alert
// handler) may ask of the runtime. One object per configured instance, alive as long as the
// runtime, so that an instance replaced by supervision finds its instruments again.

#include "log.hpp"

#include <strata/health.hpp>
#include <strata/metrics_registry.hpp>
#include <strata/plugin_abi.h>

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace strata::detail {

class instance_voice;

class instance_host {
public:
  using health_fn = std::function<void(health_level, std::string)>;
  /// Passes a prefetch request on (to the coordinator); false when it could not.
  using prefetch_fn = std::function<bool(std::string_view ns, std::string_view key)>;

  /// `label` (`cache_layer`, `exporter`, `handler`) = `instance` is added to every metric the
  /// instance registers in `registry`; null `registry` (metrics off): instruments are kept here and
  /// never exported. `on_health` may be empty; `log` may be null.
  instance_host(std::string label, std::string instance, telemetry::registry* registry, health_fn on_health,
                std::shared_ptr<runtime_log> log);

  const strata_host_api* api() const noexcept { return &api_; }

  /// Where `invalidate_key` / `invalidate_tag` go from now on: (is_tag, ns, key or tag); an
  /// empty function (the default) drops them. Thread-safe against concurrent calls.
  using invalidate_fn = std::function<void(bool, std::string, std::string)>;
  void connect_invalidation(invalidate_fn target);

  /// The host behind a table that `api()` returned.
  static instance_host& of(const strata_host_api& api) noexcept { return *static_cast<instance_host*>(api.host); }

  /// Where the instance's prefetch requests go from now on; an empty function (the default)
  /// refuses them. Thread-safe against concurrent requests.
  void connect_prefetch(prefetch_fn target);

  /// A new layer instance's side of this host, which lives as long as this host: what the
  /// instance hands out (an observer, a thread) may use it after the instance is destroyed. About
  /// 100 bytes each, one per instance created (restarts are backed off).
  instance_voice& new_voice();

private:
  static void* metric(void* self, strata_metric_kind kind, const char* name, const char* help,
                      const char* const* label_names, const char* const* label_values, size_t label_count,
                      const double* bounds, size_t bound_count, char* error, size_t error_size) noexcept;
  static void set_health(void* self, strata_health_level level, const char* detail) noexcept;
  static void log(void* self, strata_log_level level, const char* message) noexcept;
  static void invalidate_key(void* self, const char* ns, size_t ns_size, const char* key, size_t key_size) noexcept;
  static void invalidate_tag(void* self, const char* ns, size_t ns_size, const char* tag, size_t tag_size) noexcept;
  void invalidate(bool tag, const char* ns, size_t ns_size, const char* what, size_t what_size) noexcept;
  static int prefetch(void* self, const char* ns, size_t ns_size, const char* key, size_t key_size) noexcept;

  std::string label_;
  std::string instance_;
  telemetry::registry* registry_;
  std::unique_ptr<telemetry::registry> unexported_; ///< when metrics are off
  health_fn on_health_;
  std::shared_ptr<runtime_log> log_;
  std::mutex invalidator_mutex_;
  invalidate_fn invalidator_;
  std::mutex prefetch_mutex_;
  prefetch_fn prefetch_; ///< guarded by prefetch_mutex_
  strata_host_api api_;
  std::mutex voices_mutex_;
  std::vector<std::unique_ptr<instance_voice>> voices_; ///< guarded by voices_mutex_
};

/// One layer instance's side of its slot's host (`api()` is the table it is created with): the
/// same host, but once the instance is replaced (`silence`), what it still reports is its
/// successor's to say no more: its health is dropped, its prefetches refused, its log lines say
/// they come from a replaced instance. A hung instance's own threads go on (a listener): one that
/// reported a lost connection 30 s into a frozen link overwrote its successor's critical health
/// with a warning (audit). Its metrics and invalidations still count. Made by `new_voice`.
class instance_voice {
public:
  explicit instance_voice(const strata_host_api& host);
  const strata_host_api* api() const noexcept { return &api_; }
  void silence() noexcept { silenced_.store(true, std::memory_order_release); }

private:
  static const instance_voice& of(void* self) noexcept { return *static_cast<const instance_voice*>(self); }
  bool silenced() const noexcept { return silenced_.load(std::memory_order_acquire); }

  const strata_host_api& host_;
  strata_host_api api_;
  std::atomic<bool> silenced_{false};
};

} // namespace strata::detail
