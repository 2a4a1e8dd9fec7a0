#pragma once
// strata-bench suites. Each runs its baseline and its subject in the same process and run, and
// ends with `RESULT <name> <value>` lines.

#include <string>
#include <vector>

namespace strata::bench {

struct suite {
  std::string name;
  std::string description;
  int (*run)();
};

int run_core();
int run_telemetry();
int run_replay();

inline const std::vector<suite>& suites() {
  static const std::vector<suite> all = {
    {"core", "plain unordered_map vs first-layer hit vs second-layer hit through the coordinator", &run_core},
    {"telemetry", "first-layer hits with the standard metrics on and off", &run_telemetry},
    {"replay", "the predictive layer's lru and predictive policies on every shared trace, beside the published LRU, ARC, LIRS and S3-FIFO", &run_replay},
  };
  return all;
}

} // namespace strata::bench
