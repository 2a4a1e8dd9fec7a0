#include "snapshot_json.hpp"

#include "time_format.hpp"

#include <nlohmann/json.hpp>

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <utility>

namespace strata::telemetry {

namespace {

// ordered_json: labels keep the family's order, and a file lists fields in the documented order.
using json = nlohmann::ordered_json;

template <class E>
using names_of = std::array<std::pair<const char*, E>, 3>;

const names_of<stats_window> window_names = {
  {{"minute", stats_window::minute}, {"hour", stats_window::hour}, {"day", stats_window::day}}};
const names_of<health_level> level_names = {
  {{"healthy", health_level::healthy}, {"warning", health_level::warning}, {"critical", health_level::critical}}};
const names_of<metric_type> type_names = {
  {{"counter", metric_type::counter}, {"gauge", metric_type::gauge}, {"histogram", metric_type::histogram}}};

template <class E>
const char* name_of(E value, const names_of<E>& names) {
  for (const auto& [name, v] : names)
    if (v == value)
      return name;
  return names[0].first;
}

// ---- writing ----

json number(double v) {
  if (std::isnan(v))
    return "NaN";
  if (std::isinf(v))
    return v > 0 ? "+Inf" : "-Inf";
  return v;
}

json numbers(const std::vector<double>& values) {
  json out = json::array();
  for (double v : values)
    out.push_back(number(v));
  return out;
}

json window_json(const window_stats& w) {
  return {{"name", w.name},
          {"requests", w.requests},
          {"gets", w.gets},
          {"hits", w.hits},
          {"misses", w.misses},
          {"errors", w.errors},
          {"hit_rate", number(w.hit_rate)},
          {"miss_rate", number(w.miss_rate)},
          {"error_rate", number(w.error_rate)},
          {"throughput", number(w.throughput)},
          {"p50_seconds", number(w.p50_seconds)},
          {"p95_seconds", number(w.p95_seconds)},
          {"p99_seconds", number(w.p99_seconds)}};
}

json stats_json(const runtime_stats& stats) {
  json layers = json::array();
  for (const auto& layer : stats.layers)
    layers.push_back(window_json(layer));
  return {{"window", name_of(stats.window, window_names)},
          {"covered_seconds", number(stats.covered_seconds)},
          {"overall", window_json(stats.overall)},
          {"layers", std::move(layers)}};
}

json health_json(const health_report& health) {
  json layers = json::array();
  for (const auto& l : health.layers)
    layers.push_back({{"name", l.name},
                      {"level", name_of(l.level, level_names)},
                      {"detail", l.detail},
                      {"failures", l.failures},
                      {"restarts", l.restarts},
                      {"last_error", l.last_error}});
  json system = json::array();
  for (const auto& c : health.system)
    system.push_back({{"name", c.name},
                      {"level", name_of(c.level, level_names)},
                      {"detail", c.detail},
                      {"value", number(c.value)},
                      {"limit", number(c.limit)}});
  return {{"overall", name_of(health.overall, level_names)},
          {"layers", std::move(layers)},
          {"system", std::move(system)}};
}

json sample_json(const metric_family& family, const metric_sample& sample) {
  json labels = json::object();
  for (const auto& [name, value] : sample.labels)
    labels[name] = value;
  json out = {{"labels", std::move(labels)}};
  if (family.type == metric_type::histogram) {
    out["buckets"] = sample.buckets;
    out["count"] = sample.count;
    out["sum"] = number(sample.sum);
  } else {
    out["value"] = number(sample.value);
  }
  return out;
}

json metrics_json(const std::vector<metric_family>& metrics) {
  json out = json::array();
  for (const auto& family : metrics) {
    json samples = json::array();
    for (const auto& sample : family.samples)
      samples.push_back(sample_json(family, sample));
    out.push_back({{"name", family.name},
                   {"help", family.help},
                   {"type", name_of(family.type, type_names)},
                   {"bounds", numbers(family.bounds)},
                   {"samples", std::move(samples)}});
  }
  return out;
}

// ---- reading ----

/// Thrown inside the reader only; snapshot_from_json turns it into an error.
struct format_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

[[noreturn]] void fail(const std::string& path, const std::string& what) { throw format_error(path + ": " + what); }

std::string at(const std::string& path, const char* key) { return path.empty() ? key : path + "." + key; }
std::string at(const std::string& path, std::size_t index) { return path + "[" + std::to_string(index) + "]"; }

/// What a value is, for "expected X, got Y".
std::string got(const json& j) {
  switch (j.type()) {
  case json::value_t::string: {
    const auto& s = j.get_ref<const std::string&>();
    return s.size() > 40 ? json(s.substr(0, 40) + "...").dump() : j.dump();
  }
  case json::value_t::array: return "an array";
  case json::value_t::object: return "an object";
  default: return j.dump(); // a number, a boolean or null: short
  }
}

const json& member(const json& object, const std::string& path, const char* key) {
  auto it = object.find(key);
  if (it == object.end())
    fail(at(path, key), "missing");
  return *it;
}

const json& object_at(const json& object, const std::string& path, const char* key) {
  const json& j = member(object, path, key);
  if (!j.is_object())
    fail(at(path, key), "expected an object, got " + got(j));
  return j;
}

const json& array_at(const json& object, const std::string& path, const char* key, const char* of) {
  const json& j = member(object, path, key);
  if (!j.is_array())
    fail(at(path, key), std::string("expected an array of ") + of + ", got " + got(j));
  return j;
}

std::string string_value(const json& j, const std::string& path) {
  if (!j.is_string())
    fail(path, "expected a string, got " + got(j));
  return j.get<std::string>();
}

std::uint64_t count_value(const json& j, const std::string& path) {
  if (!j.is_number_unsigned())
    fail(path, "expected a non-negative integer, got " + got(j));
  return j.get<std::uint64_t>();
}

double number_value(const json& j, const std::string& path) {
  if (j.is_number())
    return j.get<double>();
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    if (s == "NaN")
      return std::numeric_limits<double>::quiet_NaN();
    if (s == "+Inf")
      return std::numeric_limits<double>::infinity();
    if (s == "-Inf")
      return -std::numeric_limits<double>::infinity();
  }
  fail(path, "expected a number (or \"NaN\", \"+Inf\", \"-Inf\"), got " + got(j));
}

template <class E>
E enum_value(const json& j, const std::string& path, const names_of<E>& names) {
  if (j.is_string())
    for (const auto& [name, v] : names)
      if (j.get_ref<const std::string&>() == name)
        return v;
  fail(path, std::string("expected one of ") + names[0].first + ", " + names[1].first + ", " + names[2].first +
               ", got " + got(j));
}

std::string string_at(const json& o, const std::string& path, const char* key) {
  return string_value(member(o, path, key), at(path, key));
}
std::uint64_t count_at(const json& o, const std::string& path, const char* key) {
  return count_value(member(o, path, key), at(path, key));
}
double number_at(const json& o, const std::string& path, const char* key) {
  return number_value(member(o, path, key), at(path, key));
}
template <class E>
E enum_at(const json& o, const std::string& path, const char* key, const names_of<E>& names) {
  return enum_value(member(o, path, key), at(path, key), names);
}

/// Calls `each(element, element_path)` for every element, which must be an object.
template <class F>
void for_each_object(const json& o, const std::string& path, const char* key, F each) {
  const json& list = array_at(o, path, key, "objects");
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (!list[i].is_object())
      fail(at(at(path, key), i), "expected an object, got " + got(list[i]));
    each(list[i], at(at(path, key), i));
  }
}

