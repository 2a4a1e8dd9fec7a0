#include "datagrams.hpp"

namespace strata::exporters::statsd {

std::vector<std::string> pack(const std::vector<std::string>& units, std::size_t max_size) {
  std::vector<std::string> datagrams;
  std::string current;
  for (const auto& unit : units) {
    if (!current.empty() && current.size() + 1 + unit.size() > max_size) {
      datagrams.push_back(std::move(current));
      current.clear();
    }
    if (!current.empty())
      current += '\n';
    current += unit;
  }
  if (!current.empty())
    datagrams.push_back(std::move(current));
  return datagrams;
}

} // namespace strata::exporters::statsd
