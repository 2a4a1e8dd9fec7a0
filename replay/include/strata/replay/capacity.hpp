#pragma once
/// @file capacity.hpp
/// How big the replayed cache is: a number of bytes (object sizes honoured) or of entries.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strata::replay {

struct capacity {
  enum class unit { bytes, entries };

  unit kind = unit::bytes;
  std::uint64_t amount = 0; ///< at least 1
  std::string text;         ///< as the user wrote it, for labels: `128MiB`, `1000entries`

  bool operator==(const capacity& other) const noexcept { return kind == other.kind && amount == other.amount; }
};

/// `N` followed by `entries`, or a size: a plain number of bytes, or one with B, KB (or kB), MB,
/// GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers of 1024: 1MiB = 1048576 bytes). Zero, a
/// sign, a fraction of an entry or of a byte, or anything else: nullopt.
std::optional<capacity> parse_capacity(std::string_view text);

} // namespace strata::replay
