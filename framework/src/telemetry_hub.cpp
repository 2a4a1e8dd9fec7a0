#include "telemetry_hub.hpp"

#include "system_checks.hpp"
#include "validate.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace strata::detail {

namespace {

std::string label_of(const metric_sample& sample, const std::string& name) {
  for (const auto& [n, v] : sample.labels)
    if (n == name)
      return v;
  return {};
}

bool matches(const metric_sample& sample, const std::map<std::string, std::string>& labels) {
  return std::all_of(labels.begin(), labels.end(),
                     [&](const auto& wanted) { return label_of(sample, wanted.first) == wanted.second; });
}

metric_family gauge_family(std::string name, std::string help) {
  return metric_family{std::move(name), std::move(help), metric_type::gauge, {}, {}};
}

/// Hits and misses of each layer, summed from strata_cache_requests_total.
void add_hits_and_misses(std::vector<metric_family>& families) {
  const auto requests = std::find_if(families.begin(), families.end(),
                                     [](const metric_family& f) { return f.name == "strata_cache_requests_total"; });
  if (requests == families.end())
    return;
  std::map<std::string, std::pair<double, double>> per_layer;
  for (const auto& s : requests->samples) {
    if (label_of(s, "operation") != "get")
      continue;
    auto& [hits, misses] = per_layer[label_of(s, "cache_layer")];
    const auto outcome = label_of(s, "status");
    if (outcome == "hit") hits += s.value;
    else if (outcome == "miss") misses += s.value;
  }
  metric_family hits{"strata_cache_hits_total", "Gets a layer answered with a value.", metric_type::counter, {}, {}};
  metric_family misses{"strata_cache_misses_total", "Gets a layer did not have.", metric_type::counter, {}, {}};
  for (const auto& [layer, counts] : per_layer) {
    hits.samples.push_back(metric_sample{{{"cache_layer", layer}}, counts.first, {}, 0, 0});
    misses.samples.push_back(metric_sample{{{"cache_layer", layer}}, counts.second, {}, 0, 0});
  }
  families.push_back(std::move(hits));
  families.push_back(std::move(misses));
}

} // namespace

bool is_derived_family(const std::string& name) {
  static const std::set<std::string> derived{
    "strata_cache_hits_total",    "strata_cache_misses_total",           "strata_cache_layer_health",
    "strata_health_status",       "strata_process_resident_memory_bytes", "strata_data_dir_free_bytes",
    "strata_alerts_firing"};
  return derived.count(name) != 0;
}

bool is_runtime_family(const std::string& name) {
  static const std::set<std::string> own{
    "strata_cache_requests_total",       "strata_cache_operation_duration_seconds", "strata_cache_layer_errors_total",
    "strata_cache_layer_restarts_total", "strata_alert_events_total",               "strata_requests_total",
    "strata_request_duration_seconds"};
  return own.count(name) != 0;
}

telemetry_hub::telemetry_hub(health_settings health, telemetry::registry* metrics, std::shared_ptr<stats_board> stats,
                             std::shared_ptr<shared_state> shared, const alert_engine* alerts)
  : health_settings_(std::move(health)), metrics_(metrics), stats_(std::move(stats)), shared_(std::move(shared)),
    alerts_(alerts) {}

health_report telemetry_hub::health() const {
  health_report report;
  report.layers = shared_->health.snapshot();
  report.system = run_system_checks(health_settings_);
  for (const auto& layer : report.layers)
    report.overall = std::max(report.overall, layer.level);
  for (const auto& check : report.system)
    report.overall = std::max(report.overall, check.level);
  return report;
}

runtime_stats telemetry_hub::stats(stats_window window) const {
  if (!stats_) {
    runtime_stats empty;
    empty.window = window;
    return empty;
  }
  return stats_->get(window);
}

