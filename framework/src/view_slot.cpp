#include "view_slot.hpp"

#include <linux/membarrier.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <iterator>

namespace strata::detail {

namespace {

/// Enough for every thread of a host that reads at once; a thread past them reads through the
/// coordinator (correct, slower).
constexpr std::size_t max_view_hazards = 1024;

std::array<view_hazard, max_view_hazards>& hazards() {
  static std::array<view_hazard, max_view_hazards> all;
  return all;
}

/// How many hazards have ever been claimed (a scan reads no further).
std::atomic<std::size_t> hazards_used{0};

/// A thread's claim on a hazard, written to the thread's `hazard`, and given back when the
/// thread ends (`given_back` then set, `hazard` cleared).
class hazard_claim {
public:
  hazard_claim(view_hazard*& hazard, bool& given_back) : hazard_(hazard), given_back_(given_back) {
    auto& all = hazards();
    for (std::size_t i = 0; i < all.size(); ++i) {
      bool free = false;
      if (all[i].claimed.compare_exchange_strong(free, true, std::memory_order_acq_rel)) {
        hazard_ = &all[i];
        auto used = hazards_used.load(std::memory_order_relaxed);
        while (used < i + 1 && !hazards_used.compare_exchange_weak(used, i + 1, std::memory_order_acq_rel)) {
        }
        return;
      }
    }
  }
  hazard_claim(const hazard_claim&) = delete;
  hazard_claim& operator=(const hazard_claim&) = delete;
  ~hazard_claim() {
    if (hazard_ != nullptr)
      hazard_->claimed.store(false, std::memory_order_release);
    hazard_ = nullptr;
    given_back_ = true;
  }

private:
  view_hazard*& hazard_;
  bool& given_back_;
};

/// Every running thread of the process executes a full memory barrier before this returns.
bool heavy_barrier() {
  return ::syscall(__NR_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0) == 0;
}

} // namespace

view_hazard* this_thread_hazard() {
  // Trivially destroyed, so that a read from a thread_local's destructor that runs after the claim
  // is given back finds no hazard (and goes through the coordinator) instead of a destroyed one.
  thread_local view_hazard* hazard = nullptr;
  thread_local bool given_back = false;
  if (hazard == nullptr && !given_back) {
    thread_local hazard_claim claim(hazard, given_back);
  }
  return hazard;
}

bool views_reclaimable() {
  // Registered once per process; the expedited barrier fails without it.
  static const bool registered = ::syscall(__NR_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0) == 0;
  return registered;
}

view_slot::~view_slot() { delete current_.load(std::memory_order_acquire); }

view_list view_slot::publish(std::shared_ptr<read_view> view, std::uint64_t generation) {
  std::lock_guard<std::mutex> guard(mutex_);
  const published_view* next = view ? new published_view{std::move(view), generation} : nullptr;
  if (const auto* replaced = current_.exchange(next, std::memory_order_acq_rel))
    retired_.emplace_back(replaced);
  return reclaim();
}

std::size_t view_slot::retired() const {
  std::lock_guard<std::mutex> guard(mutex_);
  return retired_.size();
}

view_list view_slot::reclaim() {
  view_list freed;
  if (retired_.empty() || !views_reclaimable() || !heavy_barrier())
    return freed;
  // A reader that took a retired view announced it before its barrier: its hazard is seen here.
  // One that had not yet reads the current view again after it, finds it changed, and retries.
  std::vector<const published_view*> held;
  const auto used = hazards_used.load(std::memory_order_acquire);
  for (std::size_t i = 0; i < used; ++i)
    if (const auto* view = hazards()[i].held.load(std::memory_order_acquire))
      held.push_back(view);
  const auto first_free = std::stable_partition(retired_.begin(), retired_.end(), [&held](const auto& view) {
    return std::find(held.begin(), held.end(), view.get()) != held.end();
  });
  std::move(first_free, retired_.end(), std::back_inserter(freed));
  retired_.erase(first_free, retired_.end());
  return freed;
}

} // namespace strata::detail
