#pragma once
// Numbers in Redis commands' arguments, read as Redis reads them.

#include <charconv>
#include <string_view>
#include <system_error>
#include <type_traits>

namespace strata::resp {

/// `text` as a number of type T, the whole of it. A whole number is written as Redis writes one:
/// an optional '-', then digits with no leading zero ("010" and "-0" are not numbers there, and a
/// client's typo must not be one here); a floating-point number as `std::from_chars` reads it.
template <class T>
bool parse_number(std::string_view text, T& out) {
  if constexpr (std::is_integral_v<T>) {
    const auto digits = text.substr(!text.empty() && text[0] == '-' ? 1 : 0);
    if (digits.empty() || (digits[0] == '0' && text.size() > 1))
      return false;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
}

} // namespace strata::resp
