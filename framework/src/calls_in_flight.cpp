#include "calls_in_flight.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <utility>

namespace strata::detail {

namespace {

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
    .count();
}

} // namespace

void calls_in_flight::record::begin(const char* what) noexcept {
  what_.store(what, std::memory_order_relaxed);
  since_ns_.store(steady_ns(), std::memory_order_release);
}

std::shared_ptr<calls_in_flight::record> calls_in_flight::enter(std::string owner) {
  auto r = std::make_shared<record>(std::move(owner));
  std::lock_guard<std::mutex> guard(mutex_);
  records_.erase(std::remove_if(records_.begin(), records_.end(), [](const auto& w) { return w.expired(); }),
                 records_.end());
  records_.push_back(r);
  return r;
}

std::vector<std::string> calls_in_flight::describe() const {
  std::vector<std::pair<std::int64_t, std::string>> calls;
  {
    std::lock_guard<std::mutex> guard(mutex_);
    const auto now = steady_ns();
    for (const auto& w : records_) {
      const auto r = w.lock();
      if (!r)
        continue;
      const auto since = r->since_ns_.load(std::memory_order_acquire);
      if (since == 0)
        continue;
      char seconds[32];
      std::snprintf(seconds, sizeof seconds, "%.1f", static_cast<double>(now - since) / 1e9);
      calls.emplace_back(since, r->owner_ + ": " + r->what_.load(std::memory_order_relaxed) + ", for " + seconds + " s");
    }
  }
  std::sort(calls.begin(), calls.end());
  std::vector<std::string> lines;
  for (auto& c : calls)
    lines.push_back(std::move(c.second));
  return lines;
}

} // namespace strata::detail
