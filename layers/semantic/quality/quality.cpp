#include "quality.hpp"

#include <strata/units.hpp>

#include <nlohmann/json.hpp>
#include <zlib.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace strata::semantic_quality {

namespace {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in)
    throw std::runtime_error(path + ": cannot open (set STRATA_DATA_DIR to the shared data folder)");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string read_gzip(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr)
    throw std::runtime_error(path + ": cannot open (set STRATA_DATA_DIR to the shared data folder)");
  std::string out;
  char buffer[1 << 16];
  int n = 0;
  while ((n = gzread(file, buffer, sizeof buffer)) > 0)
    out.append(buffer, static_cast<std::size_t>(n));
  const bool failed = n < 0;
  gzclose(file);
  if (failed)
    throw std::runtime_error(path + ": not a readable gzip file");
  return out;
}

nlohmann::json parse(const std::string& text, const std::string& path) {
  try {
    auto j = nlohmann::json::parse(text);
    if (!j.is_array())
      throw std::runtime_error("expected a JSON list");
    return j;
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

void check(const operation_result& r, const char* what) {
  if (r.code != status::ok && r.code != status::not_found)
    throw std::runtime_error(std::string(what) + " failed: " + to_string(r.code) + " " + r.error);
}

lookup_outcome lookup(runtime& rt, const std::string& ns, const std::string& text, const std::string& expected_query) {
  semantic_lookup_request q;
  q.ns = ns;
  q.text = text;
  q.threshold = -1.0; // every candidate reaches the second stage; thresholds are applied afterwards
  const auto r = rt.semantic_lookup(std::move(q));
  check(r, "semantic_lookup");
  lookup_outcome o;
  o.served = r.code == status::ok;
  o.correct = o.served && r.match.query == expected_query;
  o.score = r.match.score;
  return o;
}

std::uint64_t store(runtime& rt, const std::string& ns, const std::string& query) {
  semantic_entry e;
  e.ns = ns;
  e.query = query;
  e.answer = "answer to: " + query;
  const auto r = rt.semantic_store(std::move(e));
  if (r.code != status::ok)
    throw std::runtime_error("semantic_store failed: " + std::string(to_string(r.code)) + " " + r.error);
  return r.id;
}

} // namespace

config semantic_deployment(const std::string& yaml_path, const std::string& plugin_dir) {
  auto parsed = parse_config_file(yaml_path);
  if (!parsed.ok())
    throw std::runtime_error(parsed.errors_text());
  config cfg = *parsed.effective;
  auto it = std::find_if(cfg.layers.begin(), cfg.layers.end(), [](const auto& l) { return l.plugin == "semantic"; });
  if (it == cfg.layers.end())
    throw std::runtime_error(yaml_path + ": no layer of plugin 'semantic'");
  cfg.layers = {*it};
  cfg.plugin_path = {plugin_dir};
  cfg.exporters.clear();
  cfg.alerts = {};
  cfg.logging.level = "warn";
  auto report = validate(cfg);
  if (!report.ok())
    throw std::runtime_error(report.errors_text());
  return *report.effective;
}

config without_second_stage(config cfg) {
  auto& s = cfg.layers.front().settings;
  s["check_margin"] = "0";
  s["check_numbers"] = "false";
  s["check_negations"] = "false";
  s["check_order"] = "false";
  return cfg;
}

bool second_stage_on(const config& cfg) {
  const auto& s = cfg.layers.front().settings;
  // Any spelling the config accepts ("True", "yes"), not only the one the defaults use.
  const auto on = [&](const char* key) { return strata::units::parse_bool(s.at(key)).value_or(false); };
  return std::stod(s.at("check_margin")) > 0 || on("check_numbers") || on("check_negations") || on("check_order");
}

std::vector<paraphrase> load_mock(const std::string& path, std::size_t limit) {
  std::vector<paraphrase> out;
  for (const auto& item : parse(read_file(path), path)) {
    if (limit != 0 && out.size() == limit)
      break;
    out.push_back({item.at("origin").get<std::string>(), item.at("similar").get<std::string>()});
  }
  return out;
}

std::vector<question_pair> load_qqp(const std::string& path, std::size_t limit) {
  std::vector<question_pair> out;
  for (const auto& item : parse(read_gzip(path), path)) {
    if (limit != 0 && out.size() == limit)
      break;
    out.push_back({item.at("text_a").get<std::string>(), item.at("text_b").get<std::string>(),
                   item.at("label").get<int>() == 1});
  }
  return out;
}

std::vector<double> thresholds() { return {0.60, 0.65, 0.70, 0.75, 0.80, 0.85, 0.90, 0.95}; }

std::vector<counts> tally(const std::vector<lookup_outcome>& outcomes, const std::vector<double>& at) {
  std::vector<counts> out;
  for (double t : at) {
    counts c;
    c.threshold = t;
    for (const auto& o : outcomes) {
      if (!o.served || o.score < t - 1e-9)
        ++c.misses;
      else if (o.correct)
        ++c.correct;
      else
        ++c.wrong;
    }
    out.push_back(c);
  }
  return out;
}

std::vector<lookup_outcome> run_mock(runtime& rt, const std::vector<paraphrase>& pairs, const std::string& ns) {
  std::vector<std::uint64_t> ids;
  for (const auto& p : pairs)
    ids.push_back(store(rt, ns, p.origin));
  std::vector<lookup_outcome> out;
  for (const auto& p : pairs)
    out.push_back(lookup(rt, ns, p.similar, p.origin));
  request_options options;
  options.ns = ns;
  for (auto id : ids)
    check(rt.semantic_erase(id, options), "semantic_erase"); // a replaced duplicate answers not_found
  return out;
}

std::vector<lookup_outcome> run_pairs(runtime& rt, const std::vector<question_pair>& pairs, std::size_t batch) {
  std::vector<lookup_outcome> out;
  out.reserve(pairs.size());
  for (std::size_t start = 0; start < pairs.size(); start += batch) {
    const auto end = std::min(pairs.size(), start + batch);
    std::vector<std::uint64_t> ids;
    for (std::size_t i = start; i < end; ++i)
      ids.push_back(store(rt, "pair-" + std::to_string(i), pairs[i].a));
    for (std::size_t i = start; i < end; ++i)
      out.push_back(lookup(rt, "pair-" + std::to_string(i), pairs[i].b, pairs[i].a));
    for (std::size_t i = start; i < end; ++i) {
      request_options options;
      options.ns = "pair-" + std::to_string(i);
      check(rt.semantic_erase(ids[i - start], options), "semantic_erase");
    }
  }
  return out;
}

namespace {

double served_share(const std::vector<question_pair>& pairs, const std::vector<lookup_outcome>& outcomes, double t,
                    bool duplicate) {
  std::size_t n = 0, served = 0;
  for (std::size_t i = 0; i < pairs.size() && i < outcomes.size(); ++i) {
    if (pairs[i].duplicate != duplicate)
      continue;
    ++n;
    if (outcomes[i].served && outcomes[i].score >= t - 1e-9)
      ++served;
  }
  return n == 0 ? 0.0 : double(served) / double(n);
}

} // namespace

double false_hit_rate(const std::vector<question_pair>& pairs, const std::vector<lookup_outcome>& outcomes, double t) {
  return served_share(pairs, outcomes, t, false);
}

double duplicate_hit_rate(const std::vector<question_pair>& pairs, const std::vector<lookup_outcome>& outcomes,
                          double t) {
  return served_share(pairs, outcomes, t, true);
}

} // namespace strata::semantic_quality
