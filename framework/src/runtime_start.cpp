// runtime::from_file and runtime::from_config: a deployment validated, its plugins' instances
// created, its actors started, or the reason it did not start.

#include "runtime_impl.hpp"

namespace strata {

namespace {

/// Half the cores, at least two: a layer on the scheduler that blocks (or computes for long) holds
/// its thread, and with one thread it held the coordinator too, whose deadlines then never fired.
int scheduler_threads(int configured) {
  if (configured > 0)
    return configured;
  return std::max(2u, std::thread::hardware_concurrency() / 2);
}

} // namespace

expected<std::unique_ptr<runtime>> runtime::from_file(const std::string& path, runtime_options options) {
  // Every error in one run, as check-config reports them.
  auto parsed = detail::parse_config_file_with_plugin_errors(path, options.static_plugins);
  if (!parsed.ok())
    return error{status::invalid, parsed.message()};
  return from_config(std::move(*parsed.effective), std::move(options));
}

namespace {

/// A refusal, placed at `path` in the configuration.
error placed(const config& cfg, const std::string& path, const error& e) {
  return error{e.code, detail::make_error(cfg, path, e.message).to_string()};
}

/// A factory's refusal of the instance at `path`: placed at the setting its reason starts with
/// ("policy: 'x' is neither ...", the plugins' convention) when the instance has that setting,
/// else at the instance.
error placed_instance(const config& cfg, const std::string& path, const std::map<std::string, std::string>& settings,
                      const error& e) {
  return error{e.code, detail::instance_refusal(cfg, path, settings, e.message).to_string()};
}

/// Creates one instance of each configured exporter or handler, each with its own host.
template <class T>
expected<std::vector<detail::named_instance<T>>> create_instances(
  runtime_impl& impl, const std::vector<plugin_instance_config>& configs,
  const std::vector<const detail::loaded_plugin*>& plugins, const char* section, const char* kind, const char* label,
  const std::string& errors_family, const std::string& errors_help, void* source) {
  std::vector<detail::named_instance<T>> out;
  auto& registry = impl.metrics ? *impl.metrics : impl.unexported;
  for (std::size_t i = 0; i < configs.size(); ++i) {
    const auto& c = configs[i];
    impl.hosts.push_back(std::make_unique<detail::instance_host>(label, c.name, impl.metrics.get(),
                                                                 detail::instance_host::health_fn{}, impl.log));
    auto instance = detail::create_instance<T>(
      *plugins[i], detail::instance_request{std::string(kind) + " '" + c.name + "'", c.name, &c.settings,
                                            impl.hosts.back()->api(), source});
    if (!instance)
      return placed_instance(impl.cfg, std::string(section) + "[" + std::to_string(i) + "]", c.settings, instance.err());
    instruments::counter* errors = nullptr;
    try { // the family is shared with the plugins, and one may have registered it otherwise
      errors = &registry.counter(errors_family, errors_help, {label}, {c.name});
    } catch (const std::invalid_argument& e) {
      return placed(impl.cfg, std::string(section) + "[" + std::to_string(i) + "]",
                    error{status::invalid, std::string(kind) + " '" + c.name + "': " + e.what()});
    }
    out.push_back(detail::named_instance<T>{c.name, std::move(*instance), errors});
  }
  return out;
}

/// Which of the semantic and the vector operations layer i offers (asked of its first instance;
/// only plugins built for ABI 1.2 or newer are asked).
struct offered_operations {
  bool semantic = false;
  bool vectors = false;
};

offered_operations offered_by(const detail::resolved_plugins& plugins,
                              const std::vector<std::shared_ptr<detail::layer_instance>>& instances, std::size_t i) {
  if (plugins.layers[i]->descriptor->abi_minor < 2)
    return {};
  return {instances[i]->get().semantic() != nullptr, instances[i]->get().vectors() != nullptr};
}

/// The layers that serve the semantic and the vector operations: the first of the chain to offer
/// each.
std::pair<std::optional<detail::capability_target>, std::optional<detail::capability_target>>
find_capability_targets(runtime_impl& impl, const detail::resolved_plugins& plugins,
                        const std::vector<std::shared_ptr<detail::layer_instance>>& instances) {
  std::optional<detail::capability_target> semantic, vectors;
  for (std::size_t i = 0; i < instances.size(); ++i) {
    const auto offers = offered_by(plugins, instances, i);
    const auto& cfg = impl.cfg.layers[i];
    detail::capability_target target{i, cfg.name, nullptr, cfg.embedder};
    if (!cfg.embedder.empty())
      target.embed = &impl.embedders.at(cfg.embedder)->get();
    if (!semantic && offers.semantic)
      semantic = target;
    if (!vectors && offers.vectors)
      vectors = target;
  }
  return {semantic, vectors};
}

/// Why `check` refuses (what it returns; empty: it does not), or what it threw.
template <class F>
std::string refusal_of(F&& check) {
  try {
    return check();
  } catch (const std::exception& e) {
    return std::string("threw: ") + e.what();
  } catch (...) {
    return "threw a non-standard exception";
  }
}

/// A layer that names an embedder no request would use: the semantic and vector operations go to
/// the first layer that offers each, and only they embed.
std::optional<config_error>
unused_embedder(const runtime_impl& impl, const detail::resolved_plugins& plugins,
                const std::vector<std::shared_ptr<detail::layer_instance>>& instances,
                const std::pair<std::optional<detail::capability_target>, std::optional<detail::capability_target>>& targets) {
  const auto& [semantic, vectors] = targets;
  for (std::size_t i = 0; i < impl.cfg.layers.size(); ++i) {
    const auto& layer = impl.cfg.layers[i];
    if (layer.embedder.empty() || (semantic && semantic->slot == i) || (vectors && vectors->slot == i))
      continue;
    const auto offers = offered_by(plugins, instances, i);
    std::string why = "offers no semantic or vector operations: nothing of it would be embedded";
    if (offers.semantic || offers.vectors)
      why = "is not where semantic and vector requests go (the first layer that offers each: " +
            (semantic ? "'" + semantic->layer + "'" : std::string("none")) + " and " +
            (vectors ? "'" + vectors->layer + "'" : std::string("none")) + "): its embedder would never be used";
    return detail::make_error(impl.cfg, "layers[" + std::to_string(i) + "].embedder",
                              "layer '" + layer.name + "' (plugin " + layer.plugin + ") " + why);
  }
  return std::nullopt;
}

void start_capability_router(
  runtime_impl& impl,
  const std::pair<std::optional<detail::capability_target>, std::optional<detail::capability_target>>& targets,
  semantic_verifier verifier) {
  auto* raw = &impl;
  detail::router_hooks hooks;
  hooks.enter = [raw] { return raw->enter(); };
  hooks.leave = [raw] { raw->leave(); };
  hooks.send = [raw](detail::call_request request) {
    caf::anon_send(raw->coordinator, detail::call_atom::value, std::move(request));
  };
  if (impl.overall_metrics)
    hooks.record = [metrics = impl.overall_metrics](detail::operation op, status code,
                                                    std::chrono::steady_clock::duration took) {
      metrics->record(op, code, took);
    };
  impl.capabilities = std::make_unique<detail::capability_router>(targets.first, targets.second, std::move(hooks),
                                                                  std::move(verifier), impl.metrics.get());
}

/// Which plugin, of which version and file, each instance is created from: a plugin found on
/// `plugins.path` may be another build than the one meant (`plugins.files` takes over its name).
void log_plugins_loaded(runtime_impl& impl, const detail::resolved_plugins& plugins) {
  const auto tell = [&](const std::string& what, const detail::loaded_plugin& plugin) {
    const auto* d = plugin.descriptor;
    impl.log->write(log_level::info, detail::message(what + ": plugin " + d->name + " " + d->version + " (ABI " +
                                             std::to_string(d->abi_major) + "." + std::to_string(d->abi_minor) +
                                             ") from " + plugin.origin));
  };
  for (std::size_t i = 0; i < plugins.layers.size(); ++i)
    tell("layer '" + impl.cfg.layers[i].name + "'", *plugins.layers[i]);
  for (std::size_t i = 0; i < plugins.embedders.size(); ++i)
    tell("embedder '" + impl.cfg.embedders[i].name + "'", *plugins.embedders[i]);
  for (std::size_t i = 0; i < plugins.exporters.size(); ++i)
    tell("exporter '" + impl.cfg.exporters[i].name + "'", *plugins.exporters[i]);
  for (std::size_t i = 0; i < plugins.handlers.size(); ++i)
    tell("alert handler '" + impl.cfg.alerts.handlers[i].name + "'", *plugins.handlers[i]);
}

/// `why` a start failed once the log was open: said there too when it is a file (the caller prints
/// it, e.g. `strata serve` on stderr), where a supervisor that keeps only the log found the lines
/// before it and not the reason.
error failed_start(runtime_impl& impl, error why) {
  if (impl.cfg.logging.output != "stderr" && impl.cfg.logging.output != "stdout")
    impl.log->write(log_level::error, detail::message("the runtime did not start: " + why.message));
  return why;
}

} // namespace

expected<std::unique_ptr<runtime>> runtime::from_config(config cfg, runtime_options options) {
  auto impl = std::make_unique<runtime_impl>();
  detail::resolved_plugins plugins;
  auto report = detail::validate_with(std::move(cfg), impl->loader, options.static_plugins, plugins);
  if (!report.ok())
    return error{status::invalid, report.message()};
  impl->cfg = std::move(*report.effective);
  const auto& layers = impl->cfg.layers;
  try {
    impl->log = std::make_shared<detail::runtime_log>(impl->cfg.logging);
  } catch (const std::exception& e) {
    return error{status::invalid, detail::make_error(impl->cfg, "logging.output", e.what()).to_string()};
  }
  log_plugins_loaded(*impl, plugins); // before any instance: a factory that fails is the likeliest to need it

  std::vector<detail::layer_health_state> health;
  for (const auto& layer : layers) {
    health.emplace_back();
    health.back().name = layer.name;
  }
  impl->shared = std::make_shared<detail::shared_state>(std::move(health));
  if (impl->cfg.runtime.metrics) {
    impl->metrics = std::make_unique<telemetry::registry>();
    std::vector<std::string> names;
    for (const auto& layer : layers)
      names.push_back(layer.name);
    impl->stats = std::make_shared<detail::stats_board>(names);
  }

  // Create every instance before anything starts, so that a failing factory stops the start.
  std::vector<std::shared_ptr<detail::layer_instance>> instances;
  std::vector<const strata_host_api*> layer_hosts;
  std::vector<detail::instance_voice*> voices;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    auto shared = impl->shared;
    impl->hosts.push_back(std::make_unique<detail::instance_host>(
      "cache_layer", layers[i].name, impl->metrics.get(),
      [shared, i](health_level level, std::string why) {
        shared->health.update(i, [&](detail::layer_health_state& h) {
          h.reported = level;
          h.reported_detail = std::move(why);
        });
      },
      impl->log));
    layer_hosts.push_back(impl->hosts.back()->api());
    voices.push_back(&impl->hosts.back()->new_voice());
    auto instance = detail::create_instance<layer>(
      *plugins.layers[i],
      detail::instance_request{"layer '" + layers[i].name + "'", layers[i].name, &layers[i].settings, voices.back()->api()});
    if (!instance)
      return failed_start(*impl, placed_instance(impl->cfg, "layers[" + std::to_string(i) + "]", layers[i].settings,
                                                 instance.err()));
    instances.emplace_back(std::move(*instance));
    if (detail::is_observer(*plugins.layers[i]->descriptor)) {
      // Flagged an observer, it is kept out of the chain: without an observer it would do nothing.
      const auto why = refusal_of([&]() -> std::string {
        auto observer = instances.back()->get().observer();
        if (!observer)
          return "returned none";
        auto relay = std::make_shared<detail::observer_relay>(std::move(observer));
        impl->shared->observer_relays[i] = relay;
        impl->observers.push_back(std::move(relay));
        return {};
      });
      if (!why.empty())
        return failed_start(*impl, error{status::invalid,
                                         detail::make_error(impl->cfg, "layers[" + std::to_string(i) + "]",
                                                            "layer '" + layers[i].name + "': plugin '" +
                                                              layers[i].plugin +
                                                              "' is flagged an observer, but its observer() " + why)
                                           .to_string()});
    }
  }
  impl->first_layer_name = layers.front().name;
  for (std::size_t i = 0; i < impl->cfg.embedders.size(); ++i) {
    const auto& e = impl->cfg.embedders[i];
    impl->hosts.push_back(std::make_unique<detail::instance_host>("embedder", e.name, impl->metrics.get(),
                                                                  detail::instance_host::health_fn{}, impl->log));
    auto instance = detail::create_instance<embedder>(
      *plugins.embedders[i], detail::instance_request{"embedder '" + e.name + "'", e.name, &e.settings,
                                                      impl->hosts.back()->api()});
    if (!instance)
      return failed_start(*impl,
                          placed_instance(impl->cfg, "embedders[" + std::to_string(i) + "]", e.settings, instance.err()));
    // A vector of no floats has no direction: every store would be refused as the client's, every
    // lookup a quiet miss.
    const auto refusal = refusal_of([&]() -> std::string {
      return (*instance)->get().dimension() == 0 ? "is 0: its vectors could not be compared" : "";
    });
    if (!refusal.empty())
      return failed_start(*impl, placed_instance(impl->cfg, "embedders[" + std::to_string(i) + "]", e.settings,
                                                 error{status::invalid,
                                                       "embedder '" + e.name + "': its dimension() " + refusal}));
    impl->embedders[e.name] = std::move(*instance);
  }
  const auto targets = find_capability_targets(*impl, plugins, instances);
  if (auto unused = unused_embedder(*impl, plugins, instances, targets))
    return failed_start(*impl, error{status::invalid, unused->to_string()});
  std::vector<std::shared_ptr<detail::layer_metrics>> metrics;
  if (impl->metrics) {
    for (const auto& layer : layers)
      metrics.push_back(std::make_shared<detail::layer_metrics>(*impl->metrics, layer.name));
    impl->first_layer_metrics = metrics.front();
    impl->overall_registry = std::make_unique<telemetry::registry>();
    impl->overall_metrics = detail::make_runtime_metrics(*impl->overall_registry);
  }
  if (impl->metrics) { // even without rules, so that a reload can add some
    impl->alerts = std::make_unique<detail::alert_engine>(impl->cfg.alerts.rules, impl->cfg.alerts.history);
    detail::register_alert_events(*impl, impl->cfg.alerts.rules);
  }
  impl->hub = std::make_unique<detail::telemetry_hub>(impl->cfg.health, impl->metrics.get(), impl->stats,
                                                      impl->shared, impl->alerts.get());
  auto exporters = create_instances<exporter>(
    *impl, impl->cfg.exporters, plugins.exporters, "exporters", "exporter", "exporter", "strata_exporter_errors_total",
    "Exports that failed.", static_cast<telemetry_source*>(impl->hub.get()));
  if (!exporters)
    return failed_start(*impl, exporters.err());
  auto handlers = create_instances<alert_handler>(
    *impl, impl->cfg.alerts.handlers, plugins.handlers, "alerts.handlers", "alert handler", "handler",
    "strata_alert_handler_errors_total", "Alert events a handler failed to deliver.", nullptr);
  if (!handlers)
    return failed_start(*impl, handlers.err());

