// configs/grafana/strata.json: an importable dashboard whose every panel queries Prometheus with
// valid PromQL.

#include "source_files.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <set>
#include <string>

using nlohmann::json;
using strata::testing::source_file;

namespace {

const json& dashboard() {
  static const json d = json::parse(source_file("configs/grafana/strata.json"));
  return d;
}

const json* variable(const std::string& name) {
  for (const auto& v : dashboard().at("templating").at("list"))
    if (v.at("name") == name)
      return &v;
  return nullptr;
}

/// What Grafana would send: the dashboard's variables replaced by a value that matches anything.
std::string as_sent(std::string expr) {
  const std::string rate_interval = "$__rate_interval";
  for (auto at = expr.find(rate_interval); at != std::string::npos; at = expr.find(rate_interval, at))
    expr.replace(at, rate_interval.size(), "5m");
  for (auto at = expr.find('$'); at != std::string::npos; at = expr.find('$', at)) {
    auto end = at + 1;
    while (end < expr.size() && (std::isalnum(static_cast<unsigned char>(expr[end])) || expr[end] == '_'))
      ++end;
    expr.replace(at, end - at, ".*");
  }
  return expr;
}

} // namespace

TEST_CASE("the Grafana dashboard is importable JSON with its data source and layer variables", "[monitoring][grafana]") {
  const auto& d = dashboard();
  CHECK(d.at("schemaVersion").get<int>() >= 36);
  CHECK(d.at("uid") == "strata-overview");
  const json* datasource = variable("datasource");
  REQUIRE(datasource != nullptr);
  CHECK(datasource->at("type") == "datasource");
  CHECK(datasource->at("query") == "prometheus");
  const json* layer = variable("cache_layer");
  REQUIRE(layer != nullptr);
  CHECK(layer->at("type") == "query");
  CHECK(layer->at("definition").get<std::string>().find("cache_layer") != std::string::npos);
}

TEST_CASE("every Grafana panel has Prometheus targets on the selected data source", "[monitoring][grafana]") {
  const auto& panels = dashboard().at("panels");
  REQUIRE(panels.size() >= 12);
  std::set<int> ids;
  for (const auto& panel : panels) {
    const auto title = panel.at("title").get<std::string>();
    INFO(title);
    CHECK(ids.insert(panel.at("id").get<int>()).second);
    CHECK(panel.contains("gridPos"));
    CHECK(panel.at("datasource").at("uid") == "${datasource}");
    REQUIRE(panel.contains("targets"));
    REQUIRE_FALSE(panel.at("targets").empty());
    for (const auto& target : panel.at("targets")) {
      CHECK_FALSE(target.at("refId").get<std::string>().empty());
      CHECK(target.at("expr").get<std::string>().find("strata_") != std::string::npos);
    }
  }
}

TEST_CASE("every Grafana query is valid PromQL (promtool)", "[monitoring][grafana][promtool]") {
  // promtool checks expressions in rule files: one recording rule per target. JSON is YAML.
  json rules = json::array();
  for (const auto& panel : dashboard().at("panels"))
    for (const auto& target : panel.at("targets"))
      rules.push_back({{"record", "dashboard:panel" + std::to_string(panel.at("id").get<int>()) + "_" +
                                    target.at("refId").get<std::string>()},
                       {"expr", as_sent(target.at("expr"))}});
  const std::string path = "/tmp/strata_dashboard_rules_" + std::to_string(::getpid()) + ".yml";
  {
    std::ofstream out(path);
    out << json{{"groups", {{{"name", "dashboard"}, {"rules", rules}}}}}.dump(2);
  }
  const auto result = strata::testing::run_command(std::string(STRATA_PROMTOOL) + " check rules " + path);
  std::remove(path.c_str());
  INFO(result.output);
  CHECK(result.exit_status == 0);
  CHECK(result.output.find("SUCCESS: " + std::to_string(rules.size()) + " rules found") != std::string::npos);
}
