#pragma once
// What dlopen cannot be trusted to refuse: a shared library cut short, or one built for another
// layout of std::string.

#include <string>

namespace strata::detail {

/// Why the 64-bit ELF file at `path` is cut short (a part its headers describe lies past its
/// end), or "" when it is not, or is not such a file (dlopen says what is wrong with those).
/// dlopen maps a truncated library's segments past the file's end, and the process dies of
/// SIGBUS on first touch instead of getting an error.
std::string truncated_elf(const std::string& path);

/// A member of the pre-C++11 `std::string` (`_GLIBCXX_USE_CXX11_ABI=0`) that the 64-bit ELF file
/// at `path` imports, or "" when it imports none, or also names a member of the C++11 one (a file
/// that keeps the old string for a legacy library may use the new one with the SDK). Such a plugin
/// reads the SDK's strings (its config, keys, values) with the old layout: it loads, and answers
/// garbage. A heuristic on the dynamic symbols: a plugin that links libstdc++ statically, or has
/// no section headers, is not seen.
std::string old_string_abi_import(const std::string& path);

} // namespace strata::detail
