#pragma once
/// @file config.hpp
/// A deployment: runtime settings, where plugins are found, and the layer chain. Built from YAML
/// (`parse_config_file`) or in code; either way it is validated against the plugins' schemas before
/// anything starts.

#include <strata/alerts.hpp>
#include <strata/stats.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace strata {

/// How a put reaches a layer.
enum class write_policy {
  through, ///< the put waits until this layer has written the value
  behind,  ///< the put is sent to this layer but not waited for
  around,  ///< puts skip this layer; it is filled by promotion and read-through only
};

/// Where a key was written in the configuration file (1-based).
struct source_position {
  int line = 0;
  int column = 0;
};

/// One layer of the chain.
struct layer_config {
  std::string name;   ///< unique in the deployment; the `cache_layer` label of its metrics
  std::string plugin; ///< the plugin's declared name
  /// Receive copies of values found deeper in the chain or loaded by the read-through loader.
  bool promote = true;
  write_policy write = write_policy::through;
  /// How long the coordinator waits for this layer before the request counts it as a failure;
  /// unset: as the plugin declares (ABI 1.7: global 3 s, vector 5 s, diary 15 s), else 100 ms.
  std::optional<std::chrono::milliseconds> deadline;
  /// Host the layer on a thread of its own; unset: as the plugin declares (only plugins flagged
  /// cooperative share the scheduler's threads).
  std::optional<bool> detached;
  /// The plugin's own keys, as text; validated against its schema, defaults filled.
  std::map<std::string, std::string> settings;
  /// The embedder (a name in `config::embedders`) that turns the texts of semantic and vector
  /// requests for this layer into vectors; empty: such requests must carry their vector.
  std::string embedder;
};

/// Settings of the runtime itself.
struct runtime_settings {
  /// Actor scheduler threads; 0 (the default) means half the cores, at least two: max(2, cores / 2),
  /// leaving the other half to the host's own threads where there are four cores or more (with
  /// one thread, a layer on the scheduler that blocked held the coordinator and its deadlines too).
  int threads = 0;
  int loader_threads = 2;                          ///< threads that run the read-through loader
  std::chrono::milliseconds loader_timeout{5000};  ///< a load slower than this is a timeout
  std::chrono::milliseconds shutdown_timeout{5000};///< how long shutdown waits for in-flight requests
  bool metrics = true; ///< record the standard per-layer metrics
  std::chrono::milliseconds stats_interval{1000}; ///< how often the telemetry actor samples them
};

/// A plugin instance outside the chain: an exporter or an alert handler.
struct plugin_instance_config {
  std::string name;   ///< unique among instances of its kind
  std::string plugin; ///< the plugin's declared name
  std::map<std::string, std::string> settings; ///< the plugin's own keys, as for a layer
};

/// System checks of `runtime::health`. A check with no limit is off.
struct health_settings {
  std::uint64_t max_rss = 0;       ///< bytes; warning above 90% of it, critical above it
  std::string data_dir;            ///< where data is kept; the disk check watches its file system
  std::uint64_t min_free_disk = 0; ///< bytes; critical below it, warning below twice it
};

enum class log_format { text, json };

/// The runtime's log (spdlog, asynchronous).
struct logging_settings {
  std::string level = "info";    ///< debug, info, warn, error, off
  log_format format = log_format::text;
  std::string output = "stderr"; ///< stderr, stdout, or a file path (appended to)
};

/// One alert rule: `value` of `layer` compared with `threshold`, held for `for_duration`.
struct alert_rule {
  std::string name;
  /// hit_rate, miss_rate, error_rate, throughput, p50_latency, p95_latency, p99_latency (seconds),
  /// rss_bytes, or the name of a metric family (its samples matching `labels`, summed).
  std::string value;
  std::string layer; ///< derived values: the layer they are measured on; empty: the whole runtime
  std::map<std::string, std::string> labels; ///< metric values only: labels a sample must have
  stats_window window = stats_window::minute; ///< derived values only
  std::string comparison = ">"; ///< <, <=, >, >=
  double threshold = 0;
  std::chrono::milliseconds for_duration{0}; ///< how long the condition must hold before firing
  alert_severity severity = alert_severity::warning;
  std::chrono::milliseconds cooldown{0};       ///< after resolving, no new firing for this long
  std::chrono::milliseconds escalate_after{0}; ///< firing this long raises the severity; 0: never
  alert_severity escalate_to = alert_severity::critical;
};

struct alerting_settings {
  std::size_t history = 1000; ///< events kept for `runtime::alert_history`
  std::vector<alert_rule> rules;
  std::vector<plugin_instance_config> handlers; ///< every event goes to each
};

