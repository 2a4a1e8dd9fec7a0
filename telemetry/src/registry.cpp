#include <strata/metrics_registry.hpp>
#include <strata/utf8.hpp>

#include <cmath>
#include <cstdint>
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

std::vector<std::pair<std::string, std::string>> labels_of(const std::vector<std::string>& names,
                                                        const label_values& values) {
  std::vector<std::pair<std::string, std::string>> labels;
  for (std::size_t i = 0; i < names.size(); ++i)
    labels.emplace_back(names[i], values[i]);
  return labels;
}

/// One sample per label set of `instruments`, filled by `fill(instrument, sample)`.
template <class Instruments, class Fill>
void add_samples(metric_family& family, const std::vector<std::string>& label_names,
                 const Instruments& instruments, Fill fill) {
  for (const auto& [values, instrument] : instruments) {
    metric_sample sample;
    sample.labels = labels_of(label_names, values);
    fill(*instrument, sample);
    family.samples.push_back(std::move(sample));
  }
}

} // namespace

// A label value that is not well-formed UTF-8 fails the whole scrape.
bool valid_label_value(const std::string& text) noexcept { return invalid_utf8_at(text) == std::string::npos; }

std::string histogram_of_series(const std::string& name) {
  for (const std::string suffix : histogram_series_suffixes)
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0)
      return name.substr(0, name.size() - suffix.size());
  return {};
}

void registry::refuse_series_clash(const std::string& name, metric_type type) const {
  // A histogram X writes the series X_bucket, X_sum and X_count: a family of one of those names
  // beside it makes the exposition invalid for every scraper.
  if (const auto base_name = histogram_of_series(name); !base_name.empty()) {
    const auto base = families_.find(base_name);
    if (base != families_.end() && base->second.type == metric_type::histogram)
      throw std::invalid_argument("metric " + name + " is a series of the histogram " + base->first +
                                  "; choose another name");
  }
  if (type == metric_type::histogram)
    for (const std::string suffix : histogram_series_suffixes)
      if (families_.count(name + suffix) != 0)
        throw std::invalid_argument("metric " + name + ": its series " + name + suffix +
                                    " is already a family of its own; choose another name");
}

registry::family& registry::find_or_add(const std::string& name, const std::string& help, metric_type type,
                                        const std::vector<std::string>& label_names, const label_values& values,
                                        const std::vector<double>& bounds, const std::string& registrant) {
  if (!valid_name(name, true))
    throw std::invalid_argument("metric name '" + name + "' is not a valid Prometheus name");
  for (const auto& label : label_names)
    if (!valid_name(label, false) || label.rfind("__", 0) == 0)
      throw std::invalid_argument("metric " + name + ": label name '" + label + "' is not valid");
  for (std::size_t i = 0; i < label_names.size(); ++i) {
    if (label_names[i] == "le" && type == metric_type::histogram)
      throw std::invalid_argument("metric " + name + ": 'le' is the bucket label of a histogram");
    for (std::size_t j = 0; j < i; ++j)
      if (label_names[i] == label_names[j])
        throw std::invalid_argument("metric " + name + ": label '" + label_names[i] + "' given twice");
  }
  for (std::size_t i = 0; i < bounds.size(); ++i)
    if (!std::isfinite(bounds[i]) || (i > 0 && !(bounds[i] > bounds[i - 1])))
      throw std::invalid_argument("metric " + name + ": bucket bounds must be finite and strictly ascending");
  if (values.size() != label_names.size())
    throw std::invalid_argument("metric " + name + ": " + std::to_string(label_names.size()) + " label names but " +
                                std::to_string(values.size()) + " values");
  for (std::size_t i = 0; i < values.size(); ++i)
    if (!valid_label_value(values[i]))
      throw std::invalid_argument("metric " + name + ": the value of label '" + label_names[i] +
                                  "' is not valid UTF-8");
  if (families_.count(name) == 0)
    refuse_series_clash(name, type);
  auto [it, added] = families_.try_emplace(name);
  auto& f = it->second;
  const auto registered_by = [](const family& first) {
    return first.registrant.empty() ? std::string() : " by " + first.registrant;
  };
  if (added) {
    f.type = type;
    f.help = help;
    f.label_names = label_names;
    f.bounds = bounds;
    f.registrant = registrant;
  } else if (f.type != type) {
    throw std::invalid_argument("metric " + name + " is already registered as a " + type_name(f.type) +
                                registered_by(f) + ", not a " + type_name(type));
  } else if (f.label_names != label_names || (type == metric_type::histogram && f.bounds != bounds)) {
    throw std::invalid_argument("metric " + name + " is already registered as a " + type_name(f.type) +
                                registered_by(f) + " with other labels or buckets");
  }
  return f;
}

instruments::counter& registry::counter(const std::string& name, const std::string& help,
                                        const std::vector<std::string>& label_names, const label_values& values,
                                        const std::string& registrant) {
  std::lock_guard<std::mutex> guard(mutex_);
  auto& slot = find_or_add(name, help, metric_type::counter, label_names, values, {}, registrant).counters[values];
  if (!slot)
    slot = std::make_unique<instruments::counter>();
  return *slot;
}

instruments::gauge& registry::gauge(const std::string& name, const std::string& help,
                                    const std::vector<std::string>& label_names, const label_values& values,
                                    const std::string& registrant) {
  std::lock_guard<std::mutex> guard(mutex_);
  auto& slot = find_or_add(name, help, metric_type::gauge, label_names, values, {}, registrant).gauges[values];
  if (!slot)
    slot = std::make_unique<instruments::gauge>();
  return *slot;
}

instruments::histogram& registry::histogram(const std::string& name, const std::string& help,
                                            const std::vector<std::string>& label_names,
                                            const label_values& values, const std::vector<double>& bounds,
                                            const std::string& registrant) {
  std::lock_guard<std::mutex> guard(mutex_);
  auto& slot =
    find_or_add(name, help, metric_type::histogram, label_names, values, bounds, registrant).histograms[values];
  if (!slot)
    slot = std::make_unique<instruments::histogram>(bounds);
  return *slot;
}

std::vector<metric_family> registry::snapshot() const {
  std::vector<metric_family> out;
  std::lock_guard<std::mutex> guard(mutex_);
  for (const auto& [name, f] : families_) {
    metric_family family;
    family.name = name;
    family.help = f.help;
    family.type = f.type;
    family.bounds = f.bounds;
    switch (f.type) {
    case metric_type::counter:
      add_samples(family, f.label_names, f.counters, [](const instruments::counter& c, metric_sample& m) {
        m.value = static_cast<double>(c.value());
      });
      break;
    case metric_type::gauge:
      add_samples(family, f.label_names, f.gauges,
                  [](const instruments::gauge& g, metric_sample& m) { m.value = g.value(); });
      break;
    case metric_type::histogram:
      add_samples(family, f.label_names, f.histograms, [](const instruments::histogram& h, metric_sample& m) {
        auto read = h.read();
        m.buckets = std::move(read.counts);
        m.count = read.count;
        m.sum = read.sum;
      });
      break;
    }
    out.push_back(std::move(family));
  }
  return out;
}

} // namespace strata::telemetry
