#pragma once
// What dlopen cannot be trusted to refuse: a shared library cut short.

#include <string>

namespace strata::detail {

/// Why the 64-bit ELF file at `path` is cut short (a part its headers describe lies past its
/// end), or "" when it is not, or is not such a file (dlopen says what is wrong with those).
/// dlopen maps a truncated library's segments past the file's end, and the process dies of
/// SIGBUS on first touch instead of getting an error.
std::string truncated_elf(const std::string& path);

} // namespace strata::detail
