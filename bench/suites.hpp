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
int run_server();

inline const std::vector<suite>& suites() {
  static const std::vector<suite> all = {
    {"core", "plain unordered_map vs first-layer hit vs second-layer hit through the coordinator", &run_core},
    {"telemetry", "first-layer hits with the standard metrics on and off", &run_telemetry},
    {"replay", "our LRU on every shared trace, beside the published LRU, ARC, LIRS and S3-FIFO", &run_replay},
    {"server", "redis-benchmark GET and SET at -P 1 and -P 16: strata serve's Redis protocol vs redis-server", &run_server},
  };
  return all;
}

} // namespace strata::bench
