#pragma once
// The standard metrics of one layer, registered once; recording is a few relaxed atomic adds.

#include <strata/instruments.hpp>
#include <strata/metrics_registry.hpp>
#include <strata/status.hpp>

#include <array>
#include <chrono>
#include <string>

namespace strata::detail {

enum class operation : std::uint8_t { get, put, erase, invalidate_tag };

class layer_metrics {
public:
  layer_metrics(telemetry::registry& registry, const std::string& layer);

  void record(operation op, status outcome) noexcept {
    requests_[index(op)][static_cast<std::size_t>(outcome)]->inc();
  }
  void record(operation op, status outcome, std::chrono::nanoseconds took) noexcept {
    record(op, outcome);
    durations_[index(op)]->observe(std::chrono::duration<double>(took).count());
  }
  void failed() noexcept { failures_->inc(); healthy_->set(0); }
  void restarted() noexcept { restarts_->inc(); }
  void recovered() noexcept { healthy_->set(1); }

private:
  static constexpr std::size_t operation_count = 4;
  static constexpr std::size_t status_count = 7;
  static std::size_t index(operation op) noexcept { return static_cast<std::size_t>(op); }

  std::array<std::array<instruments::counter*, status_count>, operation_count> requests_{};
  std::array<instruments::histogram*, operation_count> durations_{};
  instruments::counter* failures_;
  instruments::counter* restarts_;
  instruments::gauge* healthy_;
};

} // namespace strata::detail
