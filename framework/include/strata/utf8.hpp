#pragma once
/// @file utf8.hpp
/// Where a text stops being well-formed UTF-8, and a code point written in it. Header-only, so that
/// plugins need not link against the framework.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata {

/// The length (1 to 4 bytes) of the well-formed UTF-8 sequence that `text` begins with (RFC 3629:
/// no overlong forms, no surrogates, nothing past U+10FFFF), or 0 when it begins with none.
inline std::size_t utf8_sequence_length(std::string_view text) noexcept {
  if (text.empty())
    return 0;
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const unsigned char c = *p;
  const int more = c < 0x80 ? 0 : (c >> 5) == 0x6 ? 1 : (c >> 4) == 0xe ? 2 : (c >> 3) == 0x1e ? 3 : -1;
  if (more < 0 || text.size() <= static_cast<std::size_t>(more))
    return 0;
  std::uint32_t code = more == 0 ? c : c & (0x3f >> more);
  for (int i = 1; i <= more; ++i) {
    if ((p[i] & 0xc0) != 0x80)
      return 0;
    code = (code << 6) | (p[i] & 0x3f);
  }
  static constexpr std::uint32_t least[] = {0, 0x80, 0x800, 0x10000};
  if (code < least[more] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
    return 0;
  return static_cast<std::size_t>(more) + 1;
}

/// The offset of the first byte of `text` that does not begin a well-formed UTF-8 sequence, or
/// npos when there is none.
inline std::size_t invalid_utf8_at(std::string_view text) noexcept {
  for (std::size_t at = 0; at < text.size();) {
    const auto length = utf8_sequence_length(text.substr(at));
    if (length == 0)
      return at;
    at += length;
  }
  return std::string_view::npos;
}

/// Whether `code` is a combining mark (the diacritics and their supplements, for symbols, half
/// marks), which draws on the character before it: part of a word, as in a decomposed "é".
inline bool is_combining_mark(std::uint32_t code) noexcept {
  return (code >= 0x0300 && code <= 0x036F) || (code >= 0x1AB0 && code <= 0x1AFF) ||
         (code >= 0x1DC0 && code <= 0x1DFF) || (code >= 0x20D0 && code <= 0x20FF) || (code >= 0xFE20 && code <= 0xFE2F);
}

/// Appends the code point `code` (at most U+10FFFF, no surrogate) to `out` in UTF-8.
inline void append_utf8(std::string& out, char32_t code) {
  if (code < 0x80) {
    out.push_back(static_cast<char>(code));
  } else if (code < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (code >> 6)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else if (code < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (code >> 12)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (code >> 18)));
    out.push_back(static_cast<char>(0x80 | ((code >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
  }
}

} // namespace strata
