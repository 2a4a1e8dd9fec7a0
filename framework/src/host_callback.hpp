#pragma once
/// @file host_callback.hpp
/// Whether this thread is inside host code that the runtime called from one of its own threads.

namespace strata::detail {

/// Marks, while it lives, that this thread runs host code the runtime called from one of its own
/// threads: a loader, a completion callback, the alert callback, the semantic verifier. Such code
/// holds up the thread that `runtime::shutdown` would wait for, so there the shutdown is only
/// started (see `runtime_impl::stop`).
class in_host_callback {
public:
  in_host_callback() noexcept { ++depth(); }
  ~in_host_callback() { --depth(); }
  in_host_callback(const in_host_callback&) = delete;
  in_host_callback& operator=(const in_host_callback&) = delete;

  /// Whether the calling thread is inside such code.
  static bool active() noexcept { return depth() > 0; }

private:
  static int& depth() noexcept {
    thread_local int calls = 0;
    return calls;
  }
};

} // namespace strata::detail
