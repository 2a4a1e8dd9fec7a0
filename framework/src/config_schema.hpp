#pragma once
/// @file config_schema.hpp
/// Checking plugin settings against the schema a plugin declares (strata_config_key), with errors
/// placed at the positions the YAML reader recorded.

#include <strata/config.hpp>
#include <strata/plugin_abi.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace strata::detail {

/// Whether a key of `type` takes a min and max: numbers, durations and sizes; strings, booleans,
/// files and addresses have none.
bool has_bounds(strata_value_type type);

/// Returns "" if a plugin's declared schema is well-formed, else why not: a null or duplicate key
/// name, a type unknown to the plugin's ABI minor `abi_minor` (file and address came with 1.6,
/// timeout with 1.7),
/// min > max, or a default that does not parse as its type or breaks its own bounds.
std::string check_schema(const strata_config_key* keys, std::size_t n, std::uint32_t abi_minor = STRATA_ABI_MINOR);

/// The key conditions of a plugin's schema (ABI 1.8; checked by `check_conditions`).
struct key_conditions {
  const strata_key_condition* conditions = nullptr;
  std::size_t size = 0;
};

/// The keys that apply only when another key has some value, as the plugin declares them (ABI
/// 1.8): none before.
inline key_conditions conditions_of(const strata_plugin_descriptor& d) {
  return d.abi_minor >= 8 ? key_conditions{d.key_conditions, d.key_conditions_size} : key_conditions{};
}

/// The values of other keys under which `key` applies, from `conditions`: each `when_key` once, in
/// the order first named, with the values any of which will do. Empty: it always applies.
std::vector<std::pair<std::string, std::vector<std::string>>> applies_with(const std::string& key,
                                                                           key_conditions conditions);

/// Whether the key `name` applies in `settings` (an instance's, defaults filled in) under the
/// plugin's key conditions: a key that does nothing there (the global layer's sqlite_path with
/// backend: postgres) takes no file. One whose condition's key holds a wrong value applies.
bool applies_in(const std::string& name, const std::map<std::string, std::string>& settings,
                const strata_config_key* keys, std::size_t n, key_conditions conditions);

/// Returns "" if the key conditions a plugin declares are well-formed against its schema (checked
/// by `check_schema`), else why not: a condition on a key or naming a `when_key` the schema lacks,
/// on a required key, on its own `when_key`, naming a `when_key` that is neither a string nor a
/// bool key, or a `when_value` that is not a value of that key.
std::string check_conditions(const strata_config_key* keys, std::size_t n, key_conditions conditions);

/// An error about `path`, placed at the position recorded for it, else at its nearest recorded
/// parent (`layers[1].config.x` → `layers[1].config` → `layers[1]` → `layers`), else at 0:0.
config_error make_error(const config& cfg, const std::string& path, std::string message);

/// As make_error, but at the key `path` names where it is written (an unknown key, one that does
/// nothing there), rather than at its value.
config_error error_at_key(const config& cfg, const std::string& path, std::string message);

/// Checks the `settings` of the instance at `instance_path` (`layers[1]`, `exporters[0]`) against
/// a schema checked by `check_schema`: unknown keys, values of the wrong type, values out of
/// bounds, missing required keys, and keys set to other than their default where their
/// `conditions` do not hold (where they would do nothing). Appends one
/// error per problem to `errors`, then fills the defaults of absent keys. An unknown or missing
/// key's error names the plugin's `file` (empty for a plugin given in code): the schema is that
/// file's, which may not be the plugin on the path. Returns whether every key is known and every
/// value of its type and within its bounds (keys given where they do nothing aside), i.e. whether
/// the plugin's own check may read them.
bool validate_settings(const config& cfg, const std::string& instance_path, const std::string& plugin,
                       const std::string& file, std::map<std::string, std::string>& settings,
                       const strata_config_key* keys, std::size_t n, std::vector<config_error>& errors,
                       key_conditions conditions = {});

/// Where a plugin's refusal of the instance at `instance_path` belongs: at the setting its reason
/// starts with ("policy: 'x' is neither ...", the plugins' convention) when the instance has that
/// setting (`layers[0].config.policy`), else at the instance.
std::string refusal_path(const std::string& instance_path, const std::map<std::string, std::string>& settings,
                         const std::string& reason);

/// A factory's refusal of the instance at `instance_path` (an error of `create_instance`), placed
/// by `refusal_path` on the reason the factory gave.
config_error instance_refusal(const config& cfg, const std::string& instance_path,
                              const std::map<std::string, std::string>& settings, const std::string& message);

} // namespace strata::detail
