#include "prometheus_format.hpp"

#include <prometheus/text_serializer.h>

#include <limits>
#include <string>

namespace strata::telemetry {

namespace {

prometheus::MetricType type_of(metric_type type) {
  switch (type) {
  case metric_type::gauge: return prometheus::MetricType::Gauge;
  case metric_type::histogram: return prometheus::MetricType::Histogram;
  default: return prometheus::MetricType::Counter;
  }
}

void fill(const metric_family& family, const metric_sample& sample, prometheus::ClientMetric& m) {
  switch (family.type) {
  case metric_type::counter: m.counter.value = sample.value; break;
  case metric_type::gauge: m.gauge.value = sample.value; break;
  case metric_type::histogram: {
    m.histogram.sample_count = sample.count;
    m.histogram.sample_sum = sample.sum;
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < sample.buckets.size(); ++b) {
      cumulative += sample.buckets[b];
      const double bound =
        b < family.bounds.size() ? family.bounds[b] : std::numeric_limits<double>::infinity();
      m.histogram.bucket.push_back({cumulative, bound});
    }
    break;
  }
  }
}

/// The text format's escapes for a HELP line (a backslash, a line feed), which prometheus-cpp's
/// serializer (1.1) writes as given: a plugin's help with a line break broke the whole scrape.
std::string escaped_help(const std::string& help) {
  std::string out;
  out.reserve(help.size());
  for (const char c : help) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

} // namespace

std::vector<prometheus::MetricFamily> to_prometheus(const std::vector<metric_family>& families) {
  std::vector<prometheus::MetricFamily> out;
  out.reserve(families.size());
  for (const auto& family : families) {
    prometheus::MetricFamily f;
    f.name = family.name;
    f.help = escaped_help(family.help);
    f.type = type_of(family.type);
    for (const auto& sample : family.samples) {
      prometheus::ClientMetric m;
      for (const auto& [name, value] : sample.labels)
        m.label.push_back({name, value});
      fill(family, sample, m);
      f.metric.push_back(std::move(m));
    }
    out.push_back(std::move(f));
  }
  return out;
}

std::string prometheus_text(const std::vector<metric_family>& families) {
  return prometheus::TextSerializer().Serialize(to_prometheus(families));
}

} // namespace strata::telemetry
