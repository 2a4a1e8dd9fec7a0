#pragma once
/// @file runtime.hpp
/// The embedding API. A host creates one `runtime` from a YAML deployment or a `config`, then calls
/// it from any number of threads. A hit on the first layer is served in the caller's thread; every
/// other request is one message to the coordinator actor (no actor is created per call).

#if __cplusplus < 201703L
#error "Strata's headers need C++17 or later: compile with -std=c++17 (or the CMake target, which asks for it)"
#endif

#include <strata/config.hpp>
#include <strata/entry.hpp>
#include <strata/alerts.hpp>
#include <strata/expected.hpp>
#include <strata/health.hpp>
#include <strata/plugin_abi.h>
#include <strata/semantic.hpp>
#include <strata/vectors.hpp>
#include <strata/stats.hpp>
#include <strata/telemetry_snapshot.hpp>
#include <strata/status.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

/// The answer to a get.
struct get_result {
  status code = status::not_found; ///< ok, not_found, or the error that stopped the lookup
  std::string value;               ///< set when code is ok
  std::string layer;               ///< the layer that answered ("loader" for a read-through load)
  /// The entry's remaining time to live when the answer came through the coordinator (zero: it
  /// does not expire); unset for a hit of the first layer's read view, which reports values only.
  /// `get_with_ttl` always fills it on a hit.
  std::optional<std::chrono::milliseconds> ttl;
};

/// The answer to a tag invalidation.
struct invalidate_result {
  status code = status::ok;
  std::size_t removed = 0; ///< entries removed, summed over the layers
  std::string error;       ///< when `code` is an error, what the layers that failed said of it, if anything
};

/// The answer to a layer's own command (`runtime::layer_command`).
struct command_result {
  status code = status::ok;
  std::string json; ///< the layer's answer, a JSON object; {"error": "..."} when code is not ok
};

/// What a read-through loader returns for a key it knows.
struct loaded_value {
  std::string value;
  entry_options options;
};

/// Called on a full miss (in a loader thread, never in an actor); nullopt means the key does not
/// exist. Misses of one key share one call (theirs, or a layer's prefetch of the key) until it
/// returns, or for twice `runtime.loader_timeout` (then the next miss calls again, if another
/// loader thread stays free); a miss whose walk of the layers began before the call returned takes
/// its answer too (it asked the layers before the value reached them). A get that waits longer
/// than `loader_timeout` answers `timeout`, and the value is still written to the layers when the
/// call returns, unless the key was written or erased after the get that started it began, or a
/// tag invalidated after the call started (a miss after that starts a call of its own). It may
/// throw: the get then gets an error. A synchronous get
/// from inside the loader waits for a loader thread itself (for its own key, for its own call):
/// with every thread in such a call, each waits out `loader_timeout`; read the source instead.
using loader_fn = std::function<std::optional<loaded_value>(std::string_view ns, std::string_view key)>;

/// What a host adds to a deployment in code.
struct runtime_options {
  loader_fn loader; ///< read-through loader; none by default
  /// Plugins registered without a file (tests inject replacements this way); they take
  /// precedence over files that declare the same name, on `plugins.path` or in `plugins.files`.
  std::vector<const strata_plugin_descriptor*> static_plugins;
  /// Receives every alert event, on a thread of its own (each handler plugin has its own too: a slow
  /// one delays no other).
  std::function<void(const alert_event&)> on_alert;
  /// The host's last word on a semantic hit, after the layer's own second-stage check; none by
  /// default. Runs in the caller's thread for `semantic_lookup`, in an actor thread for
  /// `semantic_lookup_async` (keep it quick there).
  semantic_verifier verifier;
};

/// What `runtime::reload` did with a deployment file.
struct reload_report {
  bool valid = false;                     ///< the file parsed and validated; otherwise nothing changed
  std::vector<std::string> applied;       ///< what changed while running, e.g. "logging.level: info -> debug"
  std::vector<std::string> needs_restart; ///< key paths that differ from the running deployment but apply only on a restart
  std::vector<std::string> errors;        ///< why nothing changed: every error, with its position, or why the rules were refused
};

class runtime_impl;

/// The runtime: actor system, coordinator, one actor per layer.
class runtime {
public:
  /// Loads, validates and starts the deployment in a YAML file. A refusal's message holds every
  /// error, one per line, with no line break after the last (as every error message of the API).
  static expected<std::unique_ptr<runtime>> from_file(const std::string& path, runtime_options options = {});
  /// Validates and starts a deployment built in code; refusals as `from_file`'s.
  static expected<std::unique_ptr<runtime>> from_config(config cfg, runtime_options options = {});