window_stats read_window(const json& o, const std::string& path) {
  window_stats w;
  w.name = string_at(o, path, "name");
  w.requests = count_at(o, path, "requests");
  w.gets = count_at(o, path, "gets");
  w.hits = count_at(o, path, "hits");
  w.misses = count_at(o, path, "misses");
  w.errors = count_at(o, path, "errors");
  w.hit_rate = number_at(o, path, "hit_rate");
  w.miss_rate = number_at(o, path, "miss_rate");
  w.error_rate = number_at(o, path, "error_rate");
  w.throughput = number_at(o, path, "throughput");
  w.p50_seconds = number_at(o, path, "p50_seconds");
  w.p95_seconds = number_at(o, path, "p95_seconds");
  w.p99_seconds = number_at(o, path, "p99_seconds");
  return w;
}

runtime_stats read_stats(const json& o, const std::string& path) {
  runtime_stats stats;
  stats.window = enum_at(o, path, "window", window_names);
  stats.covered_seconds = number_at(o, path, "covered_seconds");
  stats.overall = read_window(object_at(o, path, "overall"), at(path, "overall"));
  for_each_object(o, path, "layers",
                  [&](const json& l, const std::string& p) { stats.layers.push_back(read_window(l, p)); });
  return stats;
}

health_report read_health(const json& o, const std::string& path) {
  health_report health;
  health.overall = enum_at(o, path, "overall", level_names);
  for_each_object(o, path, "layers", [&](const json& l, const std::string& p) {
    health.layers.push_back(layer_health{string_at(l, p, "name"), enum_at(l, p, "level", level_names),
                                         string_at(l, p, "detail"), count_at(l, p, "failures"),
                                         count_at(l, p, "restarts"), string_at(l, p, "last_error")});
  });
  for_each_object(o, path, "system", [&](const json& c, const std::string& p) {
    health.system.push_back(system_check{string_at(c, p, "name"), enum_at(c, p, "level", level_names),
                                         string_at(c, p, "detail"), number_at(c, p, "value"),
                                         number_at(c, p, "limit")});
  });
  return health;
}

