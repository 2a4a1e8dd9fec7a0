#include "resp_commands.hpp"

#include <strata/ascii.hpp>
#include <strata/runtime.hpp>

#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace strata::resp {
namespace {

void line(std::string& out, std::string_view key, const std::string& value) {
  out.append(key).push_back(':');
  out.append(value).append("\r\n");
}

std::string number(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

/// `hits=..,misses=..,...` of one window, as Redis writes its per-database lines.
std::string window_line(const window_stats& w) {
  return "requests=" + std::to_string(w.requests) + ",gets=" + std::to_string(w.gets) + ",hits=" +
         std::to_string(w.hits) + ",misses=" + std::to_string(w.misses) + ",errors=" + std::to_string(w.errors) +
         ",hit_rate=" + number(w.hit_rate) + ",throughput=" + number(w.throughput) + ",p50_us=" +
         number(w.p50_seconds * 1e6) + ",p99_us=" + number(w.p99_seconds * 1e6);
}

/// A health detail as the value of an INFO line: a layer's words may hold line breaks.
std::string one_line(std::string text) {
  std::replace_if(text.begin(), text.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  return text;
}

/// `<prefix>_health:<level>`, and `<prefix>_health_detail:<why>` when not healthy.
void health_lines(std::string& out, const std::string& prefix, health_level level, const std::string& detail) {
  line(out, prefix + "_health", to_string(level));
  if (level != health_level::healthy && !detail.empty())
    line(out, prefix + "_health_detail", one_line(detail));
}

} // namespace

std::string info_text(runtime& rt, const server_counters& counters, const resp_settings& settings,
                      const std::vector<std::string_view>& sections) {
  std::vector<std::string> named;
  for (const auto section : sections)
    named.push_back(ascii_lower(section));
  const auto asked = [&](const char* name) { return std::find(named.begin(), named.end(), name) != named.end(); };
  const bool all = named.empty() || asked("all") || asked("default") || asked("everything");
  const auto wanted = [&](const char* name) { return all || asked(name); };
  const auto uptime =
    std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - counters.started).count();
  std::string out;
  if (wanted("server")) {
    out.append("# Server\r\n");
    // The version of the protocol and commands it follows, for clients that check it.
    line(out, "redis_version", "7.0.0");
    line(out, "strata_server", "resp2");
    line(out, "redis_mode", "standalone");
    line(out, "process_id", std::to_string(::getpid()));
    line(out, "tcp_address", counters.address);
    line(out, "io_threads", std::to_string(settings.threads));
    line(out, "uptime_in_seconds", std::to_string(uptime));
    line(out, "uptime_in_days", std::to_string(uptime / 86400));
    out.append("\r\n");
  }
  if (wanted("clients")) {
    out.append("# Clients\r\n");
    line(out, "connected_clients", std::to_string(counters.connected.load()));
    line(out, "maxclients", std::to_string(settings.max_clients));
    out.append("\r\n");
  }
  if (wanted("stats")) {
    out.append("# Stats\r\n");
    line(out, "total_connections_received", std::to_string(counters.connections_received.load()));
    line(out, "total_commands_processed", std::to_string(counters.commands.load()));
    line(out, "rejected_connections", std::to_string(counters.connections_rejected.load()));
    line(out, "total_net_input_bytes", std::to_string(counters.bytes_read.load()));
    line(out, "total_net_output_bytes", std::to_string(counters.bytes_written.load()));
    line(out, "total_error_replies_protocol", std::to_string(counters.protocol_errors.load()));
    out.append("\r\n");
  }
  if (wanted("strata")) {
    // The runtime's own figures over the last minute, as of its last sample.
    out.append("# Strata\r\n");
    const auto health = rt.health();
    line(out, "health", to_string(health.overall));
    const auto& cfg = rt.effective_config();
    line(out, "layers", std::to_string(cfg.layers.size()));
    if (cfg.runtime.metrics) {
      line(out, "stats_window", "1m");
      const auto stats = rt.stats(stats_window::minute);
      line(out, "overall", window_line(stats.overall));
      for (const auto& layer : stats.layers)
        line(out, "layer_" + layer.name, window_line(layer));
    } else { // figures of zero would look like a deployment that served nothing
      line(out, "stats", "off (runtime.metrics: false)");
    }
    // What /v1/health says, so that the refusal that points here finds why.
    for (const auto& layer : health.layers)
      health_lines(out, "layer_" + layer.name, layer.level, layer.detail);
    for (const auto& check : health.system)
      health_lines(out, "system_" + check.name, check.level, check.detail);
    line(out, "alerts_firing", std::to_string(rt.alerts().size()));
    out.append("\r\n");
  }
  if (!out.empty())
    out.resize(out.size() - 2); // no blank line after the last section, as in Redis
  return out;
}

} // namespace strata::resp
