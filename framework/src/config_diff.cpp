#include "config_diff.hpp"

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>

namespace strata::detail {
namespace {

std::string text_of(const YAML::Node& node) {
  YAML::Emitter out;
  out << node;
  return out.c_str();
}

void compare(const YAML::Node& a, const YAML::Node& b, const std::string& path, std::vector<std::string>& out) {
  // A key one side lacks (an alert rule's `labels`, a layer's setting) is an invalid node there,
  // which throws at any question but this one.
  if (!a.IsDefined() || !b.IsDefined()) {
    if (a.IsDefined() != b.IsDefined())
      out.push_back(path);
    return;
  }
  if (a.IsMap() && b.IsMap()) {
    std::set<std::string> keys;
    for (const auto& kv : a)
      keys.insert(kv.first.as<std::string>());
    for (const auto& kv : b)
      keys.insert(kv.first.as<std::string>());
    for (const auto& key : keys)
      compare(a[key], b[key], path.empty() ? key : path + "." + key, out);
    return;
  }
  // A list of as many items on both sides (the layers): item by item, so that the change is named
  // down to its key ("layers[1].config.min_confidence"); one that grew or shrank, as a whole.
  if (a.IsSequence() && b.IsSequence() && a.size() == b.size()) {
    for (std::size_t i = 0; i < a.size(); ++i)
      compare(a[i], b[i], path + "[" + std::to_string(i) + "]", out);
    return;
  }
  if (text_of(a) != text_of(b))
    out.push_back(path);
}

} // namespace

std::vector<std::string> config_differences(const config& a, const config& b) {
  std::vector<std::string> out;
  compare(YAML::Load(to_yaml(a)), YAML::Load(to_yaml(b)), "", out);
  return out;
}

} // namespace strata::detail
