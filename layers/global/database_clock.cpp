#include "database_clock.hpp"

#include "sync_message.hpp"

namespace strata::global {

std::int64_t database_clock::now_us() const noexcept { return wall_clock_us() + offset_us(); }

void database_clock::measure(const std::function<std::int64_t()>& read_database_us) {
  const auto sent = std::chrono::steady_clock::now();
  const auto before_us = wall_clock_us();
  const auto database_us = read_database_us();
  const auto after_us = wall_clock_us();
  if (std::chrono::steady_clock::now() - sent > max_round_trip)
    return;
  offset_us_.store(database_us - (before_us + (after_us - before_us) / 2), std::memory_order_relaxed);
}

} // namespace strata::global
