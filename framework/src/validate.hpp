#pragma once
// Validation of a whole deployment against the plugins it names.

#include "plugin_loader.hpp"

#include <strata/config.hpp>

#include <vector>

namespace strata::detail {

/// The plugin of each configured instance, by position.
struct resolved_plugins {
  std::vector<const loaded_plugin*> layers;
  std::vector<const loaded_plugin*> exporters;
  std::vector<const loaded_plugin*> handlers;
  std::vector<const loaded_plugin*> embedders;
};

/// Loads the plugins `cfg` names through `loader`, checks each instance's settings against its
/// plugin's schema and fills defaults. On success `plugins_out` holds every instance's plugin.
config_report validate_with(config cfg, plugin_loader& loader,
                            const std::vector<const strata_plugin_descriptor*>& static_plugins,
                            resolved_plugins& plugins_out);

/// Parses a file as `parse_config_file` does, but when some of it does not parse, `effective`
/// still holds the rest (what did not parse left out or at its default).
config_report parse_config_file_partial(const std::string& path);

/// Parses a file as `parse_config_file` does; when some of it does not parse, the errors also hold
/// what the plugins find wrong in the rest, in file order, so that one run reports every error
/// (leaving out what follows from an error already there). `static_plugins` are the host's
/// plugins given in code, as `validate` takes them.
config_report parse_config_file_with_plugin_errors(const std::string& path,
                                                   const std::vector<const strata_plugin_descriptor*>& static_plugins);

/// Appends what is wrong with `cfg.alerts.rules` (names, comparisons, thresholds, durations, the
/// layers they name), placed at each rule's key; `config` validation and `reload_alert_rules` share it.
void check_alert_rules(const config& cfg, std::vector<config_error>& errors);

/// The names an alert rule's `value` may take besides a metric family's name.
bool is_derived_alert_value(const std::string& value);

/// Why a rule of the derived value `value` cannot be on the observer layer `layer`: it answers no
/// request, and is never measured (a `<` rule on its throughput fired for ever).
std::string observer_rule_problem(const std::string& layer, const std::string& value);

} // namespace strata::detail
