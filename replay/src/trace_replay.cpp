#include <strata/replay/trace_replay.hpp>

#include <strata/standalone_layer.hpp>

#include <chrono>
#include <limits>
#include <memory>
#include <stdexcept>
#include <string>

namespace strata::replay {

namespace {

/// The bound a capacity does not set: too large to be reached. Bytes: 2^62, since the size parser
/// goes through a double, in which the largest signed 64-bit number would overflow.
const std::string no_entry_bound = std::to_string(std::numeric_limits<std::int64_t>::max());
const std::string no_byte_bound = std::to_string(std::uint64_t{1} << 62);

} // namespace

config lru_deployment(const capacity& c) {
  layer_config layer;
  layer.name = "replay";
  layer.plugin = "predictive";
  const bool bytes = c.kind == capacity::unit::bytes;
  layer.settings = {{"shards", "1"},
                    {"max_bytes", bytes ? std::to_string(c.amount) : no_byte_bound},
                    {"max_entries", bytes ? no_entry_bound : std::to_string(c.amount)}};
  config cfg;
  cfg.origin = "<replay at " + c.text + ">";
  cfg.layers.push_back(std::move(layer));
  return cfg;
}

config policy_deployment(const capacity& c, const std::string& policy) {
  config cfg = lru_deployment(c);
  auto& settings = cfg.layers.front().settings;
  if (policy == "predictive-tinylfu") {
    settings["policy"] = "predictive";
    settings["adaptive_window"] = "false";
  } else {
    settings["policy"] = policy;
  }
  return cfg;
}

trace_replay replay_trace(const std::string& path, trace_format format, const std::vector<capacity>& capacities,
                          const std::string& policy) {
  std::vector<std::unique_ptr<standalone_layer>> layers;
  std::vector<layer_replay> replays;
  layers.reserve(capacities.size());
  replays.reserve(capacities.size());
  trace_replay out;
  for (const auto& c : capacities) {
    auto made = standalone_layer::create(policy_deployment(c, policy));
    if (!made)
      throw std::runtime_error(made.err().message);
    layers.push_back(std::move(*made));
    replays.emplace_back(layers.back()->layer());
  }
  if (!layers.empty())
    out.layer = layers.front()->plugin_name() + " " + layers.front()->plugin_version() + " (" +
                layers.front()->plugin_origin() + ")";

  const auto start = std::chrono::steady_clock::now();
  auto reader = open_trace(path, format);
  request r;
  std::uint64_t requests = 0;
  for (; reader->next(r); ++requests)
    for (auto& replay : replays)
      replay.access(r);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out.skipped = reader->skipped();
  // A miss ratio of 0 over nothing would read as a perfect cache.
  if (requests == 0)
    throw trace_error(path + ": no requests in the trace" +
                      (out.skipped > 0 ? " (" + std::to_string(out.skipped) + " records of size 0 skipped)" : ""));
  for (std::size_t i = 0; i < capacities.size(); ++i)
    out.results.push_back(capacity_result{capacities[i], replays[i].counts()});
  return out;
}

} // namespace strata::replay
