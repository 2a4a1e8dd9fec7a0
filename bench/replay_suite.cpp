// replay: the predictive layer (one shard) on every shared trace, with its two policies: lru (which
// must reproduce the published LRU exactly) and predictive with the layer's defaults (following a
// GreedyDual-Size or a W-TinyLFU shadow, whichever has hit more; prefetch off: a replay measures
// demand caching), and predictive-tinylfu (adaptive_window false: W-TinyLFU alone). cloudPhysicsIO
// at the published byte capacities, side by side with libCacheSim's LRU, ARC, LIRS and S3-FIFO;
// gli at its published entry capacities, beside the published LRU hit ratios; every other LIRS
// trace and web07 at 10, 25, 50 and 75 % of its distinct keys. The targets (issue 6): predictive
// below ARC and S3-FIFO on cloudPhysicsIO at every capacity, and at most 1 % (relative) above our
// LRU anywhere.
#include "published_figures.hpp"
#include "suites.hpp"

#include <strata/replay/trace_replay.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>
#include <unordered_set>
#include <vector>

namespace strata::bench {

namespace {

const std::string data_dir = STRATA_DATA_DIR;

struct entry_trace {
  const char* name;
  const char* file; ///< under traces/
  replay::trace_format format;
};

/// Every shared trace but cloudPhysicsIO, which has byte capacities and a figure per algorithm.
const std::vector<entry_trace> entry_traces = {
  {"2_pools", "lirs/2_pools.trace.gz", replay::trace_format::lirs},
  {"backf", "lirs/backf.trace.gz", replay::trace_format::lirs},
  {"cpp", "lirs/cpp.trace.gz", replay::trace_format::lirs},
  {"cs", "lirs/cs.trace.gz", replay::trace_format::lirs},
  {"gli", "lirs/gli.trace.gz", replay::trace_format::lirs},
  {"loop", "lirs/loop.trace.gz", replay::trace_format::lirs},
  {"multi1", "lirs/multi1.trace.gz", replay::trace_format::lirs},
  {"multi2", "lirs/multi2.trace.gz", replay::trace_format::lirs},
  {"multi3", "lirs/multi3.trace.gz", replay::trace_format::lirs},
  {"ps", "lirs/ps.trace.gz", replay::trace_format::lirs},
  {"scan", "lirs/scan.trace.gz", replay::trace_format::lirs},
  {"sprite", "lirs/sprite.trace.gz", replay::trace_format::lirs},
  {"zigzag", "lirs/zigzag.trace.gz", replay::trace_format::lirs},
  {"web07", "web07.trace.xz", replay::trace_format::int32be},
};

/// gli's published LRU hit ratios (%) at 250..2000 entries (../shared/data/README.md).
const std::vector<std::string> gli_published_hit_percent = {"0.91",  "0.95",  "1.15",  "11.21",
                                                            "21.25", "36.56", "45.04", "57.41"};

constexpr double entry_fractions[] = {0.10, 0.25, 0.50, 0.75};

std::vector<std::string> results; ///< RESULT lines, printed after every table

/// The worst predictive / lru miss ratio seen on any trace and capacity, and where.
struct versus_lru {
  double worst_ratio = 0;
  double worst_difference = -1; ///< predictive - lru, absolute
  std::string where;
  void add(const std::string& at, double lru, double predictive) {
    const double ratio = lru > 0 ? predictive / lru : (predictive > 0 ? 2.0 : 1.0);
    if (ratio > worst_ratio) {
      worst_ratio = ratio;
      where = at;
    }
    worst_difference = std::max(worst_difference, predictive - lru);
  }
};
versus_lru against_lru;
versus_lru tinylfu_against_lru; ///< likewise for predictive-tinylfu

void result(const std::string& name, double value) {
  char line[160];
  std::snprintf(line, sizeof line, "RESULT replay.%s %.6f", name.c_str(), value);
  results.emplace_back(line);
}

std::uint64_t distinct_keys(const std::string& path, replay::trace_format format) {
  std::unordered_set<std::uint64_t> keys;
  auto reader = replay::open_trace(path, format);
  replay::request r;
  while (reader->next(r))
    keys.insert(r.key);
  return keys.size();
}

std::vector<replay::capacity> entries(const std::vector<std::uint64_t>& counts) {
  std::vector<replay::capacity> out;
  for (auto n : counts)
    out.push_back(*replay::parse_capacity(std::to_string(n) + "entries"));
  return out;
}

std::string hit_percent(const replay::replay_counts& c) {
  char text[32];
  std::snprintf(text, sizeof text, "%.2f", 100.0 * static_cast<double>(c.requests - c.misses) / c.requests);
  return text;
}

struct cloudphysics_outcome {
  bool exact = true;                ///< every miss count equals the published LRU's
  std::vector<double> miss_ratios;  ///< lru at 128..1024 MiB
  std::vector<double> predictive;   ///< predictive at 128..1024 MiB
  double versus_arc = 0;            ///< max over the capacities of predictive / ARC
  double versus_s3fifo = 0;         ///< likewise against S3-FIFO
  double tinylfu_versus_arc = 0;    ///< likewise for predictive-tinylfu
  double tinylfu_versus_s3fifo = 0;
};

cloudphysics_outcome cloudphysics(const std::map<std::string, published_algorithm>& published) {
  std::vector<replay::capacity> sizes;
  for (int mib = 128; mib <= 1024; mib += 128)
    sizes.push_back(*replay::parse_capacity(std::to_string(mib) + "MiB"));
  const std::string path = data_dir + "/traces/cloudPhysicsIO.oracleGeneral.bin";
  const auto run = replay::replay_trace(path, replay::trace_format::oracle_general, sizes, "lru");
  const auto predicted = replay::replay_trace(path, replay::trace_format::oracle_general, sizes, "predictive");
  const auto tinylfu = replay::replay_trace(path, replay::trace_format::oracle_general, sizes, "predictive-tinylfu");
  const auto& lru = published.at("LRU");
  const auto& arc = published.at("ARC");
  const auto& s3fifo = published.at("S3FIFO");
  std::printf("cloudPhysicsIO (oracle-general, byte capacities, object sizes honoured): %llu requests, "
              "lru %.2f s, predictive %.2f s\n",
              static_cast<unsigned long long>(run.results.front().counts.requests), run.seconds, predicted.seconds);
  std::printf("  %5s  %9s %7s %10s %7s %9s  | published: %7s %7s %7s %7s %7s\n", "MiB", "ours lru", "misses",
              "predictive", "misses", "tinylfu", "LRU", "misses", "ARC", "LIRS", "S3FIFO");
  cloudphysics_outcome out;
  for (std::size_t i = 0; i < run.results.size(); ++i) {
    const auto& c = run.results[i].counts;
    const auto& p = predicted.results[i].counts;
    const double a = tinylfu.results[i].counts.miss_ratio();
    out.exact = out.exact && c.misses == lru.misses.at(i);
    out.miss_ratios.push_back(c.miss_ratio());
    out.predictive.push_back(p.miss_ratio());
    out.versus_arc = std::max(out.versus_arc, p.miss_ratio() / arc.miss_ratios.at(i));
    out.versus_s3fifo = std::max(out.versus_s3fifo, p.miss_ratio() / s3fifo.miss_ratios.at(i));
    out.tinylfu_versus_arc = std::max(out.tinylfu_versus_arc, a / arc.miss_ratios.at(i));
    out.tinylfu_versus_s3fifo = std::max(out.tinylfu_versus_s3fifo, a / s3fifo.miss_ratios.at(i));
    against_lru.add("cloudPhysicsIO " + std::to_string(128 * (i + 1)) + "MiB", c.miss_ratio(), p.miss_ratio());
    tinylfu_against_lru.add("cloudPhysicsIO " + std::to_string(128 * (i + 1)) + "MiB", c.miss_ratio(), a);
    std::printf("  %5d  %9.4f %7llu %10.4f %7llu %9.4f  |            %7.4f %7llu %7.4f %7.4f %7.4f%s\n",
                static_cast<int>(128 * (i + 1)), c.miss_ratio(), static_cast<unsigned long long>(c.misses),
                p.miss_ratio(), static_cast<unsigned long long>(p.misses), a, lru.miss_ratios.at(i),
                static_cast<unsigned long long>(lru.misses.at(i)), arc.miss_ratios.at(i),
                published.at("LIRS").miss_ratios.at(i), s3fifo.miss_ratios.at(i),
                p.miss_ratio() < std::min(arc.miss_ratios.at(i), s3fifo.miss_ratios.at(i)) ? ""
                                                                                        : "  (predictive not below ARC and S3-FIFO)");
  }
  std::printf("  our LRU miss counts %s the published LRU's\n", out.exact ? "equal" : "DIFFER FROM");
  return out;
}

/// gli at its published capacities; returns whether every hit ratio rounds to the published one.
bool gli() {
  std::vector<std::uint64_t> counts;
  for (int n = 250; n <= 2000; n += 250)
    counts.push_back(n);
  const std::string path = data_dir + "/traces/lirs/gli.trace.gz";
  const auto run = replay::replay_trace(path, replay::trace_format::lirs, entries(counts), "lru");
  const auto predicted = replay::replay_trace(path, replay::trace_format::lirs, entries(counts), "predictive");
  std::printf("gli at the published capacities: %llu requests, lru %.2f s, predictive %.2f s\n",
              static_cast<unsigned long long>(run.results.front().counts.requests), run.seconds, predicted.seconds);
  std::printf("  %7s  %9s %12s %10s  | published LRU hit %%\n", "entries", "ours lru", "ours hit %", "predictive");
  bool exact = true;
  for (std::size_t i = 0; i < run.results.size(); ++i) {
    const auto& c = run.results[i].counts;
    const auto& p = predicted.results[i].counts;
    exact = exact && hit_percent(c) == gli_published_hit_percent[i];
    against_lru.add("gli " + std::to_string(counts[i]) + " entries", c.miss_ratio(), p.miss_ratio());
    std::printf("  %7llu  %9.4f %12s %10.4f  | %s\n", static_cast<unsigned long long>(counts[i]), c.miss_ratio(),
                hit_percent(c).c_str(), p.miss_ratio(), gli_published_hit_percent[i].c_str());
    result("gli_predictive_miss_ratio_" + std::to_string(counts[i]) + "entries", p.miss_ratio());
  }
  return exact;
}

void entry_trace_table(const entry_trace& t) {
  const std::string path = data_dir + "/traces/" + t.file;
  const std::uint64_t keys = distinct_keys(path, t.format);
  std::vector<std::uint64_t> counts;
  for (double f : entry_fractions)
    counts.push_back(std::max<std::uint64_t>(1, static_cast<std::uint64_t>(f * static_cast<double>(keys))));
  const auto run = replay::replay_trace(path, t.format, entries(counts), "lru");
  const auto predicted = replay::replay_trace(path, t.format, entries(counts), "predictive");
  const auto tinylfu = replay::replay_trace(path, t.format, entries(counts), "predictive-tinylfu");
  std::printf("  %-8s %8llu %6llu ", t.name, static_cast<unsigned long long>(run.results.front().counts.requests),
              static_cast<unsigned long long>(keys));
  for (std::size_t i = 0; i < run.results.size(); ++i) {
    const double lru = run.results[i].counts.miss_ratio();
    const double p = predicted.results[i].counts.miss_ratio();
    const double a = tinylfu.results[i].counts.miss_ratio();
    std::printf(" %6llu:%.4f/%.4f/%.4f", static_cast<unsigned long long>(counts[i]), lru, p, a);
    against_lru.add(std::string(t.name) + " " + std::to_string(counts[i]) + " entries", lru, p);
    tinylfu_against_lru.add(std::string(t.name) + " " + std::to_string(counts[i]) + " entries", lru, a);
    result(std::string(t.name) + "_miss_ratio_" + std::to_string(counts[i]) + "entries", lru);
    result(std::string(t.name) + "_predictive_miss_ratio_" + std::to_string(counts[i]) + "entries", p);
  }
  std::printf("  %5.2f s\n", run.seconds + predicted.seconds + tinylfu.seconds);
}

} // namespace

int run_replay() {
  try {
    const auto published = read_published_figures(data_dir + "/traces/cloudPhysicsIO.expected_miss_ratios.txt");
    std::printf("replay: the predictive layer (shards 1) on the shared traces (%s), policy lru (exact) and "
                "predictive (the layer's defaults: following a GreedyDual-Size or a W-TinyLFU shadow; prefetch off: demand "
                "caching only), and predictive-tinylfu (W-TinyLFU alone)\n\n",
                data_dir.c_str());
    const auto cloud = cloudphysics(published);
    std::printf("\n");
    const bool gli_exact = gli();
    std::printf("\nentry capacities at 10, 25, 50 and 75 %% of each trace's distinct keys "
                "(capacity:lru/predictive/tinylfu miss ratio)\n");
    std::printf("  %-8s %8s %6s  %s\n", "trace", "requests", "keys", "capacity:lru/predictive/tinylfu ...");
    for (const auto& t : entry_traces)
      entry_trace_table(t);
    std::printf("\n");
    std::printf("predictive / lru miss ratio at worst: %.4f (%s); largest absolute difference %+.4f\n\n",
                against_lru.worst_ratio, against_lru.where.c_str(), against_lru.worst_difference);
    std::printf("tinylfu (adaptive_window: false) / lru at worst: %.4f (%s); largest absolute difference %+.4f\n\n",
                tinylfu_against_lru.worst_ratio, tinylfu_against_lru.where.c_str(),
                tinylfu_against_lru.worst_difference);
    for (const auto& line : results)
      std::printf("%s\n", line.c_str());
    std::printf("RESULT replay.gli_lru_exact %d\n", gli_exact ? 1 : 0);
    std::printf("RESULT replay.cloudphysics_lru_exact %d\n", cloud.exact ? 1 : 0);
    for (std::size_t i = 0; i < cloud.miss_ratios.size(); ++i)
      std::printf("RESULT replay.cloudphysics_miss_ratio_%d %.6f\n", static_cast<int>(128 * (i + 1)),
                  cloud.miss_ratios[i]);
    for (std::size_t i = 0; i < cloud.predictive.size(); ++i)
      std::printf("RESULT replay.cloudphysics_predictive_miss_ratio_%d %.6f\n", static_cast<int>(128 * (i + 1)),
                  cloud.predictive[i]);
    // Targets met when <= 1.0 (below ARC and S3-FIFO: strictly, the ratio is then < 1) and <= 1.01.
    std::printf("RESULT replay.predictive_vs_arc_cloudphysics_max %.6f\n", cloud.versus_arc);
    std::printf("RESULT replay.predictive_vs_s3fifo_cloudphysics_max %.6f\n", cloud.versus_s3fifo);
    std::printf("RESULT replay.predictive_minus_lru_max %.6f\n", against_lru.worst_difference);
    std::printf("RESULT replay.predictive_vs_lru_max %.6f\n", against_lru.worst_ratio);
    std::printf("RESULT replay.predictive_tinylfu_vs_arc_cloudphysics_max %.6f\n", cloud.tinylfu_versus_arc);
    std::printf("RESULT replay.predictive_tinylfu_vs_s3fifo_cloudphysics_max %.6f\n", cloud.tinylfu_versus_s3fifo);
    std::printf("RESULT replay.predictive_tinylfu_vs_lru_max %.6f\n", tinylfu_against_lru.worst_ratio);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "strata-bench replay: %s\n", e.what());
    return 1;
  }
  return 0;
}

} // namespace strata::bench
