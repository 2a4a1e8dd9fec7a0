#pragma once
// The database's clock, read off this host's: the instances of one table write and compare expiry
// times by it, so that hosts whose clocks differ agree on when an entry expires, and on what their
// maintenance purges (audit: a node 30 s ahead never saw an entry of 20 s written by another, and
// purged the others' rows 30 s early).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>

namespace strata::global {

class database_clock {
public:
  /// A reading whose round trip took longer than this is not taken: the database's clock was read
  /// at some point within it, which bounds the error by half of it.
  static constexpr std::chrono::milliseconds max_round_trip{500};

  /// Microseconds since the Unix epoch by the database's clock: this host's wall clock and the
  /// offset last measured (none until one is: this host's clock).
  std::int64_t now_us() const noexcept;

  /// Reads the database's clock with `read_database_us` between two reads of this host's, and
  /// takes the offset from their midpoint, unless the round trip took longer than
  /// `max_round_trip`. What `read_database_us` throws goes through, and the offset stays.
  void measure(const std::function<std::int64_t()>& read_database_us);

  /// The offset taken last: the database's clock minus this host's, in microseconds.
  std::int64_t offset_us() const noexcept { return offset_us_.load(std::memory_order_relaxed); }

private:
  std::atomic<std::int64_t> offset_us_{0};
};

} // namespace strata::global
