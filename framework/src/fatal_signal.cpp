#include "alternate_stack.hpp"
#include "plugin_modules.hpp"

#include <strata/fatal_signal.hpp>

#include <dlfcn.h>
#include <execinfo.h>
#include <link.h>
#include <signal.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstring>
#include <iterator>
#include <mutex>

namespace strata {

namespace detail {

namespace {

/// One loaded plugin file: its executable segments, as the dynamic linker mapped them.
struct module_record {
  static constexpr int max_segments = 8;
  char name[64];
  char path[512];
  std::uintptr_t base;
  int segments;
  std::uintptr_t begin[max_segments];
  std::uintptr_t end[max_segments];
};

constexpr int max_modules = 128;
module_record records[max_modules];
/// How many of `records` are complete; a signal handler reads no further.
std::atomic<int> published{0};
std::mutex writers;

void copy_bounded(char* to, std::size_t size, const char* from) {
  std::strncpy(to, from != nullptr ? from : "", size - 1);
  to[size - 1] = '\0';
}

struct segment_search {
  const link_map* module;
  module_record* record;
};

int collect_segments(dl_phdr_info* info, std::size_t, void* data) {
  auto* search = static_cast<segment_search*>(data);
  if (info->dlpi_addr != search->module->l_addr || info->dlpi_name == nullptr ||
      std::strcmp(info->dlpi_name, search->module->l_name) != 0)
    return 0;
  auto& record = *search->record;
  for (int i = 0; i < info->dlpi_phnum && record.segments < module_record::max_segments; ++i) {
    const auto& header = info->dlpi_phdr[i];
    if (header.p_type != PT_LOAD || (header.p_flags & PF_X) == 0)
      continue;
    record.begin[record.segments] = info->dlpi_addr + header.p_vaddr;
    record.end[record.segments] = info->dlpi_addr + header.p_vaddr + header.p_memsz;
    ++record.segments;
  }
  return 1;
}

} // namespace

void note_plugin_module(const char* name, const void* address_in_module) {
  Dl_info info{};
  void* found = nullptr; // dladdr1 writes a link_map* here
  if (::dladdr1(address_in_module, &info, &found, RTLD_DL_LINKMAP) == 0 || found == nullptr)
    return;
  const auto* module = static_cast<const link_map*>(found);
  std::lock_guard<std::mutex> guard(writers);
  const int count = published.load(std::memory_order_relaxed);
  for (int i = 0; i < count; ++i)
    if (records[i].base == module->l_addr)
      return; // one file loaded under several names is reported under the first
  if (count == max_modules)
    return;
  auto& record = records[count];
  record = module_record{};
  copy_bounded(record.name, sizeof record.name, name);
  copy_bounded(record.path, sizeof record.path, module->l_name);
  record.base = module->l_addr;
  segment_search search{module, &record};
  ::dl_iterate_phdr(collect_segments, &search);
  published.store(count + 1, std::memory_order_release);
}

bool find_plugin_module(std::uintptr_t pc, plugin_place& place) {
  const int count = published.load(std::memory_order_acquire);
  for (int i = 0; i < count; ++i)
    for (int s = 0; s < records[i].segments; ++s)
      if (pc >= records[i].begin[s] && pc < records[i].end[s]) {
        place = plugin_place{records[i].name, records[i].path, pc - records[i].base};
        return true;
      }
  return false;
}

} // namespace detail

namespace {

constexpr int reported_signals[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
struct sigaction previous_actions[std::size(reported_signals)];

/// A line built without allocating or locking (snprintf is not async-signal-safe).
class signal_line {
public:
  signal_line& operator<<(const char* text) {
    while (*text != '\0' && used_ < sizeof text_)
      text_[used_++] = *text++;
    return *this;
  }
  signal_line& hex(std::uintptr_t value) {
    char digits[2 * sizeof value];
    int n = 0;
    do {
      digits[n++] = "0123456789abcdef"[value & 0xf];
      value >>= 4;
    } while (value != 0);
    *this << "0x";
    while (n > 0 && used_ < sizeof text_)
      text_[used_++] = digits[--n];
    return *this;
  }
  /// Writes what was added since the last write_out.
  void write_out() {
    while (written_ < used_) {
      const auto n = ::write(STDERR_FILENO, text_ + written_, used_ - written_);
      if (n <= 0)
        return;
      written_ += static_cast<std::size_t>(n);
    }
  }

private:
  char text_[1024];
  std::size_t used_ = 0;
  std::size_t written_ = 0;
};

const char* signal_name(int signal) {
  switch (signal) {
  case SIGSEGV: return "SIGSEGV";
  case SIGBUS: return "SIGBUS";
  case SIGILL: return "SIGILL";
  case SIGFPE: return "SIGFPE";
  default: return "SIGABRT";
  }
}

std::uintptr_t faulting_pc(const void* context) {
  const auto* user = static_cast<const ucontext_t*>(context);
#if defined(__x86_64__)
  return static_cast<std::uintptr_t>(user->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return static_cast<std::uintptr_t>(user->uc_mcontext.pc);
#else
  (void)user;
  return 0;
#endif
}

void place_in(signal_line& line, const detail::plugin_place& place) {
  line << "plugin '" << place.name << "' (" << place.path << "+";
  line.hex(place.offset) << ")";
}

/// Hands `signal` on as it was handled before this handler: a fault returns to its instruction
/// and faults again; a sent signal is raised again.
void hand_on(int signal, bool fault) {
  for (std::size_t i = 0; i < std::size(reported_signals); ++i)
    if (reported_signals[i] == signal)
      ::sigaction(signal, &previous_actions[i], nullptr);
  if (!fault)
    ::raise(signal);
}

/// Set once a report began: a fault while unwinding for it (another signal than the one being
/// reported is not blocked) ends the line and goes on as before, rather than report again.
volatile std::sig_atomic_t reporting = 0;

void report_fatal_signal(int signal, siginfo_t* info, void* context) {
  const bool fault = info->si_code > 0; // raised by the hardware, not sent by kill or abort
  if (reporting != 0) {
    [[maybe_unused]] const auto n = ::write(STDERR_FILENO, "\n", 1);
    return hand_on(signal, fault);
  }
  reporting = 1;
  signal_line line;
  line << "strata: fatal signal " << signal_name(signal);
  if (fault) {
    line << " at address ";
    line.hex(reinterpret_cast<std::uintptr_t>(info->si_addr));
  }
  detail::plugin_place place{};
  if (fault && detail::find_plugin_module(faulting_pc(context), place)) {
    line << " in ";
    place_in(line, place);
  } else {
    // Not in a plugin itself (abort, or a fault in the C library on a plugin's behalf): the
    // nearest caller on the stack that is. A return address is one past its call: step back.
    // Unwinding a smashed stack may fault in turn: what is known is written first.
    line.write_out();
    void* frames[64];
    const int depth = ::backtrace(frames, 64);
    bool found = false;
    for (int i = 0; i < depth && !found; ++i)
      found = detail::find_plugin_module(reinterpret_cast<std::uintptr_t>(frames[i]) - 1, place);
    if (found) {
      line << " in code called from ";
      place_in(line, place);
    } else {
      line << " (not in a plugin's code)";
    }
  }
  line << "; the process ends\n";
  line.write_out();
  hand_on(signal, fault);
}

alignas(16) char alternate_stack[64 * 1024];

} // namespace

void install_fatal_signal_report() {
  static std::once_flag installed;
  std::call_once(installed, [] {
    void* warm[1];
    ::backtrace(warm, 1); // loads the unwinder now: loading it in the handler would allocate
    detail::give_host_threads_alternate_stacks(); // the threads that read layer 0's view
    stack_t current{};
    if (::sigaltstack(nullptr, &current) == 0 && (current.ss_flags & SS_DISABLE) != 0) { // keep a host's own
      stack_t stack{};
      stack.ss_sp = alternate_stack;
      stack.ss_size = sizeof alternate_stack;
      ::sigaltstack(&stack, nullptr); // this thread's own stack overflowing is reported too
    }
    struct sigaction action {};
    action.sa_sigaction = report_fatal_signal;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    for (std::size_t i = 0; i < std::size(reported_signals); ++i)
      ::sigaction(reported_signals[i], &action, &previous_actions[i]);
  });
}

} // namespace strata
