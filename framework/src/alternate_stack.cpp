#include "alternate_stack.hpp"

#include <signal.h>

#include <atomic>
#include <memory>

namespace strata::detail {

namespace {

std::atomic<bool> host_threads_too{false};

/// A signal handler's frames: the fatal-signal report formats into a fixed buffer and unwinds.
constexpr std::size_t alternate_stack_size = 64 * 1024;

/// This thread's alternate stack, taken back from the kernel before it is freed.
class thread_alternate_stack {
public:
  thread_alternate_stack() : memory_(new char[alternate_stack_size]) {
    stack_t stack{};
    stack.ss_sp = memory_.get();
    stack.ss_size = alternate_stack_size;
    installed_ = ::sigaltstack(&stack, nullptr) == 0;
  }
  thread_alternate_stack(const thread_alternate_stack&) = delete;
  thread_alternate_stack& operator=(const thread_alternate_stack&) = delete;
  ~thread_alternate_stack() {
    stack_t current{};
    if (!installed_ || ::sigaltstack(nullptr, &current) != 0 || current.ss_sp != memory_.get())
      return;
    stack_t off{};
    off.ss_flags = SS_DISABLE;
    if (::sigaltstack(&off, nullptr) != 0)
      (void)memory_.release(); // still the kernel's: left to the thread's end rather than freed
  }

private:
  std::unique_ptr<char[]> memory_;
  bool installed_ = false;
};

} // namespace

void ensure_alternate_stack() {
  stack_t current{};
  if (::sigaltstack(nullptr, &current) != 0 || (current.ss_flags & SS_DISABLE) == 0)
    return; // the thread has one: a host's, or ours
  thread_local thread_alternate_stack stack;
}

void give_host_threads_alternate_stacks() { host_threads_too.store(true, std::memory_order_relaxed); }

void ensure_alternate_stack_in_host_thread() {
  if (host_threads_too.load(std::memory_order_relaxed))
    ensure_alternate_stack();
}

} // namespace strata::detail