metric_sample read_sample(const json& o, const std::string& path, const metric_family& family) {
  metric_sample sample;
  const json& labels = object_at(o, path, "labels");
  for (const auto& [name, value] : labels.items())
    sample.labels.emplace_back(name, string_value(value, at(path, "labels") + "." + name));
  if (family.type != metric_type::histogram) {
    sample.value = number_at(o, path, "value");
    return sample;
  }
  const json& buckets = array_at(o, path, "buckets", "integers");
  for (std::size_t i = 0; i < buckets.size(); ++i)
    sample.buckets.push_back(count_value(buckets[i], at(at(path, "buckets"), i)));
  if (sample.buckets.size() != family.bounds.size() + 1)
    fail(at(path, "buckets"), "expected " + std::to_string(family.bounds.size() + 1) +
                                " counts (one per bound, then +Inf), got " + std::to_string(sample.buckets.size()));
  sample.count = count_at(o, path, "count");
  sample.sum = number_at(o, path, "sum");
  return sample;
}

metric_family read_family(const json& o, const std::string& path) {
  metric_family family;
  family.name = string_at(o, path, "name");
  family.help = string_at(o, path, "help");
  family.type = enum_at(o, path, "type", type_names);
  const json& bounds = array_at(o, path, "bounds", "numbers");
  for (std::size_t i = 0; i < bounds.size(); ++i)
    family.bounds.push_back(number_value(bounds[i], at(at(path, "bounds"), i)));
  for_each_object(o, path, "samples", [&](const json& s, const std::string& p) {
    family.samples.push_back(read_sample(s, p, family));
  });
  return family;
}

std::chrono::system_clock::time_point read_taken(const json& o) {
  using namespace std::chrono;
  const json& j = member(o, "", "taken_unix_ms");
  // The clock counts nanoseconds in 64 bits: about 292 years either side of 1970.
  const auto limit = duration_cast<milliseconds>(system_clock::duration::max()).count();
  bool in_range = false;
  if (j.is_number_unsigned())
    in_range = j.get<std::uint64_t>() <= static_cast<std::uint64_t>(limit);
  else if (j.is_number_integer())
    in_range = j.get<std::int64_t>() >= -limit;
  if (!in_range)
    fail("taken_unix_ms", "expected milliseconds since 1970 (within 292 years of it), got " + got(j));
  return system_clock::time_point(duration_cast<system_clock::duration>(milliseconds(j.get<std::int64_t>())));
}

void check_format(const json& o) {
  const json& j = member(o, "", "format");
  if (!j.is_number_unsigned() || j.get<std::uint64_t>() == 0)
    fail("format", "expected a version number such as 1, got " + got(j));
  if (j.get<std::uint64_t>() > static_cast<std::uint64_t>(snapshot_format_version))
    fail("format", "version " + j.dump() + " is newer than this reader's " + std::to_string(snapshot_format_version) +
                     "; upgrade strata");
}

telemetry_snapshot read_snapshot(const json& o) {
  check_format(o);
  telemetry_snapshot snapshot;
  snapshot.taken = read_taken(o);
  snapshot.stats = read_stats(object_at(o, "", "stats"), "stats");
  snapshot.health = read_health(object_at(o, "", "health"), "health");
  for_each_object(o, "", "metrics",
                  [&](const json& f, const std::string& p) { snapshot.metrics.push_back(read_family(f, p)); });
  return snapshot;
}

} // namespace

std::string to_json_text(const telemetry_snapshot& snapshot, bool pretty) {
  using namespace std::chrono;
  const json j = {{"format", snapshot_format_version},
                  {"taken", to_rfc3339(snapshot.taken)},
                  {"taken_unix_ms", floor<milliseconds>(snapshot.taken.time_since_epoch()).count()},
                  {"stats", stats_json(snapshot.stats)},
                  {"health", health_json(snapshot.health)},
                  {"metrics", metrics_json(snapshot.metrics)}};
  // replace: a label value with invalid UTF-8 must not make a publish throw.
  return j.dump(pretty ? 2 : -1, ' ', false, json::error_handler_t::replace);
}

std::string to_json_text(const runtime_stats& stats) {
  return stats_json(stats).dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string to_json_text(const health_report& health) {
  return health_json(health).dump(-1, ' ', false, json::error_handler_t::replace);
}

expected<telemetry_snapshot> snapshot_from_json(std::string_view text) {
  json j;
  try {
    j = json::parse(text);
  } catch (const json::parse_error& e) {
    // what() starts with "[json.exception.parse_error.101] "; the rest says where and why.
    std::string why = e.what();
    const auto bracket = why.find("] ");
    return error{status::invalid, "not JSON: " + (bracket == std::string::npos ? why : why.substr(bracket + 2))};
  }
  if (!j.is_object())
    return error{status::invalid, "expected a JSON object at the top level, got " + got(j)};
  try {
    return read_snapshot(j);
  } catch (const format_error& e) {
    return error{status::invalid, e.what()};
  }
}

} // namespace strata::telemetry
