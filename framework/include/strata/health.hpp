#pragma once
/// @file health.hpp
/// What `runtime::health` returns: each layer's state, the system checks, and the worst of them.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace strata {

/// Ordered: a report's overall level is the highest of its parts.
enum class health_level { healthy = 0, warning = 1, critical = 2 };

/// "healthy", "warning" or "critical".
inline const char* to_string(health_level level) noexcept {
  switch (level) {
  case health_level::warning: return "warning";
  case health_level::critical: return "critical";
  default: return "healthy";
  }
}

/// "1 entry, 40 bytes", "3 entries, 120 bytes": how the bundled layers say what they hold in their
/// health detail.
inline std::string holding_detail(std::uint64_t entries, std::uint64_t bytes) {
  return std::to_string(entries) + (entries == 1 ? " entry, " : " entries, ") + std::to_string(bytes) +
         (bytes == 1 ? " byte" : " bytes");
}

/// Health of one layer: the worse of what supervision saw and what the layer itself reported.
struct layer_health {
  std::string name;
  health_level level = health_level::healthy;
  /// Why, when not healthy: the layer's own words, or the fault supervision saw.
  std::string detail;
  std::uint64_t failures = 0; ///< exceptions, hangs (nothing answered 5 s past a deadline) and deaths so far
  std::uint64_t restarts = 0; ///< times supervision replaced the instance
  std::string last_error;     ///< the last fault supervision saw, kept after recovery
  bool healthy() const noexcept { return level == health_level::healthy; }
};

/// A check of the process or machine (`rss`, `disk`).
struct system_check {
  std::string name;
  health_level level = health_level::healthy;
  std::string detail;  ///< e.g. "RSS 1.2 GiB of a 2 GiB limit"
  double value = 0;    ///< the measured figure (bytes)
  double limit = 0;    ///< what it is compared with (bytes)
};

struct health_report {
  health_level overall = health_level::healthy;
  std::vector<layer_health> layers; ///< in chain order
  std::vector<system_check> system; ///< only the checks the deployment enables
};

} // namespace strata
