#include "published_figures.hpp"

#include <fstream>
#include <sstream>
#include <stdexcept>

namespace strata::bench {

std::map<std::string, published_algorithm> read_published_figures(const std::string& path) {
  std::ifstream in(path);
  if (!in)
    throw std::runtime_error(path + ": cannot open");
  std::map<std::string, published_algorithm> out;
  int number = 0;
  for (std::string line; std::getline(in, line);) {
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string::npos)
      continue;
    const auto bar = line.find('|');
    const auto open = line.find('[', bar == std::string::npos ? 0 : bar);
    const auto close = line.find(']', open == std::string::npos ? 0 : open);
    if (bar == std::string::npos || open == std::string::npos || close == std::string::npos)
      throw std::runtime_error(path + ":" + std::to_string(number) + ": not 'NAME ratios | misses [counts]'");
    std::istringstream ratios(line.substr(0, bar));
    std::string name;
    ratios >> name;
    published_algorithm figures;
    for (double r; ratios >> r;)
      figures.miss_ratios.push_back(r);
    std::string counts = line.substr(open + 1, close - open - 1);
    for (auto& c : counts)
      if (c == ',')
        c = ' ';
    std::istringstream misses(counts);
    for (std::uint64_t m; misses >> m;)
      figures.misses.push_back(m);
    if (figures.miss_ratios.empty() || figures.miss_ratios.size() != figures.misses.size())
      throw std::runtime_error(path + ":" + std::to_string(number) + ": " + name +
                               " has not as many miss counts as miss ratios");
    out[name] = std::move(figures);
  }
  return out;
}

} // namespace strata::bench
