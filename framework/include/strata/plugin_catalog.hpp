#pragma once
/// @file plugin_catalog.hpp
/// The plugins a search path offers, with their declared configuration schemas: what
/// `strata config-reference` prints. Each file is loaded and checked exactly as a deployment would
/// load it.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace strata {

/// One key of a plugin's configuration schema.
struct config_key_info {
  std::string key;
  std::string type;                         ///< string, int, double, bool, duration, size, file, address or timeout
  std::optional<std::string> default_value; ///< nullopt: the key is required
  std::string description;
  std::optional<double> min; ///< milliseconds for durations, bytes for sizes
  std::optional<double> max;
  /// The values of other keys under which this one applies (ABI 1.8): each entry a key and the
  /// values, any of which will do; every entry must hold. Empty: it always applies.
  std::vector<std::pair<std::string, std::vector<std::string>>> applies_with;
};

/// A plugin the loader accepted.
struct plugin_info {
  std::string name;
  std::string version;
  std::string kind; ///< layer, embedder, exporter or alert_handler
  std::string file;
  std::uint32_t abi_major = 0;
  std::uint32_t abi_minor = 0;
  std::vector<config_key_info> schema;
  /// Layers only: how long the coordinator waits for one whose deployment names no `deadline`
  /// (the plugin's declared default, ABI 1.7, else the runtime's 100 ms).
  std::optional<std::chrono::milliseconds> default_deadline;
};

/// Every `libstrata_*.so` in the directories, sorted by kind then name, and one message per file
/// the loader refused (which file and why).
struct plugin_catalog {
  std::vector<plugin_info> plugins;
  std::vector<std::string> errors;
};

/// Loads the plugins in `directories`; `default_plugin_path()` when it is empty.
plugin_catalog list_plugins(const std::vector<std::string>& directories = {});

} // namespace strata
