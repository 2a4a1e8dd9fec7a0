#pragma once
// Deployments of the diary's tests: a predictive layer, and the diary observing.

#include "runtime_fixture.hpp"

#include <nlohmann/json.hpp>

#include <string>

namespace strata::test {

/// The diary without a deadline: its plugin's (15 s), above twice its statement_timeout.
inline std::string diary_yaml(const std::string& diary_settings) {
  return std::string("plugins:\n  path: [\"") + STRATA_TEST_PLUGIN_DIR + "\"]\n"
         "runtime:\n  threads: 2\n"
         "layers:\n"
         "  - name: hot\n    plugin: predictive\n    config:\n      expiry_interval: 1s\n"
         "  - name: diary\n    plugin: diary\n    config:\n" +
         diary_settings;
}

/// The diary's part of the runtime's health report.
inline layer_health diary_health(runtime& rt) {
  for (const auto& l : rt.health().layers)
    if (l.name == "diary")
      return l;
  FAIL("no diary in the health report");
  return {};
}

inline nlohmann::json diary_command(runtime& rt, const std::string& name, const std::string& args = "{}") {
  auto r = rt.layer_command("diary", name, args);
  INFO(name << " answered " << r.json);
  REQUIRE(r.code == status::ok);
  return nlohmann::json::parse(r.json);
}

} // namespace strata::test
