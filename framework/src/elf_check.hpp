#pragma once
// What dlopen cannot be trusted to refuse: a shared library cut short, or one built for another
// layout of std::string or of the containers.

#include <string>

namespace strata::detail {

/// Why the 64-bit ELF file at `path` is cut short (a part its headers describe lies past its
/// end), or "" when it is not, or is not such a file (dlopen says what is wrong with those).
/// dlopen maps a truncated library's segments past the file's end, and the process dies of
/// SIGBUS on first touch instead of getting an error.
std::string truncated_elf(const std::string& path);

/// What the 64-bit ELF file at `path` imports that shows it was built for other layouts of the
/// standard library's types than the SDK's. Such a plugin loads, then reads the SDK's strings or
/// containers (its config, keys, values) wrong: it answers garbage, or crashes. A heuristic on the
/// dynamic symbols: a plugin that links libstdc++ statically, or has no section headers, is not seen.
struct foreign_layout_imports {
  /// A member of the pre-C++11 `std::string` (`_GLIBCXX_USE_CXX11_ABI=0`), or "" when none, or
  /// when the file also names a member of the C++11 one (a file that keeps the old string for a
  /// legacy library may use the new one with the SDK).
  std::string old_string;
  /// A member of libstdc++'s debug mode (`_GLIBCXX_DEBUG`: std::map, std::vector... are the
  /// checked containers of `__gnu_debug`, of another size), or "" when none.
  std::string debug_mode;
};
foreign_layout_imports foreign_layout_imports_of(const std::string& path);

} // namespace strata::detail
