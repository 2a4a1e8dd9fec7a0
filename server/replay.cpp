#include "commands.hpp"

#include <strata/replay/trace_replay.hpp>

#include <algorithm>
#include <cstdio>
#include <exception>
#include <string>

namespace strata::server {

namespace {

/// A capacity as a RESULT name suffix: what the user wrote, without blanks.
std::string suffix_of(const replay::capacity& c) {
  std::string out;
  for (char ch : c.text)
    if (ch != ' ')
      out += ch;
  return out;
}

void print_result(const replay::capacity_result& r) {
  const auto& c = r.counts;
  std::printf("capacity %s", r.size.text.c_str());
  if (r.size.kind == replay::capacity::unit::bytes)
    std::printf(" (%llu bytes)", static_cast<unsigned long long>(r.size.amount));
  std::printf(": %llu misses of %llu requests, miss ratio %.6f; %llu of %llu bytes missed, byte miss ratio %.6f",
              static_cast<unsigned long long>(c.misses), static_cast<unsigned long long>(c.requests), c.miss_ratio(),
              static_cast<unsigned long long>(c.missed_bytes), static_cast<unsigned long long>(c.bytes),
              c.byte_miss_ratio());
  if (c.not_admitted > 0)
    std::printf("; %llu not admitted (larger than the capacity)", static_cast<unsigned long long>(c.not_admitted));
  std::printf("\n");
}

} // namespace

int replay_trace(const replay_options& options) {
  const auto format = replay::parse_format(options.format);
  if (!format) {
    std::fprintf(stderr, "strata replay: unknown format '%s' (oracle-general, lirs or int32be)\n",
                 options.format.c_str());
    return 2;
  }
  if (options.trace.empty()) {
    std::fprintf(stderr, "strata replay: --trace names no file (strata replay --help)\n");
    return 2;
  }
  std::vector<std::string> items;
  for (const auto& list : options.capacities) {
    std::size_t from = 0;
    for (;;) {
      const auto comma = list.find(',', from);
      auto item = list.substr(from, comma == std::string::npos ? std::string::npos : comma - from);
      item.erase(0, item.find_first_not_of(' ')); // "1MiB, 2MiB"
      item.erase(item.find_last_not_of(' ') + 1);
      items.push_back(std::move(item));
      if (comma == std::string::npos)
        break;
      from = comma + 1;
    }
  }
  std::vector<replay::capacity> capacities;
  for (const auto& text : items) {
    auto c = replay::parse_capacity(text);
    if (!c) {
      std::fprintf(stderr,
                   "strata replay: capacity '%s' is not N[B|KB|MB|GB|TB|KiB|MiB|GiB|TiB] nor Nentries, with N >= 1 "
                   "and below 2^63 bytes or entries\n",
                   text.c_str());
      return 2;
    }
    // The same capacity twice would replay twice, under two RESULT names or one.
    const auto same = std::find(capacities.begin(), capacities.end(), *c);
    if (same != capacities.end()) {
      std::fprintf(stderr, "strata replay: capacity '%s' is given twice (as '%s' before)\n", text.c_str(),
                   same->text.c_str());
      return 2;
    }
    capacities.push_back(std::move(*c));
  }

  replay::trace_replay outcome;
  try {
    outcome = replay::replay_trace(options.trace, *format, capacities, options.policy);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "strata replay: %s\n", e.what());
    return 1;
  }

  const auto requests = outcome.results.front().counts.requests;
  std::printf("trace %s (%s): %llu requests\n", options.trace.c_str(), options.format.c_str(),
              static_cast<unsigned long long>(requests));
  if (outcome.skipped > 0)
    std::printf("skipped %llu records of size 0, as libCacheSim does\n",
                static_cast<unsigned long long>(outcome.skipped));
  if (options.policy != "lru")
    std::printf("layer %s, shards 1, policy predictive: %s; prefetch off (a replay measures demand caching)\n",
                outcome.layer.c_str(),
                options.policy == "predictive-tinylfu"
                  ? "W-TinyLFU on the access model (adaptive_window false)"
                  : "follows a GreedyDual-Size or a W-TinyLFU shadow, whichever has hit more (adaptive_window)");
  else
    std::printf("layer %s, shards 1: an exact LRU\n", outcome.layer.c_str());
  for (const auto& r : outcome.results)
    print_result(r);
  std::printf("replayed %llu requests at %zu %s in %.3f s\n", static_cast<unsigned long long>(requests),
              outcome.results.size(), outcome.results.size() == 1 ? "capacity" : "capacities", outcome.seconds);
  if (outcome.results.size() == 1) {
    std::printf("RESULT byte_miss_ratio %.6f\n", outcome.results.front().counts.byte_miss_ratio());
    std::printf("RESULT miss_ratio %.6f\n", outcome.results.front().counts.miss_ratio());
  } else {
    // One pair per capacity, named after it, so that no name repeats; the last line is still a
    // miss ratio.
    for (const auto& r : outcome.results) {
      std::printf("RESULT byte_miss_ratio_%s %.6f\n", suffix_of(r.size).c_str(), r.counts.byte_miss_ratio());
      std::printf("RESULT miss_ratio_%s %.6f\n", suffix_of(r.size).c_str(), r.counts.miss_ratio());
    }
  }
  return 0;
}

} // namespace strata::server
