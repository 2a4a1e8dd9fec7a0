#pragma once
// An alternate signal stack for each thread the actor system starts, so that the fatal-signal
// report (strata/fatal_signal.hpp) also runs when a plugin overflows the stack of a scheduler
// or detached-actor thread: on the overflowed stack the handler itself would fault, silently.

#include <caf/thread_hook.hpp>

namespace strata::detail {

/// Gives the calling thread an alternate signal stack of its own, unless it has one (a host's,
/// or this). Freed when the thread ends.
void ensure_alternate_stack();

/// Calls `ensure_alternate_stack` in every thread the actor system starts.
class alternate_stack_hook : public caf::thread_hook {
public:
  void init(caf::actor_system&) override {}
  void thread_started() override { ensure_alternate_stack(); }
  void thread_terminates() override {}
};

} // namespace strata::detail
