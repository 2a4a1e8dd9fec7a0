#include <strata/metrics_registry.hpp>

#include <prometheus/metric_family.h>
#include <prometheus/text_serializer.h>

#include <stdexcept>

namespace strata::telemetry {

namespace {

/// Prometheus metric and label names: [a-zA-Z_:][a-zA-Z0-9_:]* (labels without ':').
bool valid_name(const std::string& name, bool allow_colon) {
  if (name.empty())
    return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':') ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok)
      return false;
  }
  return true;
}

const char* type_name(metric_type type) {
  switch (type) {
    case metric_type::counter: return "counter";
    case metric_type::gauge: return "gauge";
    case metric_type::histogram: return "histogram";
  }
  return "?";
}

std::vector<prometheus::ClientMetric::Label> labels_of(const std::vector<std::string>& names,
                                                       const label_values& values) {
  std::vector<prometheus::ClientMetric::Label> labels;
  for (std::size_t i = 0; i < names.size(); ++i)
    labels.push_back({names[i], values[i]});
  return labels;
}

/// One sample per label set of `instruments`, filled by `fill(instrument, sample)`.
template <class Instruments, class Fill>
void add_samples(prometheus::MetricFamily& family, const std::vector<std::string>& label_names,
                 const Instruments& instruments, Fill fill) {
  for (const auto& [values, instrument] : instruments) {
    prometheus::ClientMetric m;
    m.label = labels_of(label_names, values);
    fill(*instrument, m);
    family.metric.push_back(std::move(m));
  }
}

} // namespace

registry::family& registry::find_or_add(const std::string& name, const std::string& help, metric_type type,
                                        const std::vector<std::string>& label_names, const label_values& values,
                                        const std::vector<double>& bounds) {
  if (!valid_name(name, true))
    throw std::invalid_argument("metric name '" + name + "' is not a valid Prometheus name");
  for (const auto& label : label_names)
    if (!valid_name(label, false) || label.rfind("__", 0) == 0)
      throw std::invalid_argument("metric " + name + ": label name '" + label + "' is not valid");
  if (values.size() != label_names.size())
    throw std::invalid_argument("metric " + name + ": " + std::to_string(label_names.size()) + " label names but " +
                                std::to_string(values.size()) + " values");
  auto [it, added] = families_.try_emplace(name);
  auto& f = it->second;
  if (added) {
    f.type = type;
    f.help = help;
    f.label_names = label_names;
    f.bounds = bounds;
  } else if (f.type != type || f.label_names != label_names || (type == metric_type::histogram && f.bounds != bounds)) {
    throw std::invalid_argument("metric " + name + " is already registered as a " + type_name(f.type) +
                                " with other labels or buckets");
  }
  return f;
}

instruments::counter& registry::counter(const std::string& name, const std::string& help,
                                        const std::vector<std::string>& label_names, const label_values& values) {
  std::lock_guard<std::mutex> guard(mutex_);
  auto& slot = find_or_add(name, help, metric_type::counter, label_names, values, {}).counters[values];
  if (!slot)
    slot = std::make_unique<instruments::counter>();
  return *slot;
}

instruments::gauge& registry::gauge(const std::string& name, const std::string& help,
                                    const std::vector<std::string>& label_names, const label_values& values) {
  std::lock_guard<std::mutex> guard(mutex_);
  auto& slot = find_or_add(name, help, metric_type::gauge, label_names, values, {}).gauges[values];
  if (!slot)
    slot = std::make_unique<instruments::gauge>();
  return *slot;
}

instruments::histogram& registry::histogram(const std::string& name, const std::string& help,
                                            const std::vector<std::string>& label_names,
                                            const label_values& values, const std::vector<double>& bounds) {
  std::lock_guard<std::mutex> guard(mutex_);
  auto& slot = find_or_add(name, help, metric_type::histogram, label_names, values, bounds).histograms[values];
  if (!slot)
    slot = std::make_unique<instruments::histogram>(bounds);
  return *slot;
}

std::string registry::prometheus_text() const {
  std::vector<prometheus::MetricFamily> out;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    for (const auto& [name, f] : families_) {
      prometheus::MetricFamily family;
      family.name = name;
      family.help = f.help;
      switch (f.type) {
        case metric_type::counter:
          family.type = prometheus::MetricType::Counter;
          add_samples(family, f.label_names, f.counters, [](const instruments::counter& c, prometheus::ClientMetric& m) {
            m.counter.value = static_cast<double>(c.value());
          });
          break;
        case metric_type::gauge:
          family.type = prometheus::MetricType::Gauge;
          add_samples(family, f.label_names, f.gauges, [](const instruments::gauge& g, prometheus::ClientMetric& m) {
            m.gauge.value = static_cast<double>(g.value());
          });
          break;
        case metric_type::histogram:
          family.type = prometheus::MetricType::Histogram;
          add_samples(family, f.label_names, f.histograms,
                      [](const instruments::histogram& h, prometheus::ClientMetric& m) {
                        const auto snap = h.read();
                        m.histogram.sample_count = snap.count;
                        m.histogram.sample_sum = snap.sum;
                        std::uint64_t cumulative = 0;
                        for (std::size_t b = 0; b < snap.counts.size(); ++b) {
                          cumulative += snap.counts[b];
                          const double bound = b < snap.bounds.size() ? snap.bounds[b]
                                                                      : std::numeric_limits<double>::infinity();
                          m.histogram.bucket.push_back({cumulative, bound});
                        }
                      });
          break;
      }
      out.push_back(std::move(family));
    }
  }
  return prometheus::TextSerializer().Serialize(out);
}

} // namespace strata::telemetry
