#pragma once
/// @file frequency_sketch.hpp
/// How often each key was seen lately, approximately, in 4-bit counters: a count-min sketch with
/// periodic aging (TinyLFU) and an optional doorkeeper. What the predictive policy's admission
/// compares: a key seen once does not displace a key seen often.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace strata::predictive {

/// A count-min sketch of depth 4 with 4-bit counters, sixteen to a 64-bit word, as Caffeine's
/// FrequencySketch. After `10 × capacity` increments every counter is halved (aging), so the
/// estimate follows what is popular now. With a doorkeeper (a Bloom filter cleared at each
/// aging), a key's first sighting only sets its doorkeeper bits: one-hit wonders never reach the
/// counters, and the counters' resolution goes to keys seen twice or more.
///
/// Not thread-safe: its owner (one store shard) guards it.
class frequency_sketch {
public:
  /// Estimates stay good for about `capacity` distinct hot keys; `ensure_capacity` grows it.
  explicit frequency_sketch(std::size_t capacity, bool doorkeeper);

  /// Makes room for `capacity` keys when it has less; a resize forgets every count.
  void ensure_capacity(std::size_t capacity);

  /// Counts one sighting of the key with hash `hash`.
  void increment(std::uint64_t hash) noexcept;

  /// The key's estimated recent frequency, 0..15 (16 with the doorkeeper).
  unsigned frequency(std::uint64_t hash) const noexcept;

  /// The keys it is sized for (a power of two): it ages every `10 × capacity` increments.
  std::size_t capacity() const noexcept { return capacity_; }
  /// How many times every counter was halved.
  std::uint64_t agings() const noexcept { return agings_; }

private:
  static std::uint64_t spread(std::uint64_t hash) noexcept;
  std::size_t index_of(std::uint64_t item, unsigned row) const noexcept;
  bool increment_at(std::size_t word, unsigned counter) noexcept;
  bool doorkeeper_check_and_set(std::uint64_t item) noexcept;
  bool doorkeeper_contains(std::uint64_t item) const noexcept;
  void age() noexcept;

  std::vector<std::uint64_t> table_;
  std::vector<std::uint64_t> doorkeeper_; ///< empty: no doorkeeper
  std::size_t mask_ = 0;
  std::size_t capacity_ = 0;
  std::uint64_t sample_size_ = 0;
  std::uint64_t additions_ = 0;
  std::uint64_t agings_ = 0;
  bool use_doorkeeper_;
};

} // namespace strata::predictive
