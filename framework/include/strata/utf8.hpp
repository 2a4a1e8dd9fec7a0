#pragma once
/// @file utf8.hpp
/// Where a text stops being well-formed UTF-8. Header-only, so that plugins need not link against
/// the framework.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace strata {

/// The offset of the first byte of `text` that does not begin a well-formed UTF-8 sequence (RFC
/// 3629: no overlong forms, no surrogates, nothing past U+10FFFF), or npos when there is none.
inline std::size_t invalid_utf8_at(std::string_view text) noexcept {
  const auto* begin = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = begin + text.size();
  for (const auto* p = begin; p < end;) {
    const unsigned char c = *p;
    const int more = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : -1;
    if (more < 0 || end - p <= more)
      return static_cast<std::size_t>(p - begin);
    std::uint32_t code = more == 0 ? c : c & (0x3f >> more);
    for (int i = 1; i <= more; ++i) {
      if ((p[i] & 0xc0) != 0x80)
        return static_cast<std::size_t>(p - begin);
      code = (code << 6) | (p[i] & 0x3f);
    }
    static constexpr std::uint32_t least[] = {0, 0x80, 0x800, 0x10000};
    if (code < least[more] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
      return static_cast<std::size_t>(p - begin);
    p += more + 1;
  }
  return std::string_view::npos;
}

} // namespace strata
