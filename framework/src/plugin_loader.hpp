#pragma once
// Opens plugin shared libraries and checks their descriptors before anything uses them.

#include <strata/expected.hpp>
#include <strata/plugin_abi.h>
#include <strata/units.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace strata::detail {

/// A descriptor the loader accepted, and where it came from.
struct loaded_plugin {
  const strata_plugin_descriptor* descriptor = nullptr;
  std::string origin; ///< the file it was loaded from, or "<static>"
};

/// A layer plugin that observes interactions instead of answering requests (the diary).
inline bool is_observer(const strata_plugin_descriptor& d) {
  return d.abi_minor >= 2 && (d.flags & STRATA_PLUGIN_FLAG_OBSERVER) != 0;
}

/// Whether the plugin declares a default deadline (ABI 1.7).
inline bool declares_deadline(const strata_plugin_descriptor& d) {
  return d.abi_minor >= 7 && d.default_deadline_ms != 0;
}

/// How long the coordinator waits for a layer of this plugin whose deployment names no `deadline`:
/// what the plugin declares (ABI 1.7), else the runtime's 100 ms.
inline std::chrono::milliseconds default_deadline(const strata_plugin_descriptor& d) {
  return std::chrono::milliseconds(declares_deadline(d) ? d.default_deadline_ms : 100);
}

/// Whether a layer of this plugin whose deployment names no `detached` gets a thread of its own:
/// unless the plugin is flagged cooperative (it runs on the scheduler).
inline bool default_detached(const strata_plugin_descriptor& d) {
  return (d.flags & STRATA_PLUGIN_FLAG_COOPERATIVE) == 0;
}

/// How long the coordinator waits for a request to a layer of this plugin given `deadline`: for
/// an observer, whose requests are all commands, at least the 5 s every command gets.
inline std::chrono::milliseconds request_wait(const strata_plugin_descriptor& d, std::chrono::milliseconds deadline) {
  return is_observer(d) ? std::max<std::chrono::milliseconds>(deadline, std::chrono::seconds(5)) : deadline;
}

/// Whether a timeout key's `value` waits `wait` or longer, read rounded up to whole milliseconds
/// as plugins read it (2999.5ms waits 3 s); false for a value that is not a duration.
inline bool outlasts(const std::string& value, std::chrono::milliseconds wait) {
  const auto waits = units::parse_duration(value);
  return waits && std::chrono::ceil<std::chrono::milliseconds>(*waits) >= wait;
}

/// The file a deployment looks the plugin `name` up by: libstrata_<name>.so.
std::string plugin_file_name(const std::string& name);

/// The <name> of a file named libstrata_<name>.so, or "" for any other file name.
std::string plugin_name_of_file(const std::string& file_name);

/// Loads plugins with dlopen(RTLD_NOW | RTLD_LOCAL). Libraries are never closed: CAF crashes when
/// code of an unloaded library still backs a live actor, and plugins are few.
class plugin_loader {
public:
  /// Registers a descriptor given in code (tests inject replacements this way).
  expected<const loaded_plugin*> add_static(const strata_plugin_descriptor* descriptor);

  /// Opens `path`, looks up `strata_plugin_entry` and checks the descriptor; with `expected_name`,
  /// a plugin declaring another name is refused and not registered. A file that declares the name
  /// of a descriptor given in code (`add_static`) gives that descriptor: the host's takes precedence.
  expected<const loaded_plugin*> load_file(const std::string& path, const std::string* expected_name = nullptr);

  /// The plugin named `name`: one already loaded, else `libstrata_<name>.so` from `search_path`.
  expected<const loaded_plugin*> resolve(const std::string& name,
                                         const std::vector<std::string>& search_path);

private:
  expected<const loaded_plugin*> admit(const strata_plugin_descriptor* descriptor, std::string origin,
                                       const std::string* expected_name = nullptr);

  std::map<std::string, std::unique_ptr<loaded_plugin>> by_name_;
  std::map<std::string, const loaded_plugin*> by_file_; ///< canonical path → plugin
};

} // namespace strata::detail
