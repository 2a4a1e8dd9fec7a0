/// @file config_yaml_write.cpp
/// Writing a deployment back as YAML (to_yaml): the effective configuration `strata check-config`
/// prints, and what a reload compares (config_diff.cpp). Every string with its `$` doubled, so that
/// reading it back expands nothing.

#include <strata/config.hpp>
#include <strata/units.hpp>

#include <yaml-cpp/yaml.h>

#include <charconv>
#include <string>
#include <vector>

namespace strata {
namespace {

/// Doubles every `$` so that reading the text back yields it unchanged rather than expanding it.
std::string escape_dollars(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '$') out += '$';
    out += c;
  }
  return out;
}

const char* write_policy_name(write_policy policy) {
  switch (policy) {
  case write_policy::behind: return "behind";
  case write_policy::around: return "around";
  default: return "through";
  }
}

void emit_paths(YAML::Emitter& out, const char* key, const std::vector<std::string>& paths) {
  out << YAML::Key << key << YAML::Value << YAML::BeginSeq;
  for (const auto& path : paths) out << escape_dollars(path);
  out << YAML::EndSeq;
}

void emit_settings(YAML::Emitter& out, const std::map<std::string, std::string>& settings);

void emit_layer(YAML::Emitter& out, const layer_config& layer) {
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << escape_dollars(layer.name);
  out << YAML::Key << "plugin" << YAML::Value << escape_dollars(layer.plugin);
  out << YAML::Key << "promote" << YAML::Value << layer.promote;
  out << YAML::Key << "write" << YAML::Value << write_policy_name(layer.write);
  if (layer.deadline) out << YAML::Key << "deadline" << YAML::Value << units::format_duration(*layer.deadline);
  if (layer.detached) out << YAML::Key << "detached" << YAML::Value << *layer.detached;
  if (!layer.embedder.empty()) out << YAML::Key << "embedder" << YAML::Value << escape_dollars(layer.embedder);
  out << YAML::Key << "config" << YAML::Value;
  emit_settings(out, layer.settings);
  out << YAML::EndMap;
}

void emit_settings(YAML::Emitter& out, const std::map<std::string, std::string>& settings) {
  out << YAML::BeginMap;
  for (const auto& [key, value] : settings)
    out << YAML::Key << key << YAML::Value << escape_dollars(value);
  out << YAML::EndMap;
}

void emit_instances(YAML::Emitter& out, const char* key, const std::vector<plugin_instance_config>& instances) {
  out << YAML::Key << key << YAML::Value << YAML::BeginSeq;
  for (const auto& instance : instances) {
    out << YAML::BeginMap;
    out << YAML::Key << "name" << YAML::Value << escape_dollars(instance.name);
    out << YAML::Key << "plugin" << YAML::Value << escape_dollars(instance.plugin);
    out << YAML::Key << "config" << YAML::Value;
    emit_settings(out, instance.settings);
    out << YAML::EndMap;
  }
  out << YAML::EndSeq;
}

const char* window_name(stats_window window) {
  switch (window) {
  case stats_window::hour: return "hour";
  case stats_window::day: return "day";
  default: return "minute";
  }
}

/// `x` in the fewest digits that read back as it: 0.1, where the emitter wrote 0.10000000000000001.
std::string shortest(double x) {
  char text[32];
  const auto end = std::to_chars(text, text + sizeof text, x).ptr;
  return std::string(text, end);
}

void emit_rule(YAML::Emitter& out, const alert_rule& rule) {
  out << YAML::BeginMap;
  out << YAML::Key << "name" << YAML::Value << escape_dollars(rule.name);
  out << YAML::Key << "value" << YAML::Value << escape_dollars(rule.value);
  if (!rule.layer.empty()) out << YAML::Key << "layer" << YAML::Value << escape_dollars(rule.layer);
  if (!rule.labels.empty()) {
    out << YAML::Key << "labels" << YAML::Value;
    emit_settings(out, rule.labels);
  }
  out << YAML::Key << "window" << YAML::Value << window_name(rule.window);
  out << YAML::Key << "comparison" << YAML::Value << YAML::DoubleQuoted << rule.comparison;
  out << YAML::Key << "threshold" << YAML::Value << shortest(rule.threshold);
  out << YAML::Key << "for" << YAML::Value << units::format_duration(rule.for_duration);
  out << YAML::Key << "severity" << YAML::Value << to_string(rule.severity);
  out << YAML::Key << "cooldown" << YAML::Value << units::format_duration(rule.cooldown);
  out << YAML::Key << "escalate_after" << YAML::Value << units::format_duration(rule.escalate_after);
  out << YAML::Key << "escalate_to" << YAML::Value << to_string(rule.escalate_to);
  out << YAML::EndMap;
}

} // namespace

