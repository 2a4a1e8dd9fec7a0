/// @file config_schema.cpp
/// Plugin settings against plugin schemas: the schema itself first, then each layer's values.

#include "config_schema.hpp"

#include "abi_value.hpp"
#include "plugin_instance.hpp"

#include <strata/units.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <string_view>

namespace strata::detail {
namespace {

/// Whether a plugin built for `abi_minor` may declare `type`: one of a later minor was unknown to
/// it, and is refused as it was before that minor (its values must not get checks it never asked for).
bool known_type(const strata_value_type& type, std::uint32_t abi_minor) {
  const auto raw = abi_value(type);
  const auto last = abi_minor >= 7 ? STRATA_VALUE_TIMEOUT : abi_minor >= 6 ? STRATA_VALUE_LISTEN_ADDRESS : STRATA_VALUE_SIZE;
  return raw >= STRATA_VALUE_STRING && raw <= last;
}

/// What a value of each type looks like, for "expected ..." messages.
std::string expectation(strata_value_type type) {
  switch (type) {
  case STRATA_VALUE_INT: return "an integer";
  case STRATA_VALUE_DOUBLE: return "a number";
  case STRATA_VALUE_BOOL: return units::bool_spellings;
  case STRATA_VALUE_DURATION:
  case STRATA_VALUE_TIMEOUT:
    return "a duration such as 250ms or 5s, at most " + std::to_string(units::max_duration_days) + "d";
  case STRATA_VALUE_SIZE: return "a size such as 64MiB";
  case STRATA_VALUE_LISTEN_ADDRESS: return "host:port such as 127.0.0.1:9464 (port 0: any free port)";
  default: return "a string";
  }
}

/// The number a value's bounds are compared with (bytes for sizes, milliseconds for durations),
/// or nullopt if the text is not of the type. Unbounded types measure as 0.
std::optional<double> measure(strata_value_type type, const std::string& text) {
  switch (type) {
  case STRATA_VALUE_INT:
    if (auto v = units::parse_int(text)) return static_cast<double>(*v);
    return std::nullopt;
  case STRATA_VALUE_DOUBLE: return units::parse_double(text);
  case STRATA_VALUE_BOOL:
    if (units::parse_bool(text)) return 0.0;
    return std::nullopt;
  case STRATA_VALUE_DURATION:
  case STRATA_VALUE_TIMEOUT:
    if (auto v = units::parse_duration(text)) return static_cast<double>(v->count()) / 1e6;
    return std::nullopt;
  case STRATA_VALUE_SIZE:
    if (auto v = units::parse_size(text)) return static_cast<double>(*v);
    return std::nullopt;
  case STRATA_VALUE_LISTEN_ADDRESS:
    if (units::parse_host_port(text)) return 0.0;
    return std::nullopt;
  default: return 0.0;
  }
}

/// A bound in the unit it is declared in: "1048576 bytes", "10 ms", "0.5".
std::string format_bound(strata_value_type type, double bound) {
  std::ostringstream text;
  text.precision(15);
  text << bound;
  if (type == STRATA_VALUE_SIZE) text << " bytes";
  if (type == STRATA_VALUE_DURATION || type == STRATA_VALUE_TIMEOUT) text << " ms";
  return text.str();
}

/// "" if `text` is a valid value for `key`, else what is wrong with it.
std::string check_value(const strata_config_key& key, const std::string& text) {
  const auto value = measure(key.type, text);
  if (!value) return "expected " + expectation(key.type) + ", got '" + text + "'";
  if (!has_bounds(key.type)) return "";
  if (key.has_min && *value < key.min)
    return "'" + text + "' is below the minimum of " + format_bound(key.type, key.min);
  if (key.has_max && *value > key.max)
    return "'" + text + "' is above the maximum of " + format_bound(key.type, key.max);
  return "";
}

const strata_config_key* find_key(const strata_config_key* keys, std::size_t n, const std::string& name) {
  for (std::size_t i = 0; i < n; ++i)
    if (name == keys[i].key) return &keys[i];
  return nullptr;
}

/// "plugin 'name'", and the file it came from if any.
std::string plugin_named(const std::string& plugin, const std::string& file) {
  return "plugin '" + plugin + "'" + (file.empty() ? "" : " (" + file + ")");
}

std::string unknown_key_message(const std::string& name, const std::string& plugin,
                                const strata_config_key* keys, std::size_t n) {
  std::string message = "unknown key '" + name + "' for " + plugin + "; ";
  if (n == 0) return message + "it takes no settings";
  message += "allowed: ";
  for (std::size_t i = 0; i < n; ++i) message += (i == 0 ? "" : ", ") + std::string(keys[i].key);
  return message;
}

std::string missing_key_message(const strata_config_key& key, const std::string& plugin) {
  std::string message = "missing required key '" + std::string(key.key) + "' of " + plugin;
  if (key.description != nullptr && *key.description != '\0') message += " (" + std::string(key.description) + ")";
  return message;
}

/// Whether `text` is `wanted`, both values of `type`: for a bool "on" is "true", anything else as
/// written.
bool same_value(strata_value_type type, const std::string& text, const std::string& wanted) {
  if (type == STRATA_VALUE_BOOL)
    return units::parse_bool(text) == units::parse_bool(wanted);
  return text == wanted;
}

/// Whether `text` says what `key`'s default says ("2000ms" is "2s"); false for a required key.
bool is_default(const strata_config_key& key, const std::string& text) {
  if (key.default_value == nullptr)
    return false;
  if (!has_bounds(key.type)) // strings, files and addresses as written; "on" is "true"
    return same_value(key.type, text, key.default_value);
  const auto value = measure(key.type, text);
  return value && value == measure(key.type, key.default_value);
}

/// "" when the conditions on the key `name` hold in `settings` (defaults filled), else why it
/// does nothing there: "'pool_size' applies only with backend: postgres, and backend is 'sqlite'
/// here (the default): leave pool_size out, or set backend: postgres".
std::string inapplicable(const std::string& name, const std::map<std::string, std::string>& settings,
                         const strata_config_key* keys, std::size_t n, key_conditions conditions) {
  for (const auto& [when_key, values] : applies_with(name, conditions)) {
    const auto found = settings.find(when_key);
    if (found == settings.end()) // a required when_key left out: that is the error
      continue;
    const auto& when = *find_key(keys, n, when_key);
    const auto& value = found->second;
    if (!check_value(when, value).empty()) // told as such: what it means is not known
      continue;
    if (std::any_of(values.begin(), values.end(), [&](const auto& v) { return same_value(when.type, value, v); }))
      continue;
    std::string alternatives;
    for (std::size_t i = 0; i < values.size(); ++i)
      alternatives += (i == 0 ? "" : i + 1 == values.size() ? " or " : ", ") + values[i];
    return "'" + name + "' applies only with " + when_key + ": " + alternatives + ", and " + when_key + " is " +
           (value.empty() ? "empty" : "'" + value + "'") + " here" + (is_default(when, value) ? " (the default)" : "") +
           ": leave " + name + " out, or set " + when_key + ": " + alternatives;
  }
  return "";
}

} // namespace

bool has_bounds(strata_value_type type) {
  return type == STRATA_VALUE_INT || type == STRATA_VALUE_DOUBLE || type == STRATA_VALUE_DURATION ||
         type == STRATA_VALUE_SIZE || type == STRATA_VALUE_TIMEOUT;
}

std::string check_schema(const strata_config_key* keys, std::size_t n, std::uint32_t abi_minor) {
  if (n > 0 && keys == nullptr) return "the schema declares " + std::to_string(n) + " keys but no array";
  std::set<std::string> names;
  for (std::size_t i = 0; i < n; ++i) {
    const strata_config_key& key = keys[i];
    if (key.key == nullptr || *key.key == '\0') return "schema key #" + std::to_string(i) + " has no name";
    const std::string what = "schema key '" + std::string(key.key) + "'";
    // A YAML key, and a part of the paths errors name ("layers[0].config.<key>"): no blank or dot.
    if (std::string_view(key.key).find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-") !=
        std::string_view::npos)
      return what + ": a name is letters, digits, '_' and '-' only";
    if (!names.insert(key.key).second) return what + " is declared twice";
    if (!known_type(key.type, abi_minor))
      return what + " has an unknown type " + std::to_string(abi_value(key.type)) +
             (abi_value(key.type) <= STRATA_VALUE_TIMEOUT ? " for a plugin built for ABI 1." + std::to_string(abi_minor)
                                                                 : std::string());
    if (!has_bounds(key.type) && (key.has_min || key.has_max))
      return what + ": a string, bool, file or address key takes no min or max (they would be ignored)";
    if (has_bounds(key.type) && ((key.has_min && std::isnan(key.min)) || (key.has_max && std::isnan(key.max))))
      return what + ": a bound is NaN (no value would compare with it)";
    if (has_bounds(key.type) && key.has_min && key.has_max && key.min > key.max)
      return what + ": min " + format_bound(key.type, key.min) + " is greater than max " +
             format_bound(key.type, key.max);
    if (key.default_value == nullptr) continue;
    const std::string problem = check_value(key, key.default_value);
    if (!problem.empty()) return what + ": bad default: " + problem;
  }
  return "";
}

bool applies_in(const std::string& name, const std::map<std::string, std::string>& settings,
                const strata_config_key* keys, std::size_t n, key_conditions conditions) {
  return inapplicable(name, settings, keys, n, conditions).empty();
}

std::vector<std::pair<std::string, std::vector<std::string>>> applies_with(const std::string& key,
                                                                           key_conditions conditions) {
  std::vector<std::pair<std::string, std::vector<std::string>>> with;
  for (std::size_t i = 0; i < conditions.size; ++i) {
    const auto& c = conditions.conditions[i];
    if (key != c.key)
      continue;
    auto it = std::find_if(with.begin(), with.end(), [&](const auto& w) { return w.first == c.when_key; });
    if (it == with.end())
      it = with.insert(with.end(), {c.when_key, {}});
    it->second.push_back(c.when_value);
  }
  return with;
}

std::string check_conditions(const strata_config_key* keys, std::size_t n, key_conditions conditions) {
  if (conditions.size > 0 && conditions.conditions == nullptr)
    return "the descriptor declares " + std::to_string(conditions.size) + " key conditions but no array";
  for (std::size_t i = 0; i < conditions.size; ++i) {
    const auto& c = conditions.conditions[i];
    const std::string what = "key condition #" + std::to_string(i);
    if (c.key == nullptr || c.when_key == nullptr || c.when_value == nullptr)
      return what + " lacks its key, its when_key or its when_value";
    const auto* key = find_key(keys, n, c.key);
    const auto* when = find_key(keys, n, c.when_key);
    const std::string about = what + " ('" + c.key + "' when " + c.when_key + " is '" + c.when_value + "')";
    if (key == nullptr)
      return about + ": the schema has no key '" + c.key + "'";
    if (when == nullptr)
      return about + ": the schema has no key '" + c.when_key + "'";
    if (key == when)
      return about + ": a key cannot depend on itself";
    if (key->default_value == nullptr)
      return about + ": '" + c.key + "' is required, so it cannot apply only sometimes";
    if (when->type != STRATA_VALUE_STRING && when->type != STRATA_VALUE_BOOL)
      return about + ": '" + c.when_key + "' is neither a string nor a bool key";
    if (const auto problem = check_value(*when, c.when_value); !problem.empty())
      return about + ": " + problem;
  }
  return "";
}

config_error error_at_key(const config& cfg, const std::string& path, std::string message) {
  auto error = make_error(cfg, path, std::move(message));
  if (const auto it = cfg.key_positions.find(path); it != cfg.key_positions.end())
    error.position = it->second; // the key, not its value: as for the framework's own unknown keys
  return error;
}

config_error make_error(const config& cfg, const std::string& path, std::string message) {
  config_error error{cfg.origin, {}, path, std::move(message)};
  std::string candidate = path;
  while (!candidate.empty()) {
    if (const auto it = cfg.positions.find(candidate); it != cfg.positions.end()) {
      // A key that is not written (left at its default) is placed at the key that holds it, not
      // at the first key of that key's block, which would look like the one at fault.
      const auto key = cfg.key_positions.find(candidate);
      error.position = candidate != path && key != cfg.key_positions.end() ? key->second : it->second;
      break;
    }
    const auto cut = candidate.find_last_of(".[");
    candidate.resize(cut == std::string::npos ? 0 : cut);
  }
  return error;
}

bool validate_settings(const config& cfg, const std::string& instance_path, const std::string& plugin_name,
                       const std::string& file, std::map<std::string, std::string>& settings,
                       const strata_config_key* keys, std::size_t n, std::vector<config_error>& errors,
                       key_conditions conditions) {
  const std::string plugin = plugin_named(plugin_name, file);
  const std::string config_path = instance_path + ".config";
  const auto errors_before = errors.size();
  std::vector<const strata_config_key*> set_validly; // given, of its type and bounds, not its default
  for (const auto& [name, text] : settings) {
    const std::string path = config_path + "." + name;
    const strata_config_key* key = find_key(keys, n, name);
    if (key == nullptr) {
      errors.push_back(error_at_key(cfg, path, unknown_key_message(name, plugin, keys, n)));
      continue;
    }
    const std::string problem = check_value(*key, text);
    if (!problem.empty())
      errors.push_back(make_error(cfg, path, problem));
    else if (!is_default(*key, text))
      set_validly.push_back(key);
  }
  // An instance without a `config:` mapping is told so at the instance itself.
  const std::string missing_path = cfg.positions.count(config_path) != 0 ? config_path : instance_path;
  for (std::size_t i = 0; i < n; ++i) {
    if (settings.count(keys[i].key) != 0) continue;
    if (keys[i].default_value == nullptr)
      errors.push_back(make_error(cfg, missing_path, missing_key_message(keys[i], plugin)));
    else
      settings.emplace(keys[i].key, keys[i].default_value);
  }
  const bool readable = errors.size() == errors_before;
  // Once every key has its value: a key set to other than its default where it does nothing is
  // refused at the key, as an unknown one (a pool size written for a sqlite backend was ignored
  // unseen). One at its default changes nothing either way, and is what a configuration validated
  // before, or written back by to_yaml, holds for every key.
  for (const auto* key : set_validly)
    if (auto why = inapplicable(key->key, settings, keys, n, conditions); !why.empty())
      errors.push_back(error_at_key(cfg, config_path + "." + key->key, std::move(why)));
  return readable;
}

std::string refusal_path(const std::string& instance_path, const std::map<std::string, std::string>& settings,
                         const std::string& reason) {
  const auto colon = reason.find(':');
  if (colon != std::string::npos && settings.count(reason.substr(0, colon)) != 0)
    return instance_path + ".config." + reason.substr(0, colon);
  return instance_path;
}

config_error instance_refusal(const config& cfg, const std::string& instance_path,
                              const std::map<std::string, std::string>& settings, const std::string& message) {
  const std::string marker = factory_failed;
  const auto at = message.find(marker);
  const auto path = at == std::string::npos ? instance_path
                                            : refusal_path(instance_path, settings, message.substr(at + marker.size()));
  return make_error(cfg, path, message);
}

} // namespace strata::detail