  /// Shuts down (see `shutdown`). Destroyed from the runtime's own thread (in a loader or a
  /// callback), it hands the stopping and freeing to a thread of its own and returns at once (the
  /// process joins that thread when it exits, at the latest).
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  /// Looks `key` up through the chain; on a full miss calls the loader if there is one.
  get_result get(std::string_view key, const request_options& options = {});
  /// Writes `key` → `value` to every layer whose write policy is not `around`: `ok` when some layer
  /// kept it (one that declined it, too large for its bounds, drops its old value); `rejected` when
  /// none did, or when every layer is `around` (nothing would keep it).
  status put(std::string_view key, std::string_view value, const put_options& options = {});
  /// Removes `key` from every layer. `ok` if any layer had it, else `not_found`.
  status erase(std::string_view key, const request_options& options = {});
  /// Removes every entry tagged `tag` from every layer.
  invalidate_result invalidate_tag(std::string_view tag, const request_options& options = {});

  std::future<get_result> get_async(std::string_view key, const request_options& options = {});
  std::future<status> put_async(std::string_view key, std::string_view value, const put_options& options = {});
  std::future<status> erase_async(std::string_view key, const request_options& options = {});
  std::future<invalidate_result> invalidate_tag_async(std::string_view tag, const request_options& options = {});

  /// Callback variants: `done` runs in an actor thread and must not block: while it runs, no other
  /// request through the coordinator is answered, whatever `runtime.threads` says, and no deadline
  /// cuts it short. The runtime's synchronous functions would wait there for that very thread:
  /// called from `done`, they answer `invalid` at once (and log why), and `shutdown()` only starts
  /// the shutdown (see below). A future of the runtime's cannot tell: waiting on one in `done`
  /// (`get_async(k).get()`) waits for ever, and so does the runtime's destructor; hand such work
  /// to a thread of your own. What
  /// `done` throws is logged and ignored. A get answered by the first layer's read view, and a
  /// request refused at once (during shutdown, or invalid), run `done` in the caller's thread
  /// before returning. An empty `done` (here, in get_with_ttl_async and in expire_async) throws
  /// std::invalid_argument, and nothing is done.
  void get_async(std::string_view key, const request_options& options, std::function<void(get_result)> done);
  void put_async(std::string_view key, std::string_view value, const put_options& options,
                 std::function<void(status)> done);
  void erase_async(std::string_view key, const request_options& options, std::function<void(status)> done);

  /// A get that always goes through the coordinator (skipping the first layer's read view), so
  /// that a hit carries the entry's remaining TTL in `get_result::ttl`. Costs a coordinator round
  /// trip even when the first layer holds the key.
  get_result get_with_ttl(std::string_view key, const request_options& options = {});
  void get_with_ttl_async(std::string_view key, const request_options& options, std::function<void(get_result)> done);

  /// Gives an existing entry a new time to live, `ttl` from now (zero: it no longer expires),
  /// keeping its value and tags: the value found first in the chain is written again to every
  /// layer a put writes to, in one step no other write to the key comes between. `not_found`
  /// when no layer holds the key; `rejected` as for a put.
  status expire(std::string_view key, std::chrono::milliseconds ttl, const request_options& options = {});
  void expire_async(std::string_view key, std::chrono::milliseconds ttl, const request_options& options,
                    std::function<void(status)> done);

  // --- Semantic and vector operations ------------------------------------------------------------
  // Each goes to the first layer of the chain that offers it (`layer::semantic()`,
  // `layer::vectors()`); with none, the answer is `invalid` and says so. A text without a vector is
  // embedded in the calling thread by that layer's embedder (`layers[i].embedder`). Results carry
  // the answering layer and, on failure, a message.

  /// The best stored answer whose query means what `request` means (see semantic.hpp).
  semantic_result semantic_lookup(semantic_lookup_request request);
  /// Stores an answer for a query; the result holds the entry's id.
  semantic_store_result semantic_store(semantic_entry entry);
  /// Changes the answer, metadata, tags or TTL of an entry.
  operation_result semantic_update(strata::semantic_update update);
  /// Removes an entry.
  operation_result semantic_erase(std::uint64_t id, const request_options& options = {});

  /// Adds a vector (or a text, embedded); the result holds its id.
  vector_add_result vector_add(vector_item item);
  /// Adds every item or none.
  vector_batch_add_result vector_add_batch(std::vector<vector_item> items);
  /// The nearest neighbours of a vector (or a text, embedded) in one namespace.
  vector_search_result vector_search(vector_query query);
  /// One search per query.
  vector_batch_search_result vector_search_batch(std::vector<vector_query> queries);
  /// Replaces entry `item.id`.
  operation_result vector_update(vector_item item);
  /// Removes an entry.
  operation_result vector_erase(std::uint64_t id, const request_options& options = {});

