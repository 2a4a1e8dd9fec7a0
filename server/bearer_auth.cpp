#include "bearer_auth.hpp"

#include <cctype>
#include <cstddef>

namespace strata::server {
namespace {

/// Compares every byte of `presented` whatever it finds, so that the time depends on the
/// presented token's length only. Lengths are not secret enough to hide.
bool constant_time_equal(std::string_view presented, std::string_view expected) {
  unsigned difference = presented.size() == expected.size() ? 0 : 1;
  for (std::size_t i = 0; i < presented.size(); ++i) {
    const auto want = i < expected.size() ? static_cast<unsigned char>(expected[i]) : 0u;
    difference |= static_cast<unsigned char>(presented[i]) ^ want;
  }
  return difference == 0;
}

} // namespace

bool bearer_matches(std::string_view authorization, std::string_view token) {
  constexpr std::string_view scheme = "bearer ";
  if (authorization.size() < scheme.size())
    return false;
  for (std::size_t i = 0; i < scheme.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i])
      return false;
  authorization.remove_prefix(scheme.size());
  while (!authorization.empty() && authorization.front() == ' ')
    authorization.remove_prefix(1);
  return !token.empty() && constant_time_equal(authorization, token);
}

} // namespace strata::server
