#pragma once
/// @file units.hpp
/// Parsing of the value types a configuration uses (sizes, durations, booleans, numbers).
/// Header-only, so that plugins need not link against the framework.

#include <chrono>
#include <cmath>
#include <cstdint>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

namespace strata::units {

/// The longest duration a setting, and a TTL, may be: 106481 days (~291.5 years), near the limit of
/// a signed 64-bit count of nanoseconds (~292 years), to which the clock's now is added. Messages
/// name it in days.
inline constexpr std::int64_t max_duration_days = 106481;
inline constexpr std::chrono::nanoseconds max_duration{max_duration_days * 86400 * 1'000'000'000};
/// `max_duration` in milliseconds, the unit of a TTL: 9199958400000.
inline constexpr std::chrono::milliseconds max_ttl = std::chrono::duration_cast<std::chrono::milliseconds>(max_duration);

namespace detail {
/// Whether `text` begins as a decimal number does: an optional sign, then a digit or a point. What
/// strtoll and strtod also skip or read (leading blanks, 0x10, 0x1p-4) is refused, as a size is.
inline bool decimal_start(std::string_view text) {
  const std::size_t i = !text.empty() && (text[0] == '-' || text[0] == '+') ? 1 : 0;
  return i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.') &&
         text.find_first_of("xX") == std::string_view::npos;
}
} // namespace detail

/// Parses a signed decimal integer; the whole text must be consumed.
inline std::optional<std::int64_t> parse_int(std::string_view text) {
  std::string s(text);
  if (!detail::decimal_start(s)) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(s.c_str(), &end, 10);
  if (errno != 0 || end != s.c_str() + s.size()) return std::nullopt;
  return static_cast<std::int64_t>(v);
}

/// Parses a finite decimal floating-point number; the whole text must be consumed.
inline std::optional<double> parse_double(std::string_view text) {
  std::string s(text);
  if (!detail::decimal_start(s)) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(s.c_str(), &end);
  if (errno != 0 || end != s.c_str() + s.size() || !std::isfinite(v)) return std::nullopt;
  return v;
}

/// What `parse_bool` accepts, for "expected ..." messages.
inline constexpr const char* bool_spellings =
  "true, yes or on, or false, no or off, each in lower case, capitalised or upper case (True, TRUE)";

namespace detail {
/// Whether `text` is `word` (given in lower case) in one of the cases YAML 1.1 writes it in:
/// `word`, `Word` or `WORD`.
inline bool spelt_as(std::string_view text, std::string_view word) {
  if (text.size() != word.size()) return false;
  bool lower = true, capitalised = true, upper = true;
  for (std::size_t i = 0; i < word.size(); ++i) {
    const char up = static_cast<char>(std::toupper(static_cast<unsigned char>(word[i])));
    lower = lower && text[i] == word[i];
    capitalised = capitalised && text[i] == (i == 0 ? up : word[i]);
    upper = upper && text[i] == up;
  }
  return lower || capitalised || upper;
}
} // namespace detail

/// Parses `true`/`false`, also yes/no and on/off, as YAML 1.1 does: each in lower case,
/// capitalised or upper case (a case mixed otherwise, such as `tRUE`, is no word); not its `y`/`n`,
/// nor `1`/`0`.
inline std::optional<bool> parse_bool(std::string_view text) {
  for (const char* word : {"true", "yes", "on"})
    if (detail::spelt_as(text, word)) return true;
  for (const char* word : {"false", "no", "off"})
    if (detail::spelt_as(text, word)) return false;
  return std::nullopt;
}

namespace detail {
/// Splits "64MiB" into 64 and "MiB"; the number may have a fraction ("1.5GiB").
inline bool split_number(std::string_view text, double& number, std::string_view& unit) {
  std::size_t i = 0;
  while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.')) ++i;
  if (i == 0) return false;
  auto n = parse_double(text.substr(0, i));
  if (!n || *n < 0) return false;
  number = *n;
  unit = text.substr(i);
  while (!unit.empty() && unit.front() == ' ') unit.remove_prefix(1);
  return true;
}
} // namespace detail

/// Parses a size in bytes: a plain number, or one with B, KB, MB, GB, TB (powers of 1000) or
/// KiB, MiB, GiB, TiB (powers of 1024).
inline std::optional<std::uint64_t> parse_size(std::string_view text) {
  double n = 0;
  std::string_view unit;
  if (!detail::split_number(text, n, unit)) return std::nullopt;
  double mult = 0;
  if (unit.empty() || unit == "B") {
    // Bytes are whole, and exact beyond a double's 2^53.
    const auto digits = text.substr(0, text.size() - unit.size());
    const auto whole = parse_int(digits.substr(0, digits.find_last_not_of(' ') + 1));
    if (!whole || *whole < 0) return std::nullopt;
    return static_cast<std::uint64_t>(*whole);
  }
  else if (unit == "KB" || unit == "kB") mult = 1e3;
  else if (unit == "MB") mult = 1e6;
  else if (unit == "GB") mult = 1e9;
  else if (unit == "TB") mult = 1e12;
  else if (unit == "KiB") mult = 1024.0;
  else if (unit == "MiB") mult = 1024.0 * 1024;
  else if (unit == "GiB") mult = 1024.0 * 1024 * 1024;
  else if (unit == "TiB") mult = 1024.0 * 1024 * 1024 * 1024;
  else return std::nullopt;
  double bytes = n * mult;
  // 2^63 as a double: the first value past the int64 range (the range's maximum rounds up to it).
  if (bytes >= static_cast<double>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
  return static_cast<std::uint64_t>(std::llround(bytes));
}

/// Parses a duration: a number with ns, us, ms, s, m, h or d ("250ms", "1.5s", "5m").
/// A plain `0` is accepted as zero; any other number needs a unit.
inline std::optional<std::chrono::nanoseconds> parse_duration(std::string_view text) {
  if (text == "0") return std::chrono::nanoseconds{0};
  double n = 0;
  std::string_view unit;
  if (!detail::split_number(text, n, unit)) return std::nullopt;
  double ns_per = 0;
  if (unit == "ns") ns_per = 1;
  else if (unit == "us") ns_per = 1e3;
  else if (unit == "ms") ns_per = 1e6;
  else if (unit == "s") ns_per = 1e9;
  else if (unit == "m") ns_per = 60e9;
  else if (unit == "h") ns_per = 3600e9;
  else if (unit == "d") ns_per = 86400e9;
  else return std::nullopt;
  double total = n * ns_per;
  if (total > static_cast<double>(max_duration.count())) return std::nullopt; // config messages say "at most <days>d"
  return std::chrono::nanoseconds{static_cast<std::int64_t>(std::llround(total))};
}

/// A duration as a configuration writes it, in the largest of h, m, s and ms that divides it
/// ("90s", "2m", "250ms"; "0ms"): what parse_duration reads back unchanged.
inline std::string format_duration(std::chrono::milliseconds duration) {
  const auto ms = duration.count();
  if (ms != 0 && ms % 3600000 == 0) return std::to_string(ms / 3600000) + "h";
  if (ms != 0 && ms % 60000 == 0) return std::to_string(ms / 60000) + "m";
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

/// A network address to listen on.
struct host_port {
  std::string host; ///< a name, an IPv4 address, or an IPv6 address without its brackets
  int port = 0;     ///< 0–65535; 0 lets the kernel choose
};

/// Parses "host:port": "127.0.0.1:8080", "localhost:0", "[::1]:8080". The host is not empty and,
/// unless bracketed, has no ':' (so that "::1:8080" is not silently read as host "::1").
inline std::optional<host_port> parse_host_port(std::string_view text) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string_view host = text.substr(0, colon);
  const std::string_view port = text.substr(colon + 1);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return std::nullopt;
  }
  if (host.find_first_of("[] \t/") != std::string_view::npos) return std::nullopt;
  if (port.empty() || port.size() > 5) return std::nullopt;
  for (char c : port)
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
  const auto number = parse_int(port);
  if (!number || *number > 65535) return std::nullopt;
  return host_port{std::string(host), static_cast<int>(*number)};
}

} // namespace strata::units
