#pragma once
// The ranges and choices of the runtime's own settings: one table for the YAML parser, which
// reports a value out of range at its position, and for the validation of a configuration built
// in code.

#include <algorithm>
#include <array>
#include <cctype>
#include <cstddef>
#include <string>

namespace strata::detail {

inline constexpr std::array<const char*, 5> log_levels{"debug", "info", "warn", "error", "off"};
inline constexpr std::array<const char*, 4> alert_comparisons{"<", "<=", ">", ">="};

template <std::size_t N>
bool is_one_of(const std::array<const char*, N>& choices, const std::string& value) {
  for (const char* c : choices)
    if (value == c)
      return true;
  return false;
}

/// A name a deployment gives a layer or an instance, or a plugin declares: letters, digits, '_'
/// and '-' (label values, parts of file names and URL segments). Empty is not one.
inline bool plain_name(const std::string& name) {
  return !name.empty() && std::all_of(name.begin(), name.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '_' || c == '-';
  });
}

/// What a listening address must be, as an error says it; `port` is the example's.
inline std::string expected_address(const std::string& port) {
  return "host:port such as 127.0.0.1:" + port + " or [::1]:" + port + " (port 0: any free port)";
}

struct int_range {
  int min;
  int max;
};

inline constexpr int_range threads_range{0, 64};        ///< 0: half the cores, at least two
inline constexpr int_range loader_threads_range{1, 64};
inline constexpr int_range alert_history_range{1, 1000000};
inline constexpr int_range resp_clients_range{1, 1000000};
inline constexpr int_range resp_threads_range{1, 64};
inline constexpr int_range resp_in_flight_range{1, 1000000};

} // namespace strata::detail
