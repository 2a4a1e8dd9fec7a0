#pragma once
// The telemetry actor: samples the request metrics every `runtime.stats_interval`, keeps rolling
// windows, and publishes what each window derives for `runtime::stats`.

#include "layer_metrics.hpp"

#include <strata/runtime.hpp>

#include <caf/fwd.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace strata::detail {

/// The latest figures of every window; written by the telemetry actor, read by host threads.
class stats_board {
public:
  /// Zero figures for "all" and each layer (in chain order) in every window, until the actor's
  /// first publication: a host reading right after the start gets the layers, not an empty list.
  explicit stats_board(const std::vector<std::string>& layer_names);

  runtime_stats get(stats_window window) const {
    std::lock_guard<std::mutex> guard(mutex_);
    return by_window_[static_cast<std::size_t>(window)];
  }
  void publish(std::array<runtime_stats, 3> figures) {
    std::lock_guard<std::mutex> guard(mutex_);
    by_window_ = std::move(figures);
  }

private:
  mutable std::mutex mutex_;
  std::array<runtime_stats, 3> by_window_;
};

/// A named source of request totals: the runtime's coordinator path ("all") first, then each layer.
struct stats_source {
  std::string name;
  std::shared_ptr<const request_metrics> metrics;
};

/// Layer 0's read-view hits and their timings, as far as a sample can tell, into `view`: layer 0's
/// get hits and get durations (`first`) less those of the gets the coordinator asked of it
/// (`routed`, read after `first` and recorded before it, so never behind it: this never counts
/// more than the view served), and never less than `view` held at the previous sample, since the
/// windows subtract samples (a routed get recorded between the two reads would take some back).
void estimate_view(telemetry::totals& view, const telemetry::totals& first, const telemetry::totals& routed);

/// The hits layer 0's read view served are missing from the coordinator path's totals; the actor
/// adds them: layer 0's hits less those of the gets the coordinator asked of it
/// (`first_layer->routed_gets()`; null without metrics). `after_sample` runs after each
/// publication (the alert rules are evaluated there).
caf::actor spawn_telemetry(caf::actor_system& system, std::vector<stats_source> sources,
                           std::shared_ptr<const layer_metrics> first_layer, std::shared_ptr<stats_board> board,
                           std::chrono::milliseconds interval, std::function<void()> after_sample);

} // namespace strata::detail
