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
  /// When the database logged the change (its own clock; 0: not said, a sender before schema 2):
  /// how far the listener has heard, so that it knows what to replay after a lost connection.
  std::int64_t logged_us = 0;
  /// Not a change: a listener's mark, sent to its own channel so that hearing it proves the
  /// listening connection delivered all that committed before (`logged_us`); no ns, no what.
  bool mark = false;
};

/// PostgreSQL refuses payloads of 8000 bytes and more.
inline constexpr std::size_t max_payload = 7999;

std::string encode(const change& c);
/// `encode(c)` without `logged_us` and open at its end, so that the database appends the time it
/// logs the change and the closing brace (`logged_payload_room` more bytes at most).
std::string encode_head(const change& c);
inline constexpr std::size_t logged_payload_room = 19 + 1; // the digits of an int64, and '}'

/// Nothing for a payload that is not one of ours.
std::optional<change> decode(std::string_view payload);

std::int64_t wall_clock_us();

} // namespace strata::global
