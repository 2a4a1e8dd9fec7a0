// Alert rules against the running deployment, their events, rules replaced in code
// (runtime::reload_alert_rules) or by a reload of the file (runtime::reload, which also applies
// logging.level and says what else changed and needs a restart).

#include "runtime_impl.hpp"

namespace strata {

namespace {

/// The labels of the runtime's own counters and gauges that may have no series yet when rules are
/// checked (before the first rule or alert event, before the semantic router starts) but will
/// have; null for another family.
const std::set<std::string>* published_later(const std::string& family) {
  static const std::map<std::string, std::set<std::string>> later = {
    {"strata_alerts_firing", {"rule", "severity"}},
    {"strata_alert_events_total", {"rule", "transition"}},
    {"strata_semantic_rejected_hits_total", {"cache_layer", "reason"}},
  };
  const auto it = later.find(family);
  return it == later.end() ? nullptr : &it->second;
}

/// What exports a family of docs/metrics.md that only some deployments have, or null: told "no
/// metric family named", a user looking it up in the docs found it there.
const char* exported_with(const std::string& family) {
  static const std::map<std::string, const char*> with = {
    {"strata_data_dir_free_bytes", "health.data_dir"},
    {"strata_exporter_errors_total", "an exporter"},
    {"strata_alert_handler_errors_total", "an alert handler"},
    {"strata_semantic_similarity", "a semantic layer"},
    {"strata_predictive_admissions_rejected_total", "a predictive layer"},
    {"strata_predictive_prefetches_total", "a predictive layer"},
    {"strata_predictive_prefetch_accuracy", "a predictive layer"},
    {"strata_predictive_prediction_confidence", "a predictive layer"},
    {"strata_predictive_model_version", "a predictive layer"},
    {"strata_predictive_model_updates_total", "a predictive layer"},
    {"strata_predictive_model_last_update_seconds", "a predictive layer"},
    {"strata_predictive_model_reads_dropped_total", "a predictive layer"},
    {"strata_predictive_leader_changes_total", "a predictive layer"},
    {"strata_predictive_window_fraction", "a predictive layer"},
    {"strata_vector_searches_total", "a vector layer"},
    {"strata_vector_tombstones", "a vector layer"},
    {"strata_vector_compactions_total", "a vector layer"},
    {"strata_global_sync_latency_seconds", "a global layer"},
    {"strata_global_sync_messages_total", "a global layer"},
    {"strata_global_heard_until_seconds", "a global layer"},
    {"strata_global_errors_total", "a global layer"},
    {"strata_diary_records_total", "a diary layer"},
    {"strata_diary_buffered_records", "a diary layer"},
    {"strata_diary_write_errors_total", "a diary layer"},
    {"strata_diary_archived_total", "a diary layer"},
  };
  const auto it = with.find(family);
  return it == with.end() ? nullptr : it->second;
}

/// Whether the running chain has a layer named `layer`.
bool in_chain(const runtime_impl& impl, const std::string& layer) {
  return std::any_of(impl.cfg.layers.begin(), impl.cfg.layers.end(),
                     [&](const layer_config& l) { return l.name == layer; });
}

/// Whether the layer `layer` of the chain is an observer (it records interactions, answers nothing).
bool observes(const runtime_impl& impl, const std::string& layer) {
  for (std::size_t i = 0; i < impl.cfg.layers.size(); ++i)
    if (impl.cfg.layers[i].name == layer)
      return impl.shared->observer_relays.count(i) != 0;
  return false;
}

/// Why a metric rule's label `name: value` can select no sample of family `family`, whose samples
/// carry the labels `names`, if it cannot: a label the family does not have, or a layer outside
/// the chain (a typo there would leave the rule silent for ever). Other values may appear later,
/// and are not judged.
std::optional<std::string> label_problem(const runtime_impl& impl, const std::string& family,
                                         const std::set<std::string>& names, const std::string& name,
                                         const std::string& value) {
  if (names.empty())
    return "'" + family + "' has no labels";
  if (names.count(name) == 0) {
    std::string known;
    for (const auto& n : names)
      known += (known.empty() ? "" : ", ") + n;
    return "'" + family + "' has no label '" + name + "' (its labels: " + known + ")";
  }
  if (name == "cache_layer" && !in_chain(impl, value))
    return "no layer named '" + value + "' in the running chain";
  return std::nullopt;
}

} // namespace

std::vector<std::string> detail::alert_rule_problems(const runtime_impl& impl, const std::vector<alert_rule>& rules,
                                                     const config* where) {
  std::vector<std::string> problems;
  const auto problem = [&](const std::string& path, const std::string& message) {
    problems.push_back(where ? detail::make_error(*where, path, message).to_string() : path + ": " + message);
  };
  const auto families = impl.metrics ? impl.hub->metrics() : std::vector<metric_family>{};
  for (std::size_t i = 0; i < rules.size(); ++i) {
    const auto& rule = rules[i];
    const auto at = "alerts.rules[" + std::to_string(i) + "]";
    if (!rule.layer.empty() && !in_chain(impl, rule.layer))
      problem(at + ".layer", "no layer named '" + rule.layer + "' in the running chain");
    else if (!rule.layer.empty() && detail::is_derived_alert_value(rule.value) && observes(impl, rule.layer))
      problem(at + ".layer", detail::observer_rule_problem(rule.layer, rule.value));
    if (!impl.metrics || detail::is_derived_alert_value(rule.value))
      continue;
    const auto it = std::find_if(families.begin(), families.end(), [&](const auto& f) { return f.name == rule.value; });
    if (const auto* later = published_later(rule.value); it == families.end() && later != nullptr) {
      for (const auto& [name, value] : rule.labels)
        if (auto why = label_problem(impl, rule.value, *later, name, value))
          problem(at + ".labels." + name, *why);
      continue;
    }
    if (const char* needs = exported_with(rule.value); it == families.end() && needs != nullptr)
      problem(at + ".value", "'" + rule.value + "' is not exported by this deployment: it comes with " + needs);
    else if (it == families.end())
      problem(at + ".value", "no metric family named '" + rule.value +
                               "' (see docs/metrics.md; derived values: hit_rate, miss_rate, error_rate, throughput, "
                               "p50_latency, p95_latency, p99_latency, rss_bytes)");
    else if (it->type == metric_type::histogram)
      problem(at + ".value", "'" + rule.value + "' is a histogram; a rule compares a counter or gauge (for latency use "
                                                "p50_latency, p95_latency, p99_latency)");
    else if (!it->samples.empty()) { // with no sample yet, nothing says which labels it will have
      std::set<std::string> names;
      for (const auto& sample : it->samples)
        for (const auto& label : sample.labels)
          names.insert(label.first);
      for (const auto& [name, value] : rule.labels)
        if (auto why = label_problem(impl, rule.value, names, name, value))
          problem(at + ".labels." + name, *why);
    }
  }
  return problems;
}

namespace {

/// Counts, logs and sends `events` to the alert dispatcher.
void deliver_alert_events(runtime_impl& impl, const std::vector<alert_event>& events) {
  for (const auto& event : events) {
    {
      std::lock_guard<std::mutex> guard(impl.alert_events_mutex);
      if (auto it = impl.alert_events.find({event.rule, event.transition}); it != impl.alert_events.end())
        it->second->inc();
    }
    if (impl.logs_alert_events) {
      detail::log_fields fields;
      fields.message = std::string("alert ") + event.rule + " " + to_string(event.transition) + " (" +
                       to_string(event.severity) + "): " + event.summary;
      // At the level its severity calls for, as the `log` handler writes it: an info rule's firing
      // logged at warn looked like a problem.
      auto level = log_level::info;
      if (event.transition != alert_transition::resolved && event.severity != alert_severity::info)
        level = event.severity == alert_severity::critical ? log_level::error : log_level::warn;
      impl.log->write(level, fields);
    }
    for (const auto& route : impl.alert_routes) {
      route.queued->fetch_add(1);
      caf::anon_send(route.dispatcher, detail::alert_atom::value, event);
    }
  }
}

} // namespace

void detail::evaluate_alerts(runtime_impl& impl) {
  // Metric rules share one collection of the families (and of the system checks behind them).
  std::optional<std::vector<metric_family>> families;
  const auto metrics_now = [&]() -> const std::vector<metric_family>& {
    if (!families)
      families = impl.hub->metrics();
    return *families;
  };
  std::lock_guard<std::mutex> guard(impl.alert_delivery_mutex);
  deliver_alert_events(impl, impl.alerts->evaluate(std::chrono::steady_clock::now(), std::chrono::system_clock::now(),
                                                   [&](const alert_rule& rule) {
                                                     return impl.hub->alert_value(rule, metrics_now);
                                                   }));
}

void detail::register_alert_events(runtime_impl& impl, const std::vector<alert_rule>& rules) {
  std::lock_guard<std::mutex> guard(impl.alert_events_mutex);
  for (const auto& rule : rules)
    for (auto t : {alert_transition::firing, alert_transition::escalated, alert_transition::resolved})
      if (impl.alert_events.count({rule.name, t}) == 0)
        impl.alert_events[{rule.name, t}] =
          &impl.metrics->counter("strata_alert_events_total", "Alert events by rule and transition.",
                                 {"rule", "transition"}, {rule.name, to_string(t)});
}

namespace {

/// Replaces the running rules with `rules` (read from `where`, when not built in code), or
/// changes nothing and says why, one line each.
std::vector<std::string> apply_alert_rules(runtime_impl& impl, std::vector<alert_rule> rules, const config* where) {
  if (!impl.alerts) {
    const std::string why = "alert rules need runtime.metrics: true, which needs a restart";
    return {where ? detail::make_error(*where, "alerts.rules", why).to_string() : "alerts.rules: " + why};
  }
  if (auto problems = detail::alert_rule_problems(impl, rules, where); !problems.empty())
    return problems;
  detail::register_alert_events(impl, rules);
  std::lock_guard<std::mutex> guard(impl.reload_mutex);
  impl.current_rules = rules;
  std::lock_guard<std::mutex> delivery(impl.alert_delivery_mutex);
  deliver_alert_events(impl, impl.alerts->replace_rules(std::move(rules), std::chrono::system_clock::now()));
  return {};
}

} // namespace

std::optional<error> runtime::reload_alert_rules(std::vector<alert_rule> rules) {
  // What a deployment's validation refuses in a rule (a file's reload has had it already).
  std::vector<config_error> errors;
  {
    config probe;
    probe.layers = impl_->cfg.layers;
    probe.alerts.rules = rules;
    detail::check_alert_rules(probe, errors);
  }
  if (!errors.empty()) {
    std::vector<std::string> lines;
    for (const auto& e : errors) // rules given in code: no file to name
      lines.push_back(e.path + ": " + e.message);
    return error{status::invalid, detail::joined(lines)};
  }
  if (const auto problems = apply_alert_rules(*impl_, std::move(rules), nullptr); !problems.empty())
    return error{status::invalid, detail::joined(problems)};
  return std::nullopt;
}

namespace {

std::string rule_names(const std::vector<alert_rule>& rules) {
  std::string out;
  for (const auto& rule : rules)
    out += (out.empty() ? "" : ", ") + rule.name;
  return out.empty() ? "(none)" : out;
}

} // namespace

reload_report runtime::reload(const std::string& path) {
  reload_report report;
  auto& log = *impl_->log;
  auto checked = check_config_file(path);
  std::optional<std::string> new_level;
  std::string level_before;
  // A new log file the next start could not open: refused now, as a plugin's refusal is, rather
  // than listed as needing that restart.
  const auto output_problem = [&](const config& next) {
    return next.logging.output == impl_->cfg.logging.output ? std::string() : detail::log_output_problem(next.logging.output);
  };
  if (!checked.ok()) {
    for (const auto& e : checked.errors_in_file_order())
      report.errors.push_back(without_password(e.to_string())); // a plugin's refusal may quote a URL
  } else if (const auto problem = output_problem(*checked.effective); !problem.empty()) {
    report.errors.push_back(detail::make_error(*checked.effective, "logging.output", problem).to_string());
  } else {
    config next = std::move(*checked.effective);
    std::vector<alert_rule> rules_now;
    {
      std::lock_guard<std::mutex> guard(impl_->reload_mutex);
      rules_now = impl_->current_rules;
      level_before = impl_->current_level;
    }
    // to_yaml writes the rules as they are; comparing them as text says whether they changed.
    config before = impl_->cfg, after = impl_->cfg;
    before.alerts.rules = rules_now;
    after.alerts.rules = next.alerts.rules;
    const bool rules_changed = !detail::config_differences(before, after).empty();
    if (rules_changed)
      report.errors = apply_alert_rules(*impl_, next.alerts.rules, &next);
    if (report.errors.empty()) {
      report.valid = true;
      // What else differs from the deployment as started needs a restart (said of a file taken
      // only: a refused one changes nothing and says why).
      config compared = next;
      compared.alerts.rules = impl_->cfg.alerts.rules;
      compared.logging.level = impl_->cfg.logging.level;
      report.needs_restart = detail::config_differences(impl_->cfg, compared);
      if (rules_changed)
        report.applied.push_back("alerts.rules: " + rule_names(rules_now) + " -> " + rule_names(next.alerts.rules));
      if (next.logging.level != level_before) {
        new_level = next.logging.level;
        report.applied.push_back("logging.level: " + level_before + " -> " + next.logging.level);
      }
    }
  }
  // A level that shows more applies before the lines below, one that shows less after them: so
  // that they are written either way.
  if (new_level && detail::shows_more(*new_level, level_before))
    set_log_level(*std::exchange(new_level, std::nullopt));
  for (const auto& e : report.errors)
    log.write(log_level::error, detail::message("reload of " + path + " refused, nothing changed: " + e));
  for (const auto& a : report.applied)
    log.write(log_level::info, detail::message("reload of " + path + " applied " + a));
  for (const auto& key : report.needs_restart)
    log.write(log_level::warn, detail::message("reload of " + path + ": " + key + " changed and needs a restart"));
  if (report.valid && report.applied.empty() && report.needs_restart.empty())
    log.write(log_level::info, detail::message("reload of " + path + ": nothing changed"));
  if (new_level)
    set_log_level(*new_level);
  return report;
}

} // namespace strata
