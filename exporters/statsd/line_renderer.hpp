#pragma once
/// @file line_renderer.hpp
/// Turns telemetry snapshots into StatsD lines.

#include <strata/telemetry_snapshot.hpp>

#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace strata::exporters::statsd {

enum class tag_style {
  folded,   ///< label values appended to the name: prefix.name.value1.value2
  dogstatsd ///< labels as DogStatsD tags: |#key:value,...
};

struct line_options {
  std::string prefix; ///< sanitised; empty: names start with the metric's name
  tag_style tags = tag_style::folded;
  double sample_rate = 1; ///< (0, 1]: each line is sent with this probability and carries |@rate
};

/// Counters become the increase since the previous call (`name:delta|c`, nothing when zero),
/// gauges their value (`name:value|g`), histograms one timing per bucket that grew
/// (`name:bound|ms|@1/growth`: the bucket's upper bound standing for its new observations).
/// Remembers the previous values between calls; one caller at a time.
class line_renderer {
public:
  explicit line_renderer(line_options options);

  /// The lines of `snapshot` that the sampling keeps. An element is one line, or the two lines of
  /// a negative gauge, which must travel together.
  std::vector<std::string> render(const telemetry_snapshot& snapshot);

private:
  /// What a line needs besides its value: the full name and the tag suffix.
  struct series {
    std::string name;
    std::string tags;
  };

  series series_of(std::string_view family_name, const metric_sample& sample) const;
  void counter(const metric_family& family, const metric_sample& sample, std::map<std::string, double>& seen,
               std::vector<std::string>& out);
  void gauge(const metric_family& family, const metric_sample& sample, std::vector<std::string>& out);
  void histogram(const metric_family& family, const metric_sample& sample,
                 std::map<std::string, std::vector<std::uint64_t>>& seen, std::vector<std::string>& out);
  /// `name:value|type[|@rate][|#tags]`, with `rate` the share of the events this line stands for.
  std::string line(const series& s, const std::string& value, const char* type, double rate) const;
  /// Whether the sampling keeps the next line.
  bool keep();

  line_options options_;
  std::mt19937_64 random_;
  std::bernoulli_distribution sampled_;
  /// The previous call's values, keyed by family name and labels.
  std::map<std::string, double> counters_;
  std::map<std::string, std::vector<std::uint64_t>> buckets_;
};

} // namespace strata::exporters::statsd
