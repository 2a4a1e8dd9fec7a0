#include "layer_metrics.hpp"

namespace strata::detail {

const char* to_string(operation op) noexcept {
  static const char* names[] = {"get",           "put",           "erase",           "invalidate_tag",
                                "semantic_lookup", "semantic_store", "semantic_update", "semantic_erase",
                                "vector_add",      "vector_search",  "vector_update",   "vector_erase",
                                "command"};
  static_assert(sizeof names / sizeof names[0] == operation_count);
  return names[static_cast<std::size_t>(op)];
}

namespace {

const char* operation_name(std::size_t op) { return to_string(static_cast<operation>(op)); }

/// A get (or semantic lookup) that finds its key is a hit, one that does not a miss; other
/// outcomes keep their names.
std::string status_label(std::size_t op, status outcome) {
  if (op == static_cast<std::size_t>(operation::get) || op == static_cast<std::size_t>(operation::semantic_lookup)) {
    if (outcome == status::ok) return "hit";
    if (outcome == status::not_found) return "miss";
  }
  return to_string(outcome);
}

template <class T>
std::vector<T> with(std::vector<T> list, T more) {
  list.push_back(std::move(more));
  return list;
}

} // namespace

request_metrics::request_metrics(telemetry::registry& registry, const std::string& requests_family,
                                 const std::string& durations_family, const std::vector<std::string>& label_names,
                                 const telemetry::label_values& values) {
  const auto op_labels = with<std::string>(label_names, "operation");
  const auto status_labels = with<std::string>(op_labels, "status");
  for (std::size_t op = 0; op < operation_count; ++op) {
    const auto op_values = with<std::string>(values, operation_name(op));
    for (std::size_t s = 0; s < status_count; ++s)
      requests_[op][s] = &registry.counter(requests_family, "Requests answered, by operation and outcome.",
                                           status_labels,
                                           with(op_values, status_label(op, static_cast<status>(s))));
    durations_[op] = &registry.histogram(
      durations_family,
      "Time to answer; first-layer gets served in the caller's thread: hits only, one in 64.", op_labels,
      op_values);
  }
}

request_totals request_metrics::totals() const {
  request_totals out;
  for (std::size_t op = 0; op < operation_count; ++op)
    for (std::size_t st = 0; st < status_count; ++st)
      out.requests[op][st] = requests_[op][st]->value();
  out.get_durations = durations_[index(operation::get)]->read();
  return out;
}

request_totals layer_metrics::routed_gets() const {
  request_totals out;
  out.requests[static_cast<std::size_t>(operation::get)][static_cast<std::size_t>(status::ok)] = routed_hits_.value();
  out.get_durations = routed_durations_.read();
  return out;
}

const char* to_string(fault_type type) noexcept {
  switch (type) {
  case fault_type::timeout: return "timeout";
  case fault_type::died: return "died";
  default: return "exception";
  }
}

layer_metrics::layer_metrics(telemetry::registry& registry, const std::string& layer)
  : request_metrics(registry, "strata_cache_requests_total", "strata_cache_operation_duration_seconds",
                    {"cache_layer"}, {layer}) {
  for (std::size_t t = 0; t < fault_type_count; ++t)
    errors_[t] = &registry.counter("strata_cache_layer_errors_total",
                                   "Faults of a layer by type: exception, timeout (a hang: no answer 5 s past a deadline; the "
                                   "instance is replaced), died. A missed deadline alone is a request's timeout status.",
                                   {"cache_layer", "type"}, {layer, to_string(static_cast<fault_type>(t))});
  restarts_ = &registry.counter("strata_cache_layer_restarts_total",
                                "Times supervision replaced a layer's instance.", {"cache_layer"}, {layer});
}

std::unique_ptr<request_metrics> make_runtime_metrics(telemetry::registry& registry) {
  return std::make_unique<request_metrics>(registry, "strata_requests_total", "strata_request_duration_seconds",
                                           std::vector<std::string>{}, telemetry::label_values{});
}

} // namespace strata::detail