void telemetry_hub::add_derived(std::vector<metric_family>& families, const health_report& health) const {
  add_hits_and_misses(families);
  auto layers = gauge_family("strata_cache_layer_health", "Health of a layer: 0 healthy, 1 warning, 2 critical.");
  for (const auto& layer : health.layers)
    layers.samples.push_back(metric_sample{{{"cache_layer", layer.name}}, static_cast<double>(layer.level), {}, 0, 0});
  families.push_back(std::move(layers));
  auto overall = gauge_family("strata_health_status", "Overall health: 0 healthy, 1 warning, 2 critical.");
  overall.samples.push_back(metric_sample{{}, static_cast<double>(health.overall), {}, 0, 0});
  families.push_back(std::move(overall));
  if (const auto rss = resident_bytes()) {
    auto f = gauge_family("strata_process_resident_memory_bytes", "Resident memory of the process.");
    f.samples.push_back(metric_sample{{}, static_cast<double>(*rss), {}, 0, 0});
    families.push_back(std::move(f));
  }
  if (!health_settings_.data_dir.empty())
    if (const auto free = free_disk_bytes(health_settings_.data_dir)) {
      auto f = gauge_family("strata_data_dir_free_bytes", "Bytes free on the file system of health.data_dir.");
      f.samples.push_back(metric_sample{{}, static_cast<double>(*free), {}, 0, 0});
      families.push_back(std::move(f));
    }
  if (alerts_ != nullptr) {
    auto firing = gauge_family("strata_alerts_firing", "1 while an alert rule fires, by its current severity.");
    for (const auto& series : alerts_->firing())
      firing.samples.push_back(metric_sample{{{"rule", series.rule}, {"severity", to_string(series.severity)}},
                                             series.firing ? 1.0 : 0.0, {}, 0, 0});
    if (!firing.samples.empty())
      families.push_back(std::move(firing));
  }
}

std::vector<metric_family> telemetry_hub::families(const health_report& health) const {
  if (metrics_ == nullptr)
    return {};
  auto families = metrics_->snapshot();
  add_derived(families, health);
  std::sort(families.begin(), families.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  return families;
}

std::vector<metric_family> telemetry_hub::metrics() const { return families(health()); }

telemetry_snapshot telemetry_hub::snapshot() const {
  telemetry_snapshot s;
  s.taken = std::chrono::system_clock::now();
  s.health = health();
  s.metrics = families(s.health);
  s.stats = stats(stats_window::minute);
  return s;
}

std::optional<double> telemetry_hub::alert_value(const alert_rule& rule,
                                                 const std::function<const std::vector<metric_family>&()>& metrics_now) const {
  if (rule.value == "rss_bytes") {
    const auto rss = resident_bytes();
    return rss ? std::optional<double>(static_cast<double>(*rss)) : std::nullopt;
  }
  if (is_derived_alert_value(rule.value)) {
    const auto figures = stats(rule.window);
    const window_stats* w = &figures.overall;
    if (!rule.layer.empty()) {
      const auto it = std::find_if(figures.layers.begin(), figures.layers.end(),
                                   [&](const window_stats& l) { return l.name == rule.layer; });
      if (it == figures.layers.end())
        return std::nullopt;
      w = &*it;
    }
    // Rates of a window without gets say nothing: no hit rate is not a hit rate of zero.
    const bool has_gets = w->gets > 0;
    if (rule.value == "hit_rate") return has_gets ? std::optional<double>(w->hit_rate) : std::nullopt;
    if (rule.value == "miss_rate") return has_gets ? std::optional<double>(w->miss_rate) : std::nullopt;
    if (rule.value == "error_rate") return w->requests > 0 ? std::optional<double>(w->error_rate) : std::nullopt;
    if (rule.value == "throughput") return w->throughput;
    if (rule.value == "p50_latency") return has_gets ? std::optional<double>(w->p50_seconds) : std::nullopt;
    if (rule.value == "p95_latency") return has_gets ? std::optional<double>(w->p95_seconds) : std::nullopt;
    return has_gets ? std::optional<double>(w->p99_seconds) : std::nullopt;
  }
  const auto& families = metrics_now();
  const auto family = std::find_if(families.begin(), families.end(), [&](const auto& f) { return f.name == rule.value; });
  if (family == families.end() || family->type == metric_type::histogram)
    return std::nullopt;
  double sum = 0;
  bool any = false;
  for (const auto& s : family->samples)
    if (matches(s, rule.labels)) {
      sum += s.value;
      any = true;
    }
  return any ? std::optional<double>(sum) : std::nullopt;
}

} // namespace strata::detail
