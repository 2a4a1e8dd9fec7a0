#pragma once
/// @file plugin_config.hpp
/// The configuration a plugin instance receives: its schema's keys, validated against the declared
/// types and bounds, with defaults filled. Getters throw std::invalid_argument for a key that the
/// schema does not declare (a bug in the plugin), never for user input (already validated).

#include <strata/units.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>

namespace strata {

class plugin_config {
public:
  plugin_config() = default;
  explicit plugin_config(std::map<std::string, std::string> values) : values_(std::move(values)) {}

  /// The effective values as text, key → value.
  const std::map<std::string, std::string>& values() const noexcept { return values_; }

  bool contains(const std::string& key) const { return values_.count(key) != 0; }

  const std::string& get_string(const std::string& key) const {
    auto it = values_.find(key);
    if (it == values_.end())
      throw std::invalid_argument("configuration key '" + key + "' is not set");
    return it->second;
  }
  std::int64_t get_int(const std::string& key) const {
    return parsed<std::int64_t>(key, units::parse_int, "an integer");
  }
  double get_double(const std::string& key) const { return parsed<double>(key, units::parse_double, "a number"); }
  bool get_bool(const std::string& key) const { return parsed<bool>(key, units::parse_bool, "a boolean"); }
  std::uint64_t get_size(const std::string& key) const {
    return parsed<std::uint64_t>(key, units::parse_size, "a size");
  }
  std::chrono::nanoseconds get_duration(const std::string& key) const {
    return parsed<std::chrono::nanoseconds>(key, units::parse_duration, "a duration");
  }

private:
  template <class T, class Parse>
  T parsed(const std::string& key, Parse parse, const char* what) const {
    auto v = parse(get_string(key));
    if (!v)
      throw std::invalid_argument("configuration key '" + key + "' is not " + what + ": '" +
                                  get_string(key) + "'");
    return *v;
  }
  std::map<std::string, std::string> values_;
};

} // namespace strata