/// The HTTP/JSON API of `strata serve`.
struct http_settings {
  bool enabled = true;
  /// "host:port" ("[::1]:8080" for IPv6); port 0 lets the kernel choose. Loopback by default: the
  /// API has no authentication unless `token` is set.
  std::string address = "127.0.0.1:8080";
  std::uint64_t max_body = 1024 * 1024; ///< bytes; a larger request body is refused with 413
  /// When not empty, every endpoint but /v1/health requires `Authorization: Bearer <token>`.
  std::string token;
};

/// The Redis protocol (RESP2) of `strata serve`, on a port of its own.
struct resp_settings {
  bool enabled = true;
  /// "host:port"; port 0 lets the kernel choose. Loopback by default: RESP has no authentication.
  /// 6380 rather than Redis's 6379, so that a Redis on the same machine keeps its port.
  std::string address = "127.0.0.1:6380";
  std::uint64_t max_bulk = 32 * 1024 * 1024; ///< bytes of one bulk string (a key or a value)
  std::uint64_t max_inline = 64 * 1024;      ///< bytes of an inline command or of a header line
  int max_clients = 10000; ///< connections beyond this get an error and are closed
  /// Bytes one connection may have read but not yet answered, plus replies not yet sent: above it
  /// the server stops reading that connection until its client reads its replies. At least
  /// `max_bulk`, so that every request that respects the other limits fits.
  std::uint64_t max_pipeline = 64 * 1024 * 1024;
  /// Requests of one connection the layers may be working on at once: above it the server parses
  /// no more of that connection's input until replies come back, so that a deep pipeline is fed
  /// to the layers as fast as they answer rather than queued past their deadline. A command of
  /// many keys sends at most this many of its keys at once, for the same reason.
  int max_in_flight = 1024;
  int threads = 1; ///< event-loop threads; each serves its share of the connections
};

/// What `strata serve` exposes; an embedding host ignores it.
struct server_settings {
  http_settings http;
  resp_settings resp;
};

/// A whole deployment.
struct config {
  std::string origin = "<config>";     ///< the file it came from, for messages
  runtime_settings runtime;
  std::vector<std::string> plugin_path;  ///< directories searched for libstrata_<plugin>.so
  std::vector<std::string> plugin_files; ///< plugin files loaded explicitly
  std::vector<layer_config> layers;
  std::vector<plugin_instance_config> exporters; ///< none: telemetry costs nothing beyond the metrics
  std::vector<plugin_instance_config> embedders; ///< embedder plugins, named by `layers[i].embedder`
  alerting_settings alerts;
  health_settings health;
  logging_settings logging;
  server_settings server;
  /// Key path (`layers[0].config.max_bytes`) → where it was written. Empty for a config built in code.
  std::map<std::string, source_position> positions;
  /// Key path → where the key itself was written. An unknown plugin setting is placed at its key,
  /// and an error about a key left at its default at the key of the mapping that would hold it
  /// (its `positions` entry is its value's, for a block mapping its first key's).
  std::map<std::string, source_position> key_positions;
};

/// One problem in a configuration, with where it is.
struct config_error {
  std::string origin;  ///< file name, or `<config>`
  source_position position; ///< 0:0 when unknown
  std::string path;    ///< key path, e.g. `layers[1].config.max_bytes`
  std::string message;

  /// `file:line:column: path: message`
  std::string to_string() const;
};

/// A configuration and the problems found in it.
struct config_report {
  std::optional<config> effective; ///< set when there is no error: validated, defaults filled
  std::vector<config_error> errors;
  bool ok() const { return errors.empty(); }
  /// Every error, one per line, in the file's order.
  std::string errors_text() const;
  /// `errors_text` without the line break after the last error: an error message of the API.
  std::string message() const;
  /// `errors` in the file's order (files in the order they first appear; an error without a
  /// position after the positioned ones of its file), as `errors_text` lists them.
  std::vector<config_error> errors_in_file_order() const;
};

/// Where built-in plugins are looked for when a deployment names no path: `strata/plugins` beside
/// libstrata.so (the build tree and an install share that layout).
/// Overridden by the environment variable STRATA_PLUGIN_PATH (colon-separated).
std::vector<std::string> default_plugin_path();

/// Parses YAML text (without validating plugin settings): syntax, framework keys, `${ENV}` expansion.
config_report parse_config(const std::string& yaml_text, const std::string& origin);

/// Reads and parses a YAML file.
config_report parse_config_file(const std::string& path);

/// Renders a configuration as YAML (the effective configuration `strata check-config` prints).
std::string to_yaml(const config& cfg);

} // namespace strata
