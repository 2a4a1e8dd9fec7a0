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
int run_vector();
int run_semantic_quality();
int run_storage();
int run_server();

inline const std::vector<suite>& suites() {
  static const std::vector<suite> all = {
    {"core", "plain unordered_map vs first-layer hit vs second-layer hit through the coordinator", &run_core},
    {"telemetry", "first-layer hits with the standard metrics on and off", &run_telemetry},
    {"replay", "the predictive layer's lru, predictive and predictive-tinylfu policies on every shared trace, beside the published LRU, ARC, LIRS and S3-FIFO", &run_replay},
    {"vector", "IVF and HNSW against exact flat search at 100k x 384: build, p50/p99, recall@1/@10", &run_vector},
    {"semantic-quality", "the default semantic layer on GPTCache's mock data and the Quora pairs, with and without "
                         "the second-stage check", &run_semantic_quality},
    {"storage", "diary appends and global-layer gets on PostgreSQL beside raw libpqxx loops", &run_storage},
    {"server", "redis-benchmark GET and SET at -P 1 and -P 16: strata serve's Redis protocol vs redis-server", &run_server},
  };
  return all;
}

} // namespace strata::bench
