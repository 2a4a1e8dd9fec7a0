#pragma once
/// @file trace_replay.hpp
/// A whole trace replayed through the real predictive layer, loaded from its plugin by the
/// runtime's own loader, at one or more capacities in a single pass over the trace.

#include <strata/replay/capacity.hpp>
#include <strata/replay/layer_replay.hpp>
#include <strata/replay/trace_reader.hpp>

#include <strata/config.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace strata::replay {

/// The deployment replayed at capacity `c`: one layer of the `predictive` plugin, one shard (an
/// exact global LRU), bounded by the capacity alone: `max_bytes` = the bytes and no entry bound,
/// or `max_entries` = the entries and no byte bound. Plugins are found on the default path.
config lru_deployment(const capacity& c);

/// As `lru_deployment`, with the layer's `policy` set to `policy` (`lru` or `predictive`, with
/// the plugin's defaults; `predictive-tinylfu` is `predictive` with `adaptive_window: false`) and
/// the prefetch off (the plugin's default): a replay measures demand caching, where a prefetch
/// would load for free.
config policy_deployment(const capacity& c, const std::string& policy);

/// What one capacity counted.
struct capacity_result {
  capacity size;
  replay_counts counts;
};

/// What replaying one trace found.
struct trace_replay {
  std::vector<capacity_result> results; ///< in the order the capacities were given
  std::uint64_t skipped = 0;            ///< records the reader skipped (see trace_reader::skipped)
  std::string layer;                    ///< the plugin replayed: "predictive 0.1.0 (FILE)"
  double seconds = 0;                   ///< wall time of the pass, reading and decompressing included
};

/// Reads the trace at `path` once and replays every request through one layer per capacity, each
/// built by `strata::standalone_layer` from `lru_deployment`. Throws trace_error on unreadable or
/// malformed input or a trace without requests, std::runtime_error when a layer cannot be built
/// or answers with an error.
trace_replay replay_trace(const std::string& path, trace_format format, const std::vector<capacity>& capacities,
                          const std::string& policy = "lru");

} // namespace strata::replay
