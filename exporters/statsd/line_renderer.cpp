#include "line_renderer.hpp"

#include "statsd_text.hpp"

#include <cmath>
#include <utility>

namespace strata::exporters::statsd {

namespace {

/// Identifies a sample across snapshots.
std::string key_of(const metric_family& family, const metric_sample& sample) {
  std::string key = family.name;
  for (const auto& [name, value] : sample.labels)
    key += '\0' + name + '=' + value;
  return key;
}

/// Histograms in seconds are sent in milliseconds, StatsD's unit for timings.
bool in_seconds(const metric_family& family) { return without_suffix(family.name, "_seconds") != family.name; }

} // namespace

// A fixed seed: which lines a rate below 1 keeps is then reproducible from run to run.
line_renderer::line_renderer(line_options options)
  : options_(std::move(options)), random_(0x5eed), sampled_(options_.sample_rate) {}

std::vector<std::string> line_renderer::render(const telemetry_snapshot& snapshot) {
  std::vector<std::string> out;
  // Rebuilt on each call, so a series that disappears is forgotten and starts over if it returns.
  std::map<std::string, double> counters;
  std::map<std::string, std::vector<std::uint64_t>> buckets;
  for (const auto& family : snapshot.metrics) {
    for (const auto& sample : family.samples) {
      switch (family.type) {
      case metric_type::counter: counter(family, sample, counters, out); break;
      case metric_type::gauge: gauge(family, sample, out); break;
      case metric_type::histogram: histogram(family, sample, buckets, out); break;
      }
    }
  }
  counters_ = std::move(counters);
  buckets_ = std::move(buckets);
  return out;
}

line_renderer::series line_renderer::series_of(std::string_view family_name, const metric_sample& sample) const {
  series s;
  s.name = options_.prefix.empty() ? "" : options_.prefix + '.';
  // The prefix (by default "strata") namespaces every name: strata_cache_hits → strata.cache_hits.
  constexpr std::string_view own = "strata_";
  if (family_name.substr(0, own.size()) == own)
    family_name.remove_prefix(own.size());
  s.name += sanitise(family_name);
  for (const auto& [name, value] : sample.labels) {
    if (options_.tags == tag_style::folded) {
      s.name += '.' + name_segment(value);
    } else {
      s.tags += s.tags.empty() ? "|#" : ",";
      s.tags += sanitise(name) + ':' + sanitise(value);
    }
  }
  return s;
}

void line_renderer::counter(const metric_family& family, const metric_sample& sample,
                            std::map<std::string, double>& seen, std::vector<std::string>& out) {
  const std::string key = key_of(family, sample);
  seen[key] = sample.value;
  const auto previous = counters_.find(key);
  double delta = previous == counters_.end() ? sample.value : sample.value - previous->second;
  if (delta < 0)
    delta = sample.value; // the counter was reset (its owner restarted): all of it is new
  if (delta == 0 || !std::isfinite(delta) || !keep())
    return;
  out.push_back(line(series_of(without_suffix(family.name, "_total"), sample), format_number(delta), "c", 1));
}

void line_renderer::gauge(const metric_family& family, const metric_sample& sample, std::vector<std::string>& out) {
  // StatsD has no text for NaN or infinity.
  if (!std::isfinite(sample.value) || !keep())
    return;
  const series s = series_of(family.name, sample);
  if (sample.value < 0) {
    // A signed gauge value is an increment in StatsD: set zero first, then subtract.
    out.push_back(line(s, "0", "g", 1) + '\n' + line(s, format_number(sample.value), "g", 1));
  } else {
    out.push_back(line(s, format_number(sample.value), "g", 1));
  }
}

void line_renderer::histogram(const metric_family& family, const metric_sample& sample,
                              std::map<std::string, std::vector<std::uint64_t>>& seen,
                              std::vector<std::string>& out) {
  const std::string key = key_of(family, sample);
  seen[key] = sample.buckets;
  if (family.bounds.empty())
    return; // only a +Inf bucket: no finite value can stand for its observations
  const auto previous = buckets_.find(key);
  const bool comparable = previous != buckets_.end() && previous->second.size() == sample.buckets.size();
  const double scale = in_seconds(family) ? 1000 : 1;
  const series s = series_of(without_suffix(family.name, "_seconds"), sample);
  for (std::size_t b = 0; b < sample.buckets.size(); ++b) {
    const std::uint64_t before = comparable ? previous->second[b] : 0;
    // Fewer than before: the histogram was reset, so all of the bucket is new.
    const std::uint64_t growth = sample.buckets[b] >= before ? sample.buckets[b] - before : sample.buckets[b];
    if (growth == 0 || !keep())
      continue;
    const double bound = b < family.bounds.size() ? family.bounds[b] : family.bounds.back();
    out.push_back(line(s, format_number(bound * scale), "ms", 1.0 / static_cast<double>(growth)));
  }
}

std::string line_renderer::line(const series& s, const std::string& value, const char* type, double rate) const {
  std::string text = s.name + ':' + value + '|' + type;
  const double sent = options_.sample_rate * rate;
  if (sent != 1)
    text += "|@" + format_number(sent);
  return text + s.tags;
}

bool line_renderer::keep() { return options_.sample_rate >= 1 || sampled_(random_); }

} // namespace strata::exporters::statsd
