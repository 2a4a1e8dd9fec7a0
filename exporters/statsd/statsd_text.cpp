#include "statsd_text.hpp"

#include <charconv>
#include <cstring>

namespace strata::exporters::statsd {

namespace {

bool reserved(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u <= ' ' || u == 0x7f || std::strchr(":|@#,", c) != nullptr;
}

} // namespace

std::string sanitise(std::string_view text) {
  std::string out(text);
  for (auto& c : out)
    if (reserved(c))
      c = '_';
  return out;
}

std::string name_segment(std::string_view text) {
  std::string out = sanitise(text);
  for (auto& c : out)
    if (c == '.')
      c = '_';
  return out;
}

std::string format_number(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

std::string_view without_suffix(std::string_view name, std::string_view suffix) {
  if (name.size() > suffix.size() && name.substr(name.size() - suffix.size()) == suffix)
    name.remove_suffix(suffix.size());
  return name;
}

} // namespace strata::exporters::statsd
