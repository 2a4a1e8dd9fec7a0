#pragma once
/// @file access_log.hpp
/// A bounded lock-free queue of the keys read, in the order they were read: what the read view's
/// threads leave for the access model, which drains it under its own lock. Full, it drops (the
/// model then learns from a sample), so that recording never waits.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace strata::predictive {

/// Dmitry Vyukov's bounded multi-producer multi-consumer queue over fixed-size records, so that a
/// push copies at most `max_key` bytes and never allocates. A key longer than that is recorded
/// as such, without its bytes (the model treats it as a break in the sequence).
class access_log {
public:
  /// Namespace plus key bytes a record carries.
  static constexpr std::size_t max_key = 110;

  /// `capacity` is rounded up to a power of two (at least 2).
  explicit access_log(std::size_t capacity);

  /// Records a read of (ns, key) from any thread; false when the log was full and dropped it.
  bool push(std::string_view ns, std::string_view key) noexcept;

  /// Takes the oldest record; false when empty. `ns_out`/`key_out` empty with `too_long` set for
  /// a key that did not fit.
  bool pop(std::string& ns_out, std::string& key_out, bool& too_long);

  std::uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }

private:
  struct alignas(64) cell {
    std::atomic<std::size_t> sequence{0};
    std::uint8_t ns_size = 0;
    std::uint8_t key_size = 0;
    bool too_long = false;
    std::array<char, max_key> bytes{};
  };

  std::unique_ptr<cell[]> cells_;
  std::size_t mask_;
  alignas(64) std::atomic<std::size_t> enqueue_{0};
  alignas(64) std::atomic<std::size_t> dequeue_{0};
  std::atomic<std::uint64_t> dropped_{0};
};

} // namespace strata::predictive
