#include <strata/replay/capacity.hpp>

#include <strata/units.hpp>

namespace strata::replay {

std::optional<capacity> parse_capacity(std::string_view text) {
  constexpr std::string_view entries_suffix = "entries";
  capacity c;
  c.text = std::string(text);
  if (text.size() > entries_suffix.size() &&
      text.substr(text.size() - entries_suffix.size()) == entries_suffix) {
    std::string_view number = text.substr(0, text.size() - entries_suffix.size());
    while (!number.empty() && number.back() == ' ') number.remove_suffix(1);
    if (number.empty() || number.front() < '0' || number.front() > '9') // as a size: no sign, no blank first
      return std::nullopt;
    const auto n = units::parse_int(number);
    if (!n || *n < 1)
      return std::nullopt;
    c.kind = capacity::unit::entries;
    c.amount = static_cast<std::uint64_t>(*n);
    return c;
  }
  const auto bytes = units::parse_size(text);
  if (!bytes || *bytes < 1)
    return std::nullopt;
  c.kind = capacity::unit::bytes;
  c.amount = *bytes;
  return c;
}

} // namespace strata::replay