std::string to_yaml(const config& cfg) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  out << YAML::Key << "runtime" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "threads" << YAML::Value << cfg.runtime.threads;
  out << YAML::Key << "loader_threads" << YAML::Value << cfg.runtime.loader_threads;
  out << YAML::Key << "loader_timeout" << YAML::Value << units::format_duration(cfg.runtime.loader_timeout);
  out << YAML::Key << "shutdown_timeout" << YAML::Value << units::format_duration(cfg.runtime.shutdown_timeout);
  out << YAML::Key << "metrics" << YAML::Value << cfg.runtime.metrics;
  out << YAML::Key << "stats_interval" << YAML::Value << units::format_duration(cfg.runtime.stats_interval);
  out << YAML::EndMap;
  out << YAML::Key << "plugins" << YAML::Value << YAML::BeginMap;
  emit_paths(out, "path", cfg.plugin_path);
  emit_paths(out, "files", cfg.plugin_files);
  out << YAML::EndMap;
  out << YAML::Key << "layers" << YAML::Value << YAML::BeginSeq;
  for (const auto& layer : cfg.layers) emit_layer(out, layer);
  out << YAML::EndSeq;
  emit_instances(out, "exporters", cfg.exporters);
  emit_instances(out, "embedders", cfg.embedders);
  out << YAML::Key << "alerts" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "history" << YAML::Value << cfg.alerts.history;
  out << YAML::Key << "rules" << YAML::Value << YAML::BeginSeq;
  for (const auto& rule : cfg.alerts.rules) emit_rule(out, rule);
  out << YAML::EndSeq;
  emit_instances(out, "handlers", cfg.alerts.handlers);
  out << YAML::EndMap;
  out << YAML::Key << "health" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "max_rss" << YAML::Value << cfg.health.max_rss;
  if (!cfg.health.data_dir.empty())
    out << YAML::Key << "data_dir" << YAML::Value << escape_dollars(cfg.health.data_dir);
  out << YAML::Key << "min_free_disk" << YAML::Value << cfg.health.min_free_disk;
  out << YAML::EndMap;
  out << YAML::Key << "logging" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "level" << YAML::Value << escape_dollars(cfg.logging.level);
  out << YAML::Key << "format" << YAML::Value << (cfg.logging.format == log_format::json ? "json" : "text");
  out << YAML::Key << "output" << YAML::Value << escape_dollars(cfg.logging.output);
  out << YAML::EndMap;
  out << YAML::Key << "server" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "http" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "enabled" << YAML::Value << cfg.server.http.enabled;
  out << YAML::Key << "address" << YAML::Value << escape_dollars(cfg.server.http.address);
  out << YAML::Key << "max_body" << YAML::Value << cfg.server.http.max_body;
  out << YAML::Key << "token" << YAML::Value << escape_dollars(cfg.server.http.token);
  out << YAML::EndMap;
  out << YAML::Key << "resp" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "enabled" << YAML::Value << cfg.server.resp.enabled;
  out << YAML::Key << "address" << YAML::Value << escape_dollars(cfg.server.resp.address);
  out << YAML::Key << "max_bulk" << YAML::Value << cfg.server.resp.max_bulk;
  out << YAML::Key << "max_inline" << YAML::Value << cfg.server.resp.max_inline;
  out << YAML::Key << "max_clients" << YAML::Value << cfg.server.resp.max_clients;
  out << YAML::Key << "max_pipeline" << YAML::Value << cfg.server.resp.max_pipeline;
  out << YAML::Key << "max_in_flight" << YAML::Value << cfg.server.resp.max_in_flight;
  out << YAML::Key << "threads" << YAML::Value << cfg.server.resp.threads;
  out << YAML::EndMap;
  out << YAML::EndMap;
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

} // namespace strata