  /// The same, answered through a future (any embedding still happens in the calling thread).
  std::future<semantic_result> semantic_lookup_async(semantic_lookup_request request);
  std::future<semantic_store_result> semantic_store_async(semantic_entry entry);
  std::future<vector_add_result> vector_add_async(vector_item item);
  std::future<vector_search_result> vector_search_async(vector_query query);
  /// Runs command `command` of layer `layer` with `json_args` (a JSON object), e.g. the global
  /// layer's `validate`. `invalid` for an unknown layer, a layer whose plugin is built for ABI
  /// 1.1 or earlier (no commands), or a command the layer does not know; `timeout` when it takes
  /// longer than the layer's deadline or 5 s, whichever is longer (and, as for a request, the
  /// layer is replaced if it answers nothing for 5 s more: it is taken to hang);
  /// `internal` when the layer answered with text that is not a JSON object. Counted in the
  /// layer's metrics under the operation `command`. A command that had the layer drop copies of
  /// a key from the others (the global layer's `put`, `reject`) is answered once they are gone.
  command_result layer_command(std::string_view layer, std::string_view command, std::string_view json_args = "{}");

  /// Health of each layer, in chain order, the system checks the deployment enables, and the
  /// worst of them. Once `shutdown()` began, a `runtime` check says so, critical.
  health_report health() const;

  /// Hit, miss and error rates, throughput and get latency percentiles over `window`, per layer and
  /// overall, as of the last sample (taken every `runtime.stats_interval`). All zero, and no
  /// layers, when `runtime.metrics` is off.
  runtime_stats stats(stats_window window = stats_window::minute) const;

  /// Every metric (the standard ones, those plugins registered, and the derived ones: hits,
  /// misses, health, memory, alerts) in the Prometheus text format; empty when `runtime.metrics`
  /// is off.
  std::string prometheus_text() const;

  /// What the exporters see: every metric family, the last minute's figures, and health.
  telemetry_snapshot snapshot() const;

  /// Has every exporter publish now; returns once they have.
  void export_now();

  /// The alerts firing now.
  std::vector<active_alert> alerts() const;
  /// The last `alerts.history` events, oldest first.
  std::vector<alert_event> alert_history() const;
  /// Marks the firing alert of `rule` acknowledged (it stays firing until its condition clears);
  /// false when that rule is not firing.
  bool acknowledge_alert(const std::string& rule);

  /// Changes the log level (debug, info, warn, error, off) without a restart; false for another word.
  bool set_log_level(const std::string& level);

  /// Replaces the alert rules without a restart. A rule whose name and definition are unchanged
  /// keeps its state (pending, firing, acknowledged); the others start afresh, and the alert of a
  /// rule removed or changed while firing resolves (its event names the reload as the cause, and
  /// its `strata_alerts_firing` series stay, at 0). Refused, changing nothing, when a rule names an
  /// unknown metric family or a layer outside the chain, or when the runtime runs without
  /// `runtime.metrics`.
  std::optional<error> reload_alert_rules(std::vector<alert_rule> rules);

  /// Re-reads the deployment file at `path` and applies what can change while running: the alert
  /// rules and the log level. Every other key that differs from the running deployment is listed
  /// as needing a restart. An invalid file changes nothing. Writes each item to the log (errors at
  /// error level, the rest at info and warn). `effective_config()` stays what the runtime started with.
  reload_report reload(const std::string& path);

  /// The validated configuration the runtime runs.
  const config& effective_config() const;

  /// Refuses new requests (`unavailable`), waits up to `shutdown_timeout` for in-flight ones, then
  /// stops every actor; a request still in a layer or the loader then is answered `unavailable`
  /// (the loads and layer calls still queued are not started, writes to `behind` layers included),
  /// and this call returns once that layer's or
  /// loader's call has (no one can stop a thread in
  /// the host's or a plugin's code), and once every request has left the runtime: a call in an
  /// embedder (which runs in the caller's thread) is waited for, however long, before the
  /// embedder is freed. Any thread may call it. Idempotent; called by the destructor.
  /// Called from host code the runtime runs in its own threads (the loader, a completion callback,
  /// `on_alert`, the semantic verifier), which those waits would wait for, it refuses new requests
  /// and returns at once; a thread of its own finishes the shutdown, and a later call or the
  /// destructor waits for it.
  void shutdown();

private:
  explicit runtime(std::unique_ptr<runtime_impl> impl);
  std::unique_ptr<runtime_impl> impl_;
};

/// Validates a configuration against the schemas of the plugins it names (loading them, creating
/// nothing). On success `effective` holds it with every default filled.
config_report validate(config cfg, const std::vector<const strata_plugin_descriptor*>& static_plugins = {});

/// Parses a YAML file and validates it: what `strata check-config` runs.
config_report check_config_file(const std::string& path);

} // namespace strata
