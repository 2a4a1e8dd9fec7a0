// Anti-drift: every strata_ metric the alert rules and the dashboard use is one the runtime
// exports, as listed in docs/metrics.md.

#include "source_files.hpp"

#include <catch2/catch.hpp>

#include <cctype>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>

using strata::testing::source_file;

namespace {

/// What a Strata metric name is made of after its prefix.
bool metric_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}

/// The text between the first two `|` after `from`, trimmed.
std::string cell(const std::string& line, std::size_t from) {
  const auto start = line.find('|', from);
  const auto end = line.find('|', start + 1);
  if (start == std::string::npos || end == std::string::npos)
    return "";
  auto text = line.substr(start + 1, end - start - 1);
  text.erase(0, text.find_first_not_of(' '));
  text.erase(text.find_last_not_of(' ') + 1);
  return text;
}

/// docs/metrics.md: family name → type, from the rows whose first cell is `strata_...`.
const std::map<std::string, std::string>& documented() {
  static const auto families = [] {
    std::map<std::string, std::string> out;
    const std::string row_start = "| `strata_";
    std::istringstream doc(source_file("docs/metrics.md"));
    for (std::string line; std::getline(doc, line);) {
      if (line.rfind(row_start, 0) != 0)
        continue;
      const auto name_end = line.find('`', row_start.size());
      out.emplace(line.substr(3, name_end - 3), cell(line, name_end));
    }
    return out;
  }();
  return families;
}

/// Every distinct strata_ name in `text`: `strata_` not inside another word, then lower-case
/// letters, digits and underscores, without a trailing underscore.
std::set<std::string> referenced(const std::string& text) {
  std::set<std::string> names;
  for (auto at = text.find("strata_"); at != std::string::npos; at = text.find("strata_", at + 1)) {
    if (at > 0 && (std::isalnum(static_cast<unsigned char>(text[at - 1])) || text[at - 1] == '_'))
      continue;
    auto end = at;
    while (end < text.size() && metric_char(text[end]))
      ++end;
    auto name = text.substr(at, end - at);
    name.erase(name.find_last_not_of('_') + 1);
    names.insert(name);
  }
  return names;
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() > suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

/// The documented family a series name belongs to: itself, or the histogram whose _bucket, _sum
/// or _count series it is.
std::optional<std::string> family_of(const std::string& series) {
  if (documented().count(series) != 0)
    return series;
  for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
    if (!ends_with(series, suffix))
      continue;
    const auto base = series.substr(0, series.size() - suffix.size());
    const auto it = documented().find(base);
    if (it != documented().end() && it->second == "histogram")
      return base;
  }
  return std::nullopt;
}

} // namespace

TEST_CASE("docs/metrics.md lists the runtime's metric families with their types", "[monitoring][metrics]") {
  const auto& families = documented();
  CHECK(families.size() >= 17);
  CHECK(families.at("strata_cache_requests_total") == "counter");
  CHECK(families.at("strata_cache_operation_duration_seconds") == "histogram");
  CHECK(families.at("strata_cache_layer_health") == "gauge");
  for (const auto& [name, type] : families) {
    INFO(name);
    CHECK((type == "counter" || type == "gauge" || type == "histogram"));
  }
}

TEST_CASE("the drift check recognises histogram series and refuses unknown names", "[monitoring][metrics]") {
  CHECK(family_of("strata_cache_operation_duration_seconds_bucket") == "strata_cache_operation_duration_seconds");
  CHECK(family_of("strata_cache_operation_duration_seconds_count") == "strata_cache_operation_duration_seconds");
  CHECK_FALSE(family_of("strata_cache_requests_total_bucket")); // not a histogram
  CHECK_FALSE(family_of("strata_cache_hit_total"));
  CHECK(referenced("rate(strata_cache_hits_total{cache_layer=\"hot\"}[5m]) / strata_x_") ==
        std::set<std::string>{"strata_cache_hits_total", "strata_x"});
}

TEST_CASE("every metric the alert rules and the dashboard use is documented", "[monitoring][metrics]") {
  std::size_t checked = 0;
  for (const std::string file : {"configs/prometheus/alerts.yml", "configs/prometheus/alerts_test.yml",
                                 "configs/grafana/strata.json"}) {
    const auto names = referenced(source_file(file));
    CHECK(names.size() >= 5); // the pattern found what it should
    for (const auto& name : names) {
      INFO(file << ": " << name << " is not in docs/metrics.md");
      CHECK(family_of(name));
      ++checked;
    }
  }
  CHECK(checked >= 30);
}
