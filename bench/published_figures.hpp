#pragma once
// The published miss ratios of cloudPhysicsIO (libCacheSim's test_evictionAlgo.c), as the shared
// data folder holds them: one line per algorithm,
//   NAME  r1 .. r8 | misses [m1, .., m8]
// at byte capacities 128..1024 MiB in 128 MiB steps.

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace strata::bench {

struct published_algorithm {
  std::vector<double> miss_ratios;     ///< one per capacity
  std::vector<std::uint64_t> misses;   ///< one per capacity
};

/// Algorithm name (`LRU`, `ARC`, `S3FIFO` ...) → its figures. Throws std::runtime_error naming
/// the file and the line when it cannot be read or a line does not have this shape.
std::map<std::string, published_algorithm> read_published_figures(const std::string& path);

} // namespace strata::bench
