#pragma once
// An alternate signal stack for each thread that runs a plugin's code, so that the fatal-signal
// report (strata/fatal_signal.hpp) also runs when a plugin overflows that thread's stack: on the
// overflowed stack the handler itself would fault, silently.

#include <caf/thread_hook.hpp>

namespace strata::detail {

/// Gives the calling thread an alternate signal stack of its own, unless it has one (a host's,
/// or this). Freed when the thread ends.
void ensure_alternate_stack();

/// Has `ensure_alternate_stack_in_host_thread` act from now on: the fatal-signal report is
/// installed. Before, a host's threads are left as they are.
void give_host_threads_alternate_stacks();

/// `ensure_alternate_stack` in a thread of the host (one that reads layer 0's view: an HTTP or RESP
/// worker of `strata serve`, an embedding host's), once the fatal-signal report is installed.
void ensure_alternate_stack_in_host_thread();

/// Calls `ensure_alternate_stack` in every thread the actor system starts.
class alternate_stack_hook : public caf::thread_hook {
public:
  void init(caf::actor_system&) override {}
  void thread_started() override { ensure_alternate_stack(); }
  void thread_terminates() override {}
};

} // namespace strata::detail
