#pragma once
/// @file header_token.hpp
/// What a bearer token may hold. Header-only, so that plugins need not link against the framework.

#include <algorithm>
#include <string_view>

namespace strata {

/// Whether `token` can go into an HTTP header line as it is: visible ASCII, without spaces or
/// control characters (a line break in it would end the header and start another).
inline bool is_header_token(std::string_view token) noexcept {
  return std::all_of(token.begin(), token.end(), [](unsigned char c) { return c > 0x20 && c < 0x7f; });
}

} // namespace strata
