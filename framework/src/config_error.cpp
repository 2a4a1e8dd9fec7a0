/// @file config_error.cpp
/// Text forms of configuration errors.

#include <strata/config.hpp>

#include <algorithm>
#include <limits>
#include <map>
#include <tuple>

namespace strata {

std::string config_error::to_string() const {
  std::string text = origin;
  if (position.line != 0)
    text += ':' + std::to_string(position.line) + ':' + std::to_string(position.column);
  text += ": ";
  if (!path.empty()) text += path + ": ";
  return text + message;
}

std::vector<config_error> config_report::errors_in_file_order() const {
  // As an editor lists them: the checks run in passes (syntax, keys, plugins, how keys relate), a
  // plugin's keys by name, and their errors came in that order.
  std::map<std::string, std::size_t> rank;
  for (const auto& error : errors) rank.emplace(error.origin, rank.size());
  const auto key = [&](const config_error& e) {
    return std::tuple{rank.at(e.origin), e.position.line == 0 ? std::numeric_limits<int>::max() : e.position.line,
                      e.position.column};
  };
  auto ordered = errors;
  std::stable_sort(ordered.begin(), ordered.end(), [&](const auto& a, const auto& b) { return key(a) < key(b); });
  return ordered;
}

std::string config_report::errors_text() const {
  std::string text;
  for (const auto& error : errors_in_file_order()) text += error.to_string() + '\n';
  return text;
}

std::string config_report::message() const {
  auto text = errors_text();
  if (!text.empty()) text.pop_back();
  return text;
}

} // namespace strata
