#pragma once
// Deployments of the global layer's tests: a predictive layer above the global layer.

#include "runtime_fixture.hpp"

#include <string>

namespace strata::test {

/// `hot` (predictive) above `shared` (global) with the given global settings (YAML lines, indented
/// by six spaces) and deadline, plugins from the build tree.
inline std::string two_layer_yaml(const std::string& global_settings, const std::string& deadline = "2s") {
  return std::string("plugins:\n  path: [\"") + STRATA_TEST_PLUGIN_DIR + "\"]\n"
         "runtime:\n  threads: 2\n  stats_interval: 100ms\n"
         "layers:\n"
         "  - name: hot\n    plugin: predictive\n    config:\n      expiry_interval: 1s\n"
         "  - name: shared\n    plugin: global\n    deadline: " + deadline + "\n    config:\n" +
         global_settings;
}

/// The value of one sample line of a Prometheus exposition, or -1 when absent.
inline double sample(const std::string& exposition, const std::string& series) {
  const auto at = exposition.find("\n" + series + " ");
  if (at == std::string::npos)
    return -1;
  return std::stod(exposition.substr(at + series.size() + 2));
}

} // namespace strata::test
