#pragma once
/// @file metrics_registry.hpp
/// Named, labelled instruments. Registering looks a label set up under a lock: do it once and keep
/// the reference (instruments never move and live as long as the registry); recording is then
/// lock-free (see instruments.hpp).

#include <strata/instruments.hpp>
#include <strata/telemetry_snapshot.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace strata::telemetry {

/// Whether `text` may be a label value: well-formed UTF-8 (RFC 3629), as the Prometheus text
/// format requires; `registry` refuses any other.
bool valid_label_value(const std::string& text) noexcept;

/// The series a histogram X writes besides its family name: X_bucket, X_sum, X_count.
inline constexpr const char* histogram_series_suffixes[] = {"_bucket", "_sum", "_count"};

/// The histogram whose series `name` would be (`X` for `X_bucket`, `X_sum`, `X_count`), or "".
std::string histogram_of_series(const std::string& name);

/// Label values in the order of the family's label names.
using label_values = std::vector<std::string>;

using strata::metric_type;

class registry {
public:
  /// The counter of family `name` for `values`. The first call for a name fixes its help, type and
  /// label names; a later call that disagrees, or an invalid name, throws std::invalid_argument.
  /// `registrant` says who registers ("layer 'sem'"): a later call that disagrees is told who fixed
  /// the family first, when that call said.
  instruments::counter& counter(const std::string& name, const std::string& help,
                                const std::vector<std::string>& label_names, const label_values& values,
                                const std::string& registrant = {});
  instruments::gauge& gauge(const std::string& name, const std::string& help,
                            const std::vector<std::string>& label_names, const label_values& values,
                            const std::string& registrant = {});
  instruments::histogram& histogram(const std::string& name, const std::string& help,
                                    const std::vector<std::string>& label_names, const label_values& values,
                                    const std::vector<double>& bounds = instruments::default_latency_buckets(),
                                    const std::string& registrant = {});

  /// Every family and its samples, sorted by name.
  std::vector<metric_family> snapshot() const;

private:
  struct family {
    metric_type type;
    std::string help;
    std::vector<std::string> label_names;
    std::vector<double> bounds; ///< histograms only
    std::string registrant;     ///< who registered it first, if that call said
    std::map<label_values, std::unique_ptr<instruments::counter>> counters;
    std::map<label_values, std::unique_ptr<instruments::gauge>> gauges;
    std::map<label_values, std::unique_ptr<instruments::histogram>> histograms;
  };
  family& find_or_add(const std::string& name, const std::string& help, metric_type type,
                      const std::vector<std::string>& label_names, const label_values& values,
                      const std::vector<double>& bounds, const std::string& registrant);
  /// Throws when a new family `name` and a histogram's series would share a name.
  void refuse_series_clash(const std::string& name, metric_type type) const;

  mutable std::mutex mutex_;
  std::map<std::string, family> families_;
};

} // namespace strata::telemetry
