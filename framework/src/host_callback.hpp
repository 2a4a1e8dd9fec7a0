#pragma once
/// @file host_callback.hpp
/// Whether this thread is inside host code that the runtime called from one of its own threads.

namespace strata::detail {

/// Marks, while it lives, that this thread runs host code the runtime called from one of its own
/// threads: a loader, a completion callback, the alert callback, the semantic verifier. Such code
/// holds up the thread that `runtime::shutdown` would wait for, so there the shutdown is only
/// started (see `runtime_impl::stop`). A completion callback runs in an actor's thread, which
/// the answer to any synchronous call made there would need: such calls are refused
/// (`on_actor_thread`).
class in_host_callback {
public:
  explicit in_host_callback(bool in_actor_thread = false) noexcept : in_actor_thread_(in_actor_thread) {
    ++depth();
    actor_depth() += in_actor_thread_ ? 1 : 0;
  }
  ~in_host_callback() {
    --depth();
    actor_depth() -= in_actor_thread_ ? 1 : 0;
  }
  in_host_callback(const in_host_callback&) = delete;
  in_host_callback& operator=(const in_host_callback&) = delete;

  /// Whether the calling thread is inside such code.
  static bool active() noexcept { return depth() > 0; }
  /// Whether it is inside such code running in an actor's thread.
  static bool on_actor_thread() noexcept { return actor_depth() > 0; }

private:
  static int& depth() noexcept {
    thread_local int calls = 0;
    return calls;
  }
  static int& actor_depth() noexcept {
    thread_local int calls = 0;
    return calls;
  }
  bool in_actor_thread_;
};

} // namespace strata::detail
