#include "validate.hpp"

#include "config_schema.hpp"
#include "abi_value.hpp"
#include "log.hpp"
#include "runtime_bounds.hpp"

#include <strata/ascii.hpp>
#include <strata/header_token.hpp>
#include <strata/metrics_registry.hpp>
#include <strata/plugin_config.hpp>
#include <strata/runtime.hpp>
#include <strata/units.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <set>
#include <system_error>
#include <tuple>

namespace strata::detail {

namespace {

/// "" for a duration within what a YAML file may give (units::max_duration), else why not. A
/// config built in code took any: a loader_timeout, a deadline or a rule's `for` of INT64_MAX ms
/// overflowed the clock's count, and timed out (or fired) at once.
std::string too_long(std::chrono::milliseconds duration) {
  if (duration <= units::max_ttl)
    return "";
  return "must be at most " + std::to_string(units::max_duration_days) + "d (" + std::to_string(units::max_ttl.count()) +
         " ms), got " + std::to_string(duration.count()) + " ms";
}

void check_instances(const config& cfg, const std::string& section,
                     const std::vector<plugin_instance_config>& instances, std::vector<config_error>& errors) {
  std::set<std::string> names;
  for (std::size_t i = 0; i < instances.size(); ++i) {
    const auto path = section + "[" + std::to_string(i) + "]";
    if (instances[i].name.empty())
      errors.push_back(make_error(cfg, path + ".name", "needs a name"));
    else if (!plain_name(instances[i].name))
      errors.push_back(make_error(cfg, path + ".name", "expected a name of letters, digits, '_' and '-', got '" +
                                                         instances[i].name + "'"));
    else if (!names.insert(instances[i].name).second)
      errors.push_back(make_error(cfg, path + ".name", "duplicate name '" + instances[i].name + "'"));
    if (instances[i].plugin.empty())
      errors.push_back(make_error(cfg, path + ".plugin", "needs a plugin"));
  }
}

} // namespace

void check_alert_rules(const config& cfg, std::vector<config_error>& errors) {
  std::set<std::string> names, layers, handlers, exporters, rules;
  for (const auto& layer : cfg.layers)
    layers.insert(layer.name);
  for (const auto& handler : cfg.alerts.handlers)
    handlers.insert(handler.name);
  for (const auto& exporter : cfg.exporters)
    exporters.insert(exporter.name);
  for (const auto& rule : cfg.alerts.rules)
    rules.insert(rule.name);
  for (std::size_t i = 0; i < cfg.alerts.rules.size(); ++i) {
    const auto& rule = cfg.alerts.rules[i];
    const auto path = "alerts.rules[" + std::to_string(i) + "]";
    auto fail = [&](const std::string& key, std::string message) {
      errors.push_back(make_error(cfg, path + key, std::move(message)));
    };
    if (rule.name.empty())
      fail(".name", "a rule needs a name");
    else if (!telemetry::valid_label_value(rule.name)) // it labels the rule's series
      fail(".name", "is not valid UTF-8");
    else if (!names.insert(rule.name).second)
      fail(".name", "duplicate rule name '" + rule.name + "'");
    if (rule.value.empty())
      fail(".value", "a rule needs a value: hit_rate, miss_rate, error_rate, throughput, p50_latency, "
                     "p95_latency, p99_latency, rss_bytes, or a metric's name");
    const bool derived = is_derived_alert_value(rule.value);
    if (!rule.layer.empty() && layers.count(rule.layer) == 0)
      fail(".layer", "no layer named '" + rule.layer + "' in this deployment");
    if (!rule.layer.empty() && rule.value == "rss_bytes")
      fail(".layer", "'rss_bytes' is the process's, not a layer's: it takes no 'layer'");
    else if (!rule.layer.empty() && !derived && !rule.value.empty())
      fail(".layer", "'layer' applies to the derived values (hit_rate, miss_rate, error_rate, throughput, p50_latency, "
                     "p95_latency, p99_latency), and '" + rule.value + "' is none of them; for a metric family, "
                     "select the layer with labels: {cache_layer: ...}");
    if (!rule.labels.empty() && derived)
      fail(".labels", "'labels' applies to metric values only, not to '" + rule.value + "'");
    if (rule.window != stats_window::minute && !derived && !rule.value.empty())
      fail(".window", "'window' applies to the derived values only; a metric rule compares the family's current "
                      "value");
    // The host sets these labels to an instance's name: `cache_layer` on every series a layer has,
    // `handler`, `exporter` and `rule` on those of alert handlers, exporters and rules
    // (strata_alert_handler_errors_total, strata_exporter_errors_total, strata_alerts_firing, ...).
    // Another value selects nothing, and the rule would never fire.
    for (const auto& [label, known, what] : {std::tuple{"cache_layer", &layers, "layer"},
                                             std::tuple{"handler", &handlers, "alert handler"},
                                             std::tuple{"exporter", &exporters, "exporter"},
                                             std::tuple{"rule", &rules, "rule"}})
      if (const auto it = rule.labels.find(label); it != rule.labels.end() && known->count(it->second) == 0)
        fail(std::string(".labels.") + label, "no " + std::string(what) + " named '" + it->second + "' in this deployment");
    if (!is_one_of(alert_comparisons, rule.comparison))
      fail(".comparison", "expected one of <, <=, >, >=, got '" + rule.comparison + "'");
    if (!std::isfinite(rule.threshold)) // NaN compares false with everything: the rule never fires
      fail(".threshold", "expected a finite number");
    for (const auto& [key, duration] : {std::pair{".for", rule.for_duration}, std::pair{".cooldown", rule.cooldown},
                                        std::pair{".escalate_after", rule.escalate_after}})
      if (duration.count() < 0)
        fail(key, "must not be negative");
      else if (const auto why = too_long(duration); !why.empty())
        fail(key, why);
    if (rule.escalate_after.count() > 0 && rule.escalate_to <= rule.severity)
      fail(".escalate_to", std::string("must be above the rule's severity (") + to_string(rule.severity) + ")");
    // Set to other than its default where it does nothing, as a plugin's key is (key conditions).
    if (rule.escalate_after.count() == 0 && rule.escalate_to != alert_rule{}.escalate_to)
      fail(".escalate_to", "applies only with escalate_after, which is 0 here (never): leave escalate_to out, or set "
                           "escalate_after");
  }
}

namespace {

/// A layer's `embedder` must name an instance of `embedders`.
void check_layer_embedders(const config& cfg, std::vector<config_error>& errors) {
  std::set<std::string> names;
  for (const auto& e : cfg.embedders)
    names.insert(e.name);
  for (std::size_t i = 0; i < cfg.layers.size(); ++i) {
    const auto& wanted = cfg.layers[i].embedder;
    if (wanted.empty() || names.count(wanted) != 0)
      continue;
    std::string known;
    for (const auto& n : names)
      known += (known.empty() ? "" : ", ") + n;
    errors.push_back(make_error(cfg, "layers[" + std::to_string(i) + "].embedder",
                                "no embedder named '" + wanted + "' in 'embedders' (" +
                                  (known.empty() ? std::string("none is configured") : "configured: " + known) + ")"));
  }
}

/// Whether two listeners are to listen on one port of one address as written, or one of them on
/// every address that takes the other's ("::" takes IPv4's too, as Linux binds it unless
/// net.ipv6.bindv6only is set; "0.0.0.0" IPv4's only): the second bind fails, as if another
/// process held the port. Host names ignore case; `localhost` stands for the loopback address of
/// either family (its resolution gives 127.0.0.1 here, ::1 first on some systems, where a server
/// that finds one taken may bind the other: refused all the same, as the one name it is); other
/// names are not resolved (two names of one address are left to the bind).
bool one_port(const std::string& first, const std::string& second) {
  const auto a = units::parse_host_port(first);
  const auto b = units::parse_host_port(second);
  if (!a || !b || a->port == 0 || a->port != b->port)
    return false;
  const auto covers = [](const std::string& every, const std::string& host) {
    return every == "::" || (every == "0.0.0.0" && host.find(':') == std::string::npos);
  };
  const auto addresses = [](const std::string& host) {
    auto name = ascii_lower(host);
    return name == "localhost" ? std::vector<std::string>{"127.0.0.1", "::1"} : std::vector<std::string>{name};
  };
  for (const auto& x : addresses(a->host))
    for (const auto& y : addresses(b->host))
      if (x == y || covers(x, y) || covers(y, x))
        return true;
  return false;
}

/// Checks what the YAML parser checks for a file, for a config built in code.
void check_framework_settings(const config& cfg, std::vector<config_error>& errors) {
  auto fail = [&](const std::string& path, std::string message) {
    errors.push_back(make_error(cfg, path, std::move(message)));
  };
  auto check_range = [&](const char* path, int_range range, long long value) {
    if (value < range.min || value > range.max)
      fail(path, "must be between " + std::to_string(range.min) + " and " + std::to_string(range.max) + ", got " +
                   std::to_string(value));
  };
  check_range("runtime.threads", threads_range, cfg.runtime.threads);
  check_range("runtime.loader_threads", loader_threads_range, cfg.runtime.loader_threads);
  check_range("alerts.history", alert_history_range, static_cast<long long>(cfg.alerts.history));
  if (cfg.runtime.loader_timeout.count() <= 0)
    fail("runtime.loader_timeout", "must be greater than 0");
  // Every sample of the last minute is kept (1 ms: 60 000 per layer, growing ~3 MB/s for that
  // minute, ~180 MB held then), and the minute's window is only as fine as the interval.
  if (cfg.runtime.stats_interval < std::chrono::milliseconds(10) || cfg.runtime.stats_interval > std::chrono::minutes(1))
    fail("runtime.stats_interval", "must be between 10ms and 1m, got " + units::format_duration(cfg.runtime.stats_interval));
  if (cfg.runtime.shutdown_timeout.count() < 0)
    fail("runtime.shutdown_timeout", "must not be negative");
  for (const auto& [path, duration] : {std::pair{"runtime.loader_timeout", cfg.runtime.loader_timeout},
                                       std::pair{"runtime.stats_interval", cfg.runtime.stats_interval},
                                       std::pair{"runtime.shutdown_timeout", cfg.runtime.shutdown_timeout}})
    if (const auto why = too_long(duration); !why.empty())
      fail(path, why);
  if (cfg.layers.empty())
    fail("layers", "a deployment needs at least one layer");
  if (!valid_log_level(cfg.logging.level))
    fail("logging.level", "expected one of debug, info, warn, error, off, got '" + cfg.logging.level + "'");
  if (cfg.logging.output.empty())
    fail("logging.output", "expected stderr, stdout or a file path, got ''");
  if (!cfg.runtime.metrics && !cfg.exporters.empty())
    fail("exporters", "exporters need runtime.metrics: true");
  if (!cfg.runtime.metrics && !cfg.alerts.rules.empty())
    fail("alerts.rules", "alert rules need runtime.metrics: true");
  if (!cfg.runtime.metrics && !cfg.alerts.handlers.empty())
    fail("alerts.handlers", "alert handlers need runtime.metrics: true");
  if (cfg.health.min_free_disk > 0 && cfg.health.data_dir.empty())
    fail("health.min_free_disk", "the disk check needs health.data_dir");
  if (!units::parse_host_port(cfg.server.http.address))
    fail("server.http.address", "expected " + expected_address("8080") + ", got '" + cfg.server.http.address + "'");
  if (cfg.server.http.max_body == 0)
    fail("server.http.max_body", "must be greater than 0");
  if (!is_header_token(cfg.server.http.token))
    fail("server.http.token", "expected a token of visible ASCII characters, without spaces or control characters "
                              "(a client sends it in a header line)");
  const auto& resp = cfg.server.resp;
  if (!units::parse_host_port(resp.address))
    fail("server.resp.address", "expected " + expected_address("6380") + ", got '" + resp.address + "'");
  if (resp.max_bulk == 0)
    fail("server.resp.max_bulk", "must be greater than 0");
  if (resp.max_inline < 16)
    fail("server.resp.max_inline", "must be at least 16 bytes");
  if (resp.max_pipeline < resp.max_bulk + resp.max_inline)
    fail("server.resp.max_pipeline", "must be at least max_bulk + max_inline (" +
                                       std::to_string(resp.max_bulk + resp.max_inline) +
                                       " bytes), so that a request within the other limits fits");
  check_range("server.resp.max_clients", resp_clients_range, resp.max_clients);
  check_range("server.resp.max_in_flight", resp_in_flight_range, resp.max_in_flight);
  check_range("server.resp.threads", resp_threads_range, resp.threads);
  std::set<std::string> names;
  for (std::size_t i = 0; i < cfg.layers.size(); ++i) {
    const auto& layer = cfg.layers[i];
    const auto path = "layers[" + std::to_string(i) + "]";
    if (layer.name.empty())
      fail(path + ".name", "a layer needs a name");
    else if (!plain_name(layer.name))
      fail(path + ".name", "expected a layer name of letters, digits, '_' and '-', got '" + layer.name + "'");
    else if (!names.insert(layer.name).second)
      fail(path + ".name", "duplicate layer name '" + layer.name + "'");
    if (layer.plugin.empty())
      fail(path + ".plugin", "a layer needs a plugin");
    // A config built in code can hold any value of the enum's type: one of none of its names
    // wrote nowhere and answered `ok`.
    if (layer.write != write_policy::through && layer.write != write_policy::behind && layer.write != write_policy::around)
      fail(path + ".write", "expected through, behind or around, got the value " +
                              std::to_string(static_cast<int>(layer.write)));
    if (layer.deadline) {
      if (layer.deadline->count() <= 0)
        fail(path + ".deadline", "must be greater than 0");
      else if (const auto why = too_long(*layer.deadline); !why.empty())
        fail(path + ".deadline", why);
    }
  }
  check_instances(cfg, "exporters", cfg.exporters, errors);
  check_instances(cfg, "embedders", cfg.embedders, errors);
  check_layer_embedders(cfg, errors);
  check_instances(cfg, "alerts.handlers", cfg.alerts.handlers, errors);
  check_alert_rules(cfg, errors);
}

} // namespace

std::string observer_rule_problem(const std::string& layer, const std::string& value) {
  return "layer '" + layer + "' is an observer (its plugin records interactions and answers no request): its " +
         value + " is never measured; name a layer that caches, or none for the whole runtime";
}

bool is_derived_alert_value(const std::string& value) {
  static const std::set<std::string> derived{"hit_rate",    "miss_rate",   "error_rate",  "throughput",
                                             "p50_latency", "p95_latency", "p99_latency", "rss_bytes"};
  return derived.count(value) != 0;
}

namespace {

/// The plugin's own check of settings that passed its schema (ABI 1.3: an older descriptor has no
/// `check` field to read), so that what only the plugin knows to refuse is refused here, before
/// anything starts, and at the key it names.
void run_plugin_check(const config& cfg, const std::string& path, const std::string& plugin,
                      const std::map<std::string, std::string>& settings, const strata_plugin_descriptor& d,
                      std::vector<config_error>& errors) {
  if (d.abi_minor < 3 || d.check == nullptr)
    return;
  const plugin_config checked(settings);
  char why[4096] = {0};
  std::string reason;
  try { // no exception may cross the C function, but one that does must not end the host
    if (d.check(&checked, why, sizeof why) != 0)
      return;
    why[sizeof why - 1] = '\0'; // a plugin that filled it all wrote no end
    reason = why[0] != 0 ? why : "no reason given";
  } catch (const std::exception& e) {
    reason = std::string("check threw: ") + e.what();
  } catch (...) {
    reason = "check threw a non-standard exception";
  }
  // One reason per line (strata::config_refusals), each at the key it names, or at the instance.
  // A line that starts with a space goes on the reason before it (a value with a line break,
  // quoted in a reason).
  std::vector<std::string> reasons;
  for (std::size_t start = 0; start <= reason.size();) {
    auto end = reason.find('\n', start);
    if (end == std::string::npos)
      end = reason.size();
    auto line = reason.substr(start, end - start);
    start = end + 1;
    if (line.empty())
      continue;
    if (line.front() == ' ' && !reasons.empty())
      reasons.back() += "\n" + line.substr(1);
    else
      reasons.push_back(std::move(line));
  }
  for (auto& why : reasons) {
    const auto at = refusal_path(path, settings, why);
    // When the path names the key, the reason need not: "layers[0].config.policy: plugin 'predictive': 'x' is ...".
    if (const auto rest = why.find_first_not_of(" \n", why.find(':') + 1); at != path && rest != std::string::npos)
      why.erase(0, rest);
    // Escaped, as the framework's own errors quote a value: each error stays on its line.
    errors.push_back(make_error(cfg, at, "plugin '" + plugin + "': " + detail::printable(why)));
  }
}

/// Resolves the plugin of each instance of one section, checks its kind and settings, then lets
/// the plugin check them (but not the `unchecked` instances).
template <class Instance>
void resolve_section(config& cfg, plugin_loader& loader, const std::vector<std::string>& search_path,
                     const std::set<std::string>& refused_files, const std::set<std::string>& unchecked,
                     const std::string& section,
                     std::vector<Instance>& instances, strata_plugin_kind kind, const char* kind_name,
                     std::vector<const loaded_plugin*>& out, std::vector<config_error>& errors) {
  out.assign(instances.size(), nullptr);
  for (std::size_t i = 0; i < instances.size(); ++i) {
    auto& instance = instances[i];
    if (instance.plugin.empty())
      continue;
    const auto path = section + "[" + std::to_string(i) + "]";
    // The loader looks for libstrata_<name>.so: a name that is not one a plugin may declare ("x/y")
    // would name a file elsewhere. A file's reader refused it already; a config built in code is
    // refused here.
    if (!plain_name(instance.plugin)) {
      errors.push_back(make_error(cfg, path + ".plugin", "expected a plugin name of letters, digits, '_' and '-', got '" +
                                                           printable(instance.plugin) + "'"));
      continue;
    }
    auto plugin = loader.resolve(instance.plugin, search_path);
    if (!plugin) {
      // plugins.files named its file, refused there: that error says why (found again on the
      // path, it is refused again; not found, "none was found" would be wrong).
      if (refused_files.count(instance.plugin) == 0)
        errors.push_back(make_error(cfg, path + ".plugin", plugin.err().message));
      continue;
    }
    const auto* d = (*plugin)->descriptor;
    if (abi_value(d->kind) != kind) {
      errors.push_back(make_error(cfg, path + ".plugin", "plugin '" + instance.plugin + "' (" + (*plugin)->origin +
                                                           ") is not " + kind_name + " plugin"));
      continue;
    }
    // Exporters and alert handlers are defined since ABI 1.1, embedders since 1.2.
    const std::uint32_t needed = kind == STRATA_PLUGIN_EMBEDDER ? 2 : kind != STRATA_PLUGIN_LAYER ? 1 : 0;
    if (d->abi_minor < needed) {
      errors.push_back(make_error(cfg, path + ".plugin", "plugin '" + instance.plugin + "' (" + (*plugin)->origin +
                                                           ") is built for ABI 1." + std::to_string(d->abi_minor) +
                                                           "; " + kind_name + " plugin needs 1." +
                                                           std::to_string(needed) + " or newer"));
      continue;
    }
    out[i] = *plugin;
    const auto& origin = (*plugin)->origin;
    // An instance with a key that did not parse has it at its default here: which keys apply is
    // not known, as for the plugin's own check.
    const bool readable = validate_settings(cfg, path, instance.plugin, origin == "<static>" ? std::string() : origin,
                                            instance.settings, d->config_schema, d->config_schema_size, errors,
                                            unchecked.count(path) == 0 ? conditions_of(*d) : key_conditions{});
    if (readable && unchecked.count(path) == 0)
      run_plugin_check(cfg, path, instance.plugin, instance.settings, *d, errors);
  }
}

/// Loads the plugins `cfg` names and checks each instance's settings against its plugin's schema,
/// then, but for the `unchecked` instances (`layers[1]`), the plugin's own check; fills defaults.
void check_plugins(config& cfg, plugin_loader& loader, const std::vector<const strata_plugin_descriptor*>& static_plugins,
                   const std::set<std::string>& unchecked, resolved_plugins& plugins_out,
                   std::vector<config_error>& errors) {
  for (const auto* descriptor : static_plugins)
    if (auto added = loader.add_static(descriptor); !added)
      errors.push_back(config_error{cfg.origin, {}, "", added.err().message});
  std::set<std::string> refused_files; // the <name> of each libstrata_<name>.so refused
  for (std::size_t i = 0; i < cfg.plugin_files.size(); ++i)
    if (auto loaded = loader.load_file(cfg.plugin_files[i]); !loaded) {
      errors.push_back(make_error(cfg, "plugins.files[" + std::to_string(i) + "]", loaded.err().message));
      if (auto name = plugin_name_of_file(std::filesystem::path(cfg.plugin_files[i]).filename().string()); !name.empty())
        refused_files.insert(std::move(name));
    }
  // A directory that is not there would be skipped, and the default plugins loaded without a word.
  for (std::size_t i = 0; i < cfg.plugin_path.size(); ++i) {
    std::error_code ec;
    const auto kind = std::filesystem::status(cfg.plugin_path[i], ec).type();
    if (kind != std::filesystem::file_type::directory)
      errors.push_back(make_error(cfg, "plugins.path[" + std::to_string(i) + "]",
                                  "'" + cfg.plugin_path[i] + "' is " +
                                    (kind == std::filesystem::file_type::not_found ? "not there" : "not a directory") +
                                    "; expected a directory of plugins"));
  }
  auto search_path = cfg.plugin_path;
  for (auto& dir : default_plugin_path())
    search_path.push_back(dir);
  resolve_section(cfg, loader, search_path, refused_files, unchecked, "layers", cfg.layers, STRATA_PLUGIN_LAYER, "a layer", plugins_out.layers,
                  errors);
  const auto& layers = plugins_out.layers;
  // An observer answers nothing: with no other layer, every put would be declined and every get
  // miss, for a reason no error names.
  if (!layers.empty() && std::all_of(layers.begin(), layers.end(), [](const loaded_plugin* p) {
        return p != nullptr && is_observer(*p->descriptor);
      }))
    errors.push_back(make_error(cfg, "layers", "every layer is an observer (its plugin records interactions and "
                                               "answers no request): a deployment needs one that caches"));
  // Nor is an observer measured: a rule on its hit rate or throughput compared a 0 for ever.
  for (std::size_t r = 0; r < cfg.alerts.rules.size(); ++r) {
    const auto& rule = cfg.alerts.rules[r];
    if (rule.layer.empty() || !is_derived_alert_value(rule.value))
      continue;
    for (std::size_t i = 0; i < cfg.layers.size() && i < layers.size(); ++i)
      if (cfg.layers[i].name == rule.layer && layers[i] != nullptr && is_observer(*layers[i]->descriptor))
        errors.push_back(
          make_error(cfg, "alerts.rules[" + std::to_string(r) + "].layer", observer_rule_problem(rule.layer, rule.value)));
  }
  resolve_section(cfg, loader, search_path, refused_files, unchecked, "exporters", cfg.exporters, STRATA_PLUGIN_EXPORTER, "an exporter",
                  plugins_out.exporters, errors);
  resolve_section(cfg, loader, search_path, refused_files, unchecked, "embedders", cfg.embedders, STRATA_PLUGIN_EMBEDDER, "an embedder",
                  plugins_out.embedders, errors);
  resolve_section(cfg, loader, search_path, refused_files, unchecked, "alerts.handlers", cfg.alerts.handlers, STRATA_PLUGIN_ALERT_HANDLER,
                  "an alert handler", plugins_out.handlers, errors);
}

/// The instance a path belongs to (`layers[1]` of `layers[1].config.x`), or "" outside one.
std::string instance_of(const std::string& path) {
  const auto end = path.find(']');
  return end == std::string::npos ? std::string() : path.substr(0, end + 1);
}

/// Whether `path` is the instance's name, plugin or config mapping: what says which plugin it is
/// and what its settings are.
bool names_the_plugin(const std::string& path, const std::string& instance) {
  return path == instance + ".name" || path == instance + ".plugin" || path == instance + ".config";
}

/// Whether `path`, under `instance`, says what the instance's plugin is or holds: the above, or a
/// key in its config.
bool of_the_plugin(const std::string& path, const std::string& instance) {
  return names_the_plugin(path, instance) || path.rfind(instance + ".config.", 0) == 0 ||
         path.rfind(instance + ".config[", 0) == 0;
}

/// Whether a plugin check's error `found` on a partly parsed file follows from `parse_error`
/// rather than adding to it: at or under its path; at an instance whose name, plugin or config
/// mapping did not parse; or a required key that is there but did not parse. A layer's other keys
/// (deadline, write, ...) say nothing of its plugin's settings, whose errors are listed beside
/// theirs (they were dropped: a file with `deadline: 0ms` showed its `max_entries: 0` only once
/// the deadline was mended).
bool follows_from(const config_error& found, const config_error& parse_error) {
  const auto& p = parse_error.path;
  if (found.path == p || found.path.rfind(p + ".", 0) == 0 || found.path.rfind(p + "[", 0) == 0)
    return true;
  const auto instance = instance_of(p);
  if (instance.empty() || instance != instance_of(found.path))
    return false;
  if (names_the_plugin(p, instance))
    return true;
  const std::string config_prefix = instance + ".config.";
  if (p.rfind(config_prefix, 0) != 0)
    return false;
  const auto key = p.substr(config_prefix.size(), p.find_first_of(".[", config_prefix.size()) - config_prefix.size());
  return found.message.rfind("missing required key '" + key + "'", 0) == 0;
}

} // namespace

namespace {

/// A file or a port a part of the deployment takes: the key that names it, and its value.
struct claim {
  std::string path;
  std::string value;
  std::string file; ///< for a file, its identity (file_identity), computed once; empty for a port
  bool by_default = false; ///< the plugin's default, not written in the deployment
};

/// "-" for standard output (an instance's "-", the log's "stdout", /dev/stdout), else the file as an absolute,
/// normal path (links are not followed: two names of one file are left to the start).
std::string file_identity(const std::string& value, bool is_log) {
  if ((is_log ? value == "stdout" : value == "-") || value == "/dev/stdout")
    return "-";
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(value, ec);
  return (ec ? std::filesystem::path(value) : absolute).lexically_normal().string();
}

/// What the instances of a section take through their plugins' file and address keys (ABI 1.6).
template <class Instance>
void add_claims(const config& cfg, const std::string& section, const std::vector<Instance>& instances,
                const std::vector<const loaded_plugin*>& plugins, std::vector<claim>& files,
                std::vector<claim>& addresses) {
  for (std::size_t i = 0; i < instances.size() && i < plugins.size(); ++i) {
    if (plugins[i] == nullptr)
      continue;
    const auto& d = *plugins[i]->descriptor;
    for (std::size_t k = 0; k < d.config_schema_size; ++k) {
      const auto& key = d.config_schema[k];
      const auto value = instances[i].settings.find(key.key);
      if (value == instances[i].settings.end() ||
          !applies_in(key.key, instances[i].settings, d.config_schema, d.config_schema_size, conditions_of(d)))
        continue;
      const auto path = section + "[" + std::to_string(i) + "].config." + key.key;
      const bool by_default =
        key.default_value != nullptr && value->second == key.default_value && cfg.positions.count(path) == 0;
      if (abi_value(key.type) == STRATA_VALUE_FILE && !value->second.empty())
        files.push_back({path, value->second, file_identity(value->second, false), by_default});
      else if (abi_value(key.type) == STRATA_VALUE_LISTEN_ADDRESS)
        addresses.push_back({path, value->second, {}});
    }
  }
}

/// Two parts of the deployment on one file (or both on standard output), or listening on one
/// port: a snapshot's rename replaced the log file, log lines broke a JSON stream, two json
/// exporters overwrote each other's file without a word, and two SQLite layers on one file, an
/// exporter on the HTTP API's port, or the HTTP and Redis front ends on one, were refused only by
/// the start. After the plugins' defaults are filled in (the json exporter writes to "-" when
/// `path` is not given).
void check_claims(const config& cfg, const resolved_plugins& plugins, std::vector<config_error>& errors) {
  std::vector<claim> files, addresses;
  if (cfg.logging.output != "stderr")
    files.push_back({"logging.output", cfg.logging.output, file_identity(cfg.logging.output, true)});
  // The front ends are strata serve's: a host that embeds the runtime serves neither, and its
  // exporter on their default ports is no clash. So they count when the file has a server section.
  const bool served = cfg.positions.count("server") != 0;
  if (served && cfg.server.http.enabled)
    addresses.push_back({"server.http.address", cfg.server.http.address, {}});
  if (served && cfg.server.resp.enabled)
    addresses.push_back({"server.resp.address", cfg.server.resp.address, {}});
  add_claims(cfg, "layers", cfg.layers, plugins.layers, files, addresses);
  add_claims(cfg, "exporters", cfg.exporters, plugins.exporters, files, addresses);
  add_claims(cfg, "embedders", cfg.embedders, plugins.embedders, files, addresses);
  add_claims(cfg, "alerts.handlers", cfg.alerts.handlers, plugins.handlers, files, addresses);
  for (std::size_t i = 0; i < files.size(); ++i) {
    if (files[i].file == "/dev/null") // what is written there is dropped: any number may
      continue;
    for (std::size_t j = 0; j < i; ++j) {
      const auto& earlier = files[j];
      // Two defaults, neither standard output: one used by two instances is refused by the
      // plugin at the start (two global layers: the file's lock), or shared as it would be by two
      // processes (two diaries, whose records name their writer). (A key that does nothing where
      // it stands, sqlite_path with backend postgres, claims nothing.)
      if (earlier.file != files[i].file || (earlier.by_default && files[i].by_default && files[i].file != "-"))
        continue;
      const bool log = earlier.path == "logging.output";
      std::string why;
      if (files[i].file == "-")
        why = log ? "writes to standard output, as logging.output does: the log's lines would break its stream (log "
                    "to stderr or a file)"
                  : "writes to standard output, as " + earlier.path + " does: the two would interleave";
      else
        why = "'" + files[i].value + "' is also " + earlier.path + (log ? "" : " ('" + earlier.value + "')") +
              ": each would overwrite the other";
      errors.push_back(make_error(cfg, files[i].path, why));
      break;
    }
  }
  for (std::size_t i = 1; i < addresses.size(); ++i)
    for (std::size_t j = 0; j < i; ++j)
      if (one_port(addresses[j].value, addresses[i].value)) {
        errors.push_back(make_error(cfg, addresses[i].path,
                                    "'" + addresses[i].value + "' is where " + addresses[j].path + " listens too ('" +
                                      addresses[j].value + "'): give each its own port"));
        break;
      }
}

/// Fills in `detached` where the file leaves it out, as the plugin declares it, so that
/// check-config prints what the runtime does.
void fill_detached(config& cfg, const resolved_plugins& plugins) {
  for (std::size_t i = 0; i < cfg.layers.size() && i < plugins.layers.size(); ++i)
    if (plugins.layers[i] != nullptr && !cfg.layers[i].detached)
      cfg.layers[i].detached = default_detached(*plugins.layers[i]->descriptor);
}

/// Each layer's timeout keys (ABI 1.7) against the deadline it waits with: its own, else its
/// plugin's, else the runtime's; for an observer, whose requests are commands, at least 5 s. At or
/// above it, the coordinator answered a request that waited so long `timeout` before the layer
/// could answer on its own, and 5 s past it took the instance to hang. A relation: not checked for
/// a layer whose deadline was refused, nor on a file that did not parse whole. Then fills in the
/// deadlines not given, as check-config prints them.
void check_timeouts(config& cfg, const resolved_plugins& plugins, std::vector<config_error>& errors) {
  for (std::size_t i = 0; i < cfg.layers.size() && i < plugins.layers.size(); ++i) {
    auto& layer = cfg.layers[i];
    const auto path = "layers[" + std::to_string(i) + "]";
    if (plugins.layers[i] == nullptr ||
        std::any_of(errors.begin(), errors.end(), [&](const config_error& e) { return e.path == path + ".deadline"; }))
      continue;
    const auto& d = *plugins.layers[i]->descriptor;
    const bool given = layer.deadline.has_value();
    if (!given)
      layer.deadline = default_deadline(d);
    const bool observer = is_observer(d);
    const auto waits_for = request_wait(d, *layer.deadline);
    const std::string whose = given ? ""
                              : declares_deadline(d) ? ", its plugin's default"
                                                                               : ", the runtime's default";
    for (std::size_t k = 0; k < d.config_schema_size; ++k) {
      const auto& key = d.config_schema[k];
      if (abi_value(key.type) != STRATA_VALUE_TIMEOUT)
        continue;
      const auto at = path + ".config." + key.key;
      const auto value = layer.settings.find(key.key);
      if (value == layer.settings.end() || !outlasts(value->second, waits_for) ||
          std::any_of(errors.begin(), errors.end(), [&](const config_error& e) { return e.path == at; }))
        continue; // a value of the wrong form, or out of its bounds, is refused by the schema check
      errors.push_back(make_error(
        cfg, at,
        "'" + value->second + "' is not below the layer's " + (observer ? "commands' " : "") + "deadline (" +
          std::to_string(waits_for.count()) + "ms" + whose + (observer && waits_for != *layer.deadline ? ", at least 5 s" : "") +
          "): a request that waits so long would be answered `timeout` by the coordinator before the layer could "
          "answer; give " + path + ".deadline more than it, or this less"));
    }
  }
}

} // namespace

config_report validate_with(config cfg, plugin_loader& loader,
                            const std::vector<const strata_plugin_descriptor*>& static_plugins,
                            resolved_plugins& plugins_out) {
  config_report report;
  auto& errors = report.errors;
  check_framework_settings(cfg, errors);
  check_plugins(cfg, loader, static_plugins, {}, plugins_out, errors);
  check_timeouts(cfg, plugins_out, errors);
  fill_detached(cfg, plugins_out);
  check_claims(cfg, plugins_out, errors);
  if (errors.empty())
    report.effective = std::move(cfg);
  return report;
}

config_report parse_config_file_with_plugin_errors(const std::string& path,
                                                   const std::vector<const strata_plugin_descriptor*>& static_plugins) {
  auto parsed = parse_config_file_partial(path);
  if (parsed.ok() || !parsed.effective)
    return parsed;
  config partial = std::move(*parsed.effective);
  parsed.effective.reset();
  // Without the plugins' own section, or a document, there is nothing sound to check against.
  for (const auto& e : parsed.errors)
    if (e.path.empty() || e.path == "plugins" || e.path.rfind("plugins.", 0) == 0)
      return parsed;
  // A plugin's own check of a config with a key left at its default (it did not parse) could
  // refuse a combination the file does not have. A layer's own keys (deadline, write, ...) are
  // not its plugin's: checked all the same.
  std::set<std::string> unchecked;
  for (const auto& e : parsed.errors) {
    const auto instance = instance_of(e.path);
    if (instance.empty() || e.path == instance || of_the_plugin(e.path, instance))
      unchecked.insert(instance);
  }
  plugin_loader loader;
  resolved_plugins plugins;
  std::vector<config_error> found;
  check_plugins(partial, loader, static_plugins, unchecked, plugins, found);
  const auto parse_errors = parsed.errors.size();
  for (auto& e : found)
    if (std::none_of(parsed.errors.begin(), parsed.errors.begin() + static_cast<std::ptrdiff_t>(parse_errors),
                     [&](const config_error& p) { return follows_from(e, p); }))
      parsed.errors.push_back(std::move(e));
  return parsed; // listed in the file's order by errors_text and errors_in_file_order
}

} // namespace strata::detail

namespace strata {

config_report validate(config cfg, const std::vector<const strata_plugin_descriptor*>& static_plugins) {
  detail::plugin_loader loader;
  detail::resolved_plugins plugins;
  return detail::validate_with(std::move(cfg), loader, static_plugins, plugins);
}

config_report check_config_file(const std::string& path) {
  auto parsed = detail::parse_config_file_with_plugin_errors(path, {});
  if (!parsed.ok())
    return parsed;
  return validate(std::move(*parsed.effective));
}

} // namespace strata
