#include "layer_metrics.hpp"

namespace strata::detail {

namespace {

const char* operation_name(std::size_t op) {
  static const char* names[] = {"get", "put", "erase", "invalidate_tag"};
  return names[op];
}

/// A get that finds its key is a hit, one that does not a miss; other outcomes keep their names.
std::string status_label(std::size_t op, status outcome) {
  if (op == static_cast<std::size_t>(operation::get)) {
    if (outcome == status::ok) return "hit";
    if (outcome == status::not_found) return "miss";
  }
  return to_string(outcome);
}

} // namespace

layer_metrics::layer_metrics(telemetry::registry& registry, const std::string& layer) {
  for (std::size_t op = 0; op < operation_count; ++op) {
    for (std::size_t s = 0; s < status_count; ++s)
      requests_[op][s] = &registry.counter(
        "strata_cache_requests_total", "Requests a layer answered, by operation and outcome.",
        {"cache_layer", "operation", "status"},
        {layer, operation_name(op), status_label(op, static_cast<status>(s))});
    durations_[op] = &registry.histogram(
      "strata_cache_operation_duration_seconds",
      "Time a layer took to answer, seen from the coordinator; first-layer hits served in the "
      "caller's thread are sampled one in 64.",
      {"cache_layer", "operation"}, {layer, operation_name(op)});
  }
  failures_ = &registry.counter("strata_cache_layer_failures_total",
                                "Exceptions, missed deadlines and deaths of a layer.", {"cache_layer"}, {layer});
  restarts_ = &registry.counter("strata_cache_layer_restarts_total",
                                "Times supervision replaced a layer's instance.", {"cache_layer"}, {layer});
  healthy_ = &registry.gauge("strata_cache_layer_healthy", "1 when the layer's last answer succeeded.",
                             {"cache_layer"}, {layer});
  healthy_->set(1);
}

} // namespace strata::detail
