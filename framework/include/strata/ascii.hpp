#pragma once
/// @file ascii.hpp
/// ASCII case folding, for keywords, schemes and names compared in any case. Header-only, so that
/// plugins need not link against the framework.

#include <string>
#include <string_view>

namespace strata {

/// `text` with its ASCII letters in lower case and every other byte (UTF-8 sequences included) as
/// it is. Unlike `std::tolower`, whatever locale the host has set does not change the answer.
inline std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    if (c >= 'A' && c <= 'Z')
      c = static_cast<char>(c - 'A' + 'a');
  return out;
}

} // namespace strata
