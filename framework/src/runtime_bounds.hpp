#pragma once
// The ranges of the runtime's own integer settings: one table for the YAML parser, which reports
// a value out of range at its position, and for the validation of a configuration built in code.

namespace strata::detail {

struct int_range {
  int min;
  int max;
  bool contains(int v) const noexcept { return v >= min && v <= max; }
};

inline constexpr int_range threads_range{0, 64};        ///< 0: half the cores
inline constexpr int_range loader_threads_range{1, 64};
inline constexpr int_range alert_history_range{1, 1000000};
inline constexpr int_range resp_clients_range{1, 1000000};
inline constexpr int_range resp_threads_range{1, 64};
inline constexpr int_range resp_in_flight_range{1, 1000000};

} // namespace strata::detail
