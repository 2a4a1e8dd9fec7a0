#pragma once
// Where each loaded plugin's code lies in memory, for the fatal-signal report.

#include <cstdint>

namespace strata::detail {

/// Records the executable segments of the shared object holding `address_in_module` (a symbol of
/// a plugin file just loaded) under the plugin's `name`. Bounded: past 128 modules, later ones are
/// not recorded (the report then says it found no plugin).
void note_plugin_module(const char* name, const void* address_in_module);

/// A code address inside a plugin: the plugin's name, its file, and the offset from the file's
/// load address (what `addr2line -e FILE OFFSET` reads).
struct plugin_place {
  const char* name;
  const char* path;
  std::uintptr_t offset;
};

/// Whether `pc` lies in a recorded plugin's code, and where. Async-signal-safe: it only reads
/// records published before the count that covers them.
bool find_plugin_module(std::uintptr_t pc, plugin_place& place);

} // namespace strata::detail
