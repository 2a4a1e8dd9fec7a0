#include "frequency_sketch.hpp"

#include <algorithm>

namespace strata::predictive {

namespace {

/// Caffeine's seeds: one odd multiplier per row, so that each row indexes differently.
constexpr std::uint64_t seeds[4] = {0xc3a5c85c97cb3127ull, 0xb492b66fbe98f273ull, 0x9ae16a3b2f90404full,
                                    0xcbf29ce484222325ull};

constexpr std::uint64_t reset_mask = 0x7777777777777777ull; ///< clears each counter's top bit after >> 1
constexpr std::uint64_t one_mask = 0x1111111111111111ull;

std::size_t power_of_two_at_least(std::size_t n) {
  std::size_t p = 8;
  while (p < n)
    p <<= 1;
  return p;
}

} // namespace

frequency_sketch::frequency_sketch(std::size_t capacity, bool doorkeeper) : use_doorkeeper_(doorkeeper) {
  ensure_capacity(std::max<std::size_t>(capacity, 1));
}

void frequency_sketch::ensure_capacity(std::size_t capacity) {
  const std::size_t size = power_of_two_at_least(capacity);
  if (size <= table_.size())
    return;
  // Every count is forgotten, as in Caffeine: a key's counters move with the table's size.
  table_.assign(size, 0);
  if (use_doorkeeper_)
    doorkeeper_.assign(size, 0); // 64 bits per word of the sketch
  capacity_ = size;
  mask_ = size - 1;
  sample_size_ = 10 * static_cast<std::uint64_t>(size);
  additions_ = 0;
}

std::uint64_t frequency_sketch::spread(std::uint64_t x) noexcept {
  // A 64-bit finaliser (splitmix64): the caller's hash may be weak in the low bits.
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

std::size_t frequency_sketch::index_of(std::uint64_t item, unsigned row) const noexcept {
  std::uint64_t h = (item + seeds[row]) * seeds[row];
  h += h >> 32;
  return static_cast<std::size_t>(h) & mask_;
}

bool frequency_sketch::increment_at(std::size_t word, unsigned counter) noexcept {
  const unsigned shift = counter << 2;
  const std::uint64_t mask = 0xfull << shift;
  if ((table_[word] & mask) == mask)
    return false;
  table_[word] += 1ull << shift;
  return true;
}

bool frequency_sketch::doorkeeper_contains(std::uint64_t item) const noexcept {
  const std::size_t bits = doorkeeper_.size() * 64;
  for (unsigned k = 0; k < 3; ++k) {
    const std::size_t bit = static_cast<std::size_t>((item >> (k * 21)) * seeds[k] >> 20) % bits;
    if ((doorkeeper_[bit / 64] & (1ull << (bit % 64))) == 0)
      return false;
  }
  return true;
}

bool frequency_sketch::doorkeeper_check_and_set(std::uint64_t item) noexcept {
  const std::size_t bits = doorkeeper_.size() * 64;
  bool present = true;
  for (unsigned k = 0; k < 3; ++k) {
    const std::size_t bit = static_cast<std::size_t>((item >> (k * 21)) * seeds[k] >> 20) % bits;
    auto& word = doorkeeper_[bit / 64];
    if ((word & (1ull << (bit % 64))) == 0) {
      present = false;
      word |= 1ull << (bit % 64);
    }
  }
  return present;
}

void frequency_sketch::increment(std::uint64_t hash) noexcept {
  const std::uint64_t item = spread(hash);
  if (use_doorkeeper_ && !doorkeeper_check_and_set(item)) {
    // A first sighting: remembered by the doorkeeper only, but it still ages the sketch.
    if (++additions_ >= sample_size_)
      age();
    return;
  }
  const unsigned start = static_cast<unsigned>(item & 3) << 2;
  bool added = false;
  for (unsigned row = 0; row < 4; ++row)
    added |= increment_at(index_of(item, row), start + row);
  if (added && ++additions_ >= sample_size_)
    age();
}

unsigned frequency_sketch::frequency(std::uint64_t hash) const noexcept {
  const std::uint64_t item = spread(hash);
  const unsigned start = static_cast<unsigned>(item & 3) << 2;
  unsigned frequency = 15;
  for (unsigned row = 0; row < 4; ++row) {
    const unsigned shift = (start + row) << 2;
    frequency = std::min(frequency, static_cast<unsigned>((table_[index_of(item, row)] >> shift) & 0xf));
  }
  if (use_doorkeeper_ && doorkeeper_contains(item))
    ++frequency;
  return frequency;
}

void frequency_sketch::age() noexcept {
  std::uint64_t odd = 0;
  for (auto& word : table_) {
    odd += static_cast<std::uint64_t>(__builtin_popcountll(word & one_mask));
    word = (word >> 1) & reset_mask;
  }
  additions_ = (additions_ - (odd >> 2)) >> 1;
  std::fill(doorkeeper_.begin(), doorkeeper_.end(), 0);
  ++agings_;
}

} // namespace strata::predictive
