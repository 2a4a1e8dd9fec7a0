#pragma once
// Reading enum fields that a plugin wrote. A plugin may put any integer there, and loading an
// out-of-range value as the enum type is undefined behaviour, so the host reads the raw integer.

#include <cstring>
#include <type_traits>

namespace strata::detail {

template <class Enum>
long long abi_value(const Enum& field) {
  std::underlying_type_t<Enum> raw;
  std::memcpy(&raw, &field, sizeof raw);
  return static_cast<long long>(raw);
}

} // namespace strata::detail
