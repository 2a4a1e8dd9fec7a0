#pragma once
/// @file layer_replay.hpp
/// Replaying requests through one layer, counting what missed.

#include <strata/replay/trace_reader.hpp>

#include <strata/layer.hpp>

#include <cstdint>

namespace strata::replay {

/// What one replay counted.
struct replay_counts {
  std::uint64_t requests = 0;
  std::uint64_t misses = 0;
  std::uint64_t bytes = 0;        ///< sizes of every request
  std::uint64_t missed_bytes = 0; ///< sizes of the requests that missed
  std::uint64_t not_admitted = 0; ///< misses whose put the layer refused (larger than the capacity)

  double miss_ratio() const noexcept { return requests == 0 ? 0.0 : static_cast<double>(misses) / requests; }
  double byte_miss_ratio() const noexcept {
    return bytes == 0 ? 0.0 : static_cast<double>(missed_bytes) / bytes;
  }
};

/// Replays requests through a layer as libCacheSim replays them through a cache: a `get`; on a
/// miss, a `put` of the key with `cost` = the request's size, which charges the size against the
/// layer's byte bound. A put the layer refuses (`rejected`: an object larger than the whole
/// capacity) is a miss that stores nothing, so such an object misses every time, as in libCacheSim.
/// A hit changes nothing but what the layer's get does (an LRU makes the entry most recent); in
/// particular a hit whose request gives another size keeps the cached size, as libCacheSim does.
class layer_replay {
public:
  /// `target` must outlive this object.
  explicit layer_replay(layer& target) : target_(target) {}

  /// Replays one request. Throws std::runtime_error when the layer answers what a cache may not
  /// (an error status), naming the key and the status.
  void access(const request& r);

  const replay_counts& counts() const noexcept { return counts_; }

private:
  layer& target_;
  replay_counts counts_;
  layer_hit hit_;          ///< reused: a hit allocates nothing once it has grown
  entry_options options_;
  char key_[20] = {};      ///< the key in decimal, which the largest 64-bit number fills
};

} // namespace strata::replay
