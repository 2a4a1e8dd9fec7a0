#pragma once
/// @file fatal_signal.hpp
/// A line on standard error when the process dies of a fault, naming the plugin whose code faulted.
/// A plugin runs in the host's process: without it, a segfault in a layer ends a server with
/// nothing said but the shell's "Segmentation fault".

namespace strata {

/// Installs handlers for SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGABRT that write one line to
/// standard error — the signal, the faulting address, and the plugin file and offset where the
/// faulting instruction (or, failing that, the nearest caller on the stack) lies — and then let the
/// signal take the course it had before (the default: the process ends with that signal, dumping
/// core where the system is set to; a sanitizer's handler: its report). Installed once per
/// process; later calls do nothing. `strata serve`, `check-config`, `config-reference` and `replay`
/// install it; an embedding host calls it if it wants the line (it replaces that host's own
/// handlers for those signals, which it then calls in turn). Async-signal-safe in the handler: it
/// formats by hand and writes with write(2). A stack overflow is reported in the thread that
/// installed it, the runtime's threads and, once this is installed, every host thread that reads
/// the first layer's view (each is given an alternate signal stack); one in a thread a plugin
/// started without an alternate stack dies silently.
void install_fatal_signal_report();

} // namespace strata
