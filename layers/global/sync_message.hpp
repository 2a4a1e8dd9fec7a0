#pragma once
// What one instance tells the others when it changes the shared table: a NOTIFY payload, JSON.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace strata::global {

struct change {
  std::string origin;      ///< the instance that made it; it ignores its own
  bool tag = false;        ///< `what` is a tag (else a key)
  std::string ns;
  std::string what;
  std::int64_t sent_us = 0; ///< wall clock of the sender, for the sync latency
};

/// PostgreSQL refuses payloads of 8000 bytes and more.
inline constexpr std::size_t max_payload = 7999;

std::string encode(const change& c);
/// Nothing for a payload that is not one of ours.
std::optional<change> decode(std::string_view payload);

std::int64_t wall_clock_us();

} // namespace strata::global
