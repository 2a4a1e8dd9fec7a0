#pragma once
/// @file entry.hpp
/// What a cache entry carries besides its key and value, and the per-request options.

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

/// The namespace (tenant) a request uses when it names none. No layer answers across namespaces.
inline constexpr std::string_view default_namespace = "default";

/// Metadata written with a value.
struct entry_options {
  /// Time to live; zero means the entry does not expire. On a hit it is the time that remains.
  std::chrono::milliseconds ttl{0};
  /// Tags, for `invalidate_tag`.
  std::vector<std::string> tags;
  /// When non-zero, what the entry charges against the layer's byte bound instead of its measured
  /// size (as a weigher does: the cost of a large object, or of a slow recomputation).
  std::uint64_t cost = 0;
};

/// When an entry given `ttl` (> 0) at `now` expires, in `now`'s clock and unit: `now + ttl`, or the
/// clock's last time when that is beyond it, so that a TTL of centuries never expires rather than
/// wrapping into the past (a steady clock in nanoseconds holds ~292 years).
template <class Clock, class Duration>
std::chrono::time_point<Clock, Duration> expiry_after(std::chrono::time_point<Clock, Duration> now,
                                                      std::chrono::milliseconds ttl) noexcept {
  using time_point = std::chrono::time_point<Clock, Duration>;
  const time_point from = std::max(now, time_point{}); // before the epoch, the room is no less
  const auto room = std::chrono::duration_cast<std::chrono::milliseconds>(time_point::max() - from);
  return ttl >= room ? time_point::max() : now + std::chrono::duration_cast<Duration>(ttl);
}

/// Options every request takes.
struct request_options {
  /// The namespace (tenant) of the request; an empty one is `invalid` (no entry can have it).
  std::string ns{default_namespace};
};

/// When a put writes. A conditional put looks the key up through the chain (never the loader) and
/// writes in the same step: no other write to that key comes between the check and the write.
enum class put_condition : std::uint8_t {
  always,     ///< write whatever is there
  if_absent,  ///< only when no layer holds a live entry for the key; otherwise the put answers `rejected`
  if_present, ///< only when some layer holds a live entry for the key; otherwise the put answers `not_found`
};

/// Options of a put: the namespace, the entry's metadata and the condition.
struct put_options : request_options, entry_options {
  put_condition condition = put_condition::always;
};

} // namespace strata
