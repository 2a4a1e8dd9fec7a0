#pragma once
// Layer 0's read view, read by the host's threads on the hot path and replaced by the coordinator
// at each restart of that layer, and freed once no reader holds it.

#include <strata/layer.hpp>

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace strata::detail {

/// A read view of layer 0, and the generation of the instance it reads, to which its faults are
/// reported.
struct published_view {
  std::shared_ptr<read_view> view;
  std::uint64_t generation = 0;
};

/// Views taken out of use, owned.
using view_list = std::vector<std::unique_ptr<const published_view>>;

/// One reader thread's hazard: the view it is reading, if any. Claimed by a thread at its first
/// read, released when it ends; a cache line each, so that readers do not share one.
struct alignas(64) view_hazard {
  std::atomic<const published_view*> held{nullptr};
  std::atomic<bool> claimed{false};
};

/// This thread's hazard, or null when every one is claimed (the thread then reads no view).
view_hazard* this_thread_hazard();

/// Whether a replaced view can be freed: membarrier(2)'s expedited barrier is available, which
/// lets a reader announce its view with plain stores (asymmetric hazard pointers: the writer, at a
/// restart, pays for the barrier). Without it, replaced views are kept until the runtime ends.
bool views_reclaimable();

/// Layer 0's read view. A read costs a load and two stores to the thread's own hazard, no
/// read-modify-write and no shared write; a view replaced (a restart) is freed at the next
/// publish once no hazard holds it.
class view_slot {
public:
  view_slot() = default;
  view_slot(const view_slot&) = delete;
  view_slot& operator=(const view_slot&) = delete;
  ~view_slot();

  /// Calls `read(const published_view&)` with the current view held, and returns true; false
  /// without calling it when there is none, or this thread cannot hold one (no hazard left, or a
  /// read already under way in it: a view's get calling the runtime).
  template <class Read>
  bool read(Read&& read) const {
    view_hazard* hazard = this_thread_hazard();
    if (hazard == nullptr || hazard->held.load(std::memory_order_relaxed) != nullptr)
      return false;
    const published_view* view = current_.load(std::memory_order_acquire);
    for (;;) {
      if (view == nullptr)
        return false;
      hazard->held.store(view, std::memory_order_relaxed);
      // The writer's membarrier orders this store before the load below, as seen by its scan.
      std::atomic_signal_fence(std::memory_order_seq_cst);
      const published_view* again = current_.load(std::memory_order_acquire);
      if (again == view)
        break;
      view = again;
    }
    struct release_hazard {
      view_hazard* hazard;
      ~release_hazard() { hazard->held.store(nullptr, std::memory_order_release); }
    } release{hazard};
    read(*view);
    return true;
  }

  /// Publishes `view` (none when null) of layer 0's instance of `generation`, and returns the views
  /// replaced before that no reader holds any more, for the caller to free: the last reference to
  /// a retired instance's store may be among them, and freeing it may take a while.
  view_list publish(std::shared_ptr<read_view> view, std::uint64_t generation);

  /// Views replaced and not freed yet (some reader held them at the last publish).
  std::size_t retired() const;

private:
  view_list reclaim();

  std::atomic<const published_view*> current_{nullptr};
  mutable std::mutex mutex_; ///< publishers
  view_list retired_;
};

} // namespace strata::detail