  if (const auto problems = detail::alert_rule_problems(*impl, impl->cfg.alerts.rules, &impl->cfg); !problems.empty())
    return failed_start(*impl, error{status::invalid, detail::joined(problems)});
  // Checked once the layers have made the directories of their files, as a data_dir may be one.
  if (std::error_code ec; !impl->cfg.health.data_dir.empty() && !std::filesystem::is_directory(impl->cfg.health.data_dir, ec))
    return failed_start(*impl, error{status::invalid,
                                     detail::make_error(impl->cfg, "health.data_dir",
                                                        "'" + impl->cfg.health.data_dir + "' is not a directory; "
                                                        "expected the one whose disk the health check watches")
                                       .to_string()});
  impl->current_rules = impl->cfg.alerts.rules;
  impl->current_level = impl->cfg.logging.level;

  impl->system_config.set("scheduler.max-threads", scheduler_threads(impl->cfg.runtime.threads));
  // An actor gives its thread up after 64 messages: the coordinator sending an MSET of 30000 keys
  // to a layer otherwise kept that layer (scheduled on the same thread) from answering any of
  // them until it was done, and past their deadlines (`strata-bench core` measured no cost).
  impl->system_config.set("scheduler.max-throughput", 64);
  // CAF 0.17's idle workers first spin, then sleep 50 us at a time without being woken by new
  // work, then wait on a condition variable that an enqueue does notify. Skipping the middle
  // phase and spinning longer before the last one brings a coordinator round trip from ~35 us to
  // ~2 us on a 2-core machine, at the price of a core busy for about a millisecond after a burst.
  impl->system_config.set("work-stealing.aggressive-poll-attempts", 10000);
  impl->system_config.set("work-stealing.moderate-poll-attempts", 0);
  impl->system_config.set("logger.console", caf::atom("none"));
  impl->system_config.add_thread_hook<detail::alternate_stack_hook>();
  impl->system = std::make_unique<caf::actor_system>(impl->system_config);
  impl->logs_alert_events = std::none_of(impl->cfg.alerts.handlers.begin(), impl->cfg.alerts.handlers.end(),
                                         [](const auto& handler) { return handler.plugin == "log"; });
  if (impl->alerts)
    impl->alert_routes = detail::spawn_alert_dispatchers(*impl->system, std::move(*handlers),
                                                         std::move(options.on_alert), impl->log, impl->alert_delivery,
                                                         impl->shared->calls);
  if (!exporters->empty())
    impl->exports =
      detail::spawn_export_schedulers(*impl->system, std::move(*exporters), *impl->hub, impl->log, impl->shared->calls);
  if (impl->stats) {
    std::vector<detail::stats_source> sources{{"all", impl->overall_metrics}};
    for (std::size_t i = 0; i < layers.size(); ++i)
      sources.push_back({layers[i].name, metrics[i]});
    auto* raw = impl.get();
    impl->telemetry = detail::spawn_telemetry(
      *impl->system, std::move(sources), metrics.empty() ? nullptr : metrics.front(), impl->stats,
      impl->cfg.runtime.stats_interval,
      [raw] {
        if (raw->alerts)
          detail::evaluate_alerts(*raw);
      });
  }
  impl->coordinator = detail::spawn_coordinator(
    *impl->system, detail::coordinator_setup{impl->cfg, plugins.layers, std::move(instances), std::move(voices), impl->shared,
                                             std::move(options.loader), std::move(metrics), std::move(layer_hosts),
                                             impl->log});
  start_capability_router(*impl, targets, std::move(options.verifier));
  impl->log->write(log_level::info, detail::message("runtime started: " + std::to_string(layers.size()) + " layers, " +
                                            std::to_string(impl->cfg.exporters.size()) + " exporters, " +
                                            std::to_string(impl->cfg.alerts.rules.size()) + " alert rules"));
  detail::release_caf_logger();
  return std::unique_ptr<runtime>(new runtime(std::move(impl)));
}

} // namespace strata
