#pragma once
// The runtime's inside (runtime_impl), shared by its files: runtime.cpp (the API), runtime_start.cpp
// (runtime::from_file, runtime::from_config) and runtime_alerts.cpp (alert rules, runtime::reload).

#include <strata/runtime.hpp>
#include <strata/secrets.hpp>

#include "alert_engine.hpp"
#include "alternate_stack.hpp"
#include "capability_router.hpp"
#include "config_diff.hpp"
#include "config_schema.hpp"
#include "answered_on_drop.hpp"
#include "coordinator.hpp"
#include "host_callback.hpp"
#include "instance_host.hpp"
#include "layer_metrics.hpp"
#include "log.hpp"
#include "messages.hpp"
#include "plugin_instance.hpp"
#include "plugin_loader.hpp"
#include "request_checks.hpp"
#include "shared_state.hpp"
#include "sync_waiter.hpp"
#include "prometheus_format.hpp"
#include "telemetry_actor.hpp"
#include "telemetry_hub.hpp"
#include "telemetry_outputs.hpp"
#include "validate.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

namespace strata {

class runtime_impl;

// The runtime's own helpers: not exported from libstrata.so (they were in an anonymous namespace
// of runtime.cpp before it was split).
#pragma GCC visibility push(hidden)

namespace detail {

/// The answer of type T that says only `code`: what the runtime answers itself, for a request a
/// layer never answered (dropped at shutdown) or one it refused to send (from a callback).
inline get_result answer_of(const get_result*, status code) { return get_result{code, {}, {}, {}}; }
inline status answer_of(const status*, status code) { return code; }
inline invalidate_result answer_of(const invalidate_result*, status code) { return invalidate_result{code, 0, {}}; }
inline command_result answer_of(const command_result*, status code) {
  return command_result{code, std::string(R"({"error": ")") + to_string(code) + R"("})"};
}

template <class T>
T answer_of(status code) {
  return answer_of(static_cast<const T*>(nullptr), code);
}

/// Calls `report` once, from a thread of its own, if it is not destroyed within `after`.
class report_if_late {
public:
  report_if_late(std::chrono::milliseconds after, std::function<void()> report)
    : thread_([this, after, report = std::move(report)] {
        std::unique_lock<std::mutex> lock(mutex_);
        if (!wake_.wait_for(lock, after, [this] { return done_; })) {
          lock.unlock();
          report();
        }
      }) {}
  ~report_if_late() {
    {
      std::lock_guard<std::mutex> guard(mutex_);
      done_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  report_if_late(const report_if_late&) = delete;
  report_if_late& operator=(const report_if_late&) = delete;

private:
  std::mutex mutex_;
  std::condition_variable wake_;
  bool done_ = false;
  std::thread thread_; ///< last: starts once the rest is there
};

/// CAF 0.17 keeps the actor system's logger alive from a thread-local of each thread that created
/// the system, spawned an actor or made a scoped_actor, and ~actor_system waits for the logger to
/// go: destroyed from another thread (shutdown() called from a signal thread, a runtime handed to
/// another thread) while such a thread lives, it waited for ever. A host thread lets go of it.
inline void release_caf_logger() { caf::logger::set_current_actor_system(nullptr); }

inline std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines)
    out += (out.empty() ? "" : "\n") + line;
  return out;
}

inline detail::log_fields message(std::string text) {
  detail::log_fields fields;
  fields.message = std::move(text);
  return fields;
}

/// What is wrong with `rules` for this running deployment, one line each: a layer outside the
/// chain, a metric family that does not exist once every instance has registered its own, or is
/// a histogram (a misspelt name would otherwise never fire, silently). Placed in `where`, the file the
/// rules were read from (the one being reloaded, not the one the runtime started from), when
/// there is one.
std::vector<std::string> alert_rule_problems(const runtime_impl& impl, const std::vector<alert_rule>& rules,
                                             const config* where);

/// Evaluates the alert rules after each sample and delivers what changed.
void evaluate_alerts(runtime_impl& impl);

/// The `strata_alert_events_total` counters of `rules`, once per rule name.
void register_alert_events(runtime_impl& impl, const std::vector<alert_rule>& rules);

} // namespace detail

#pragma GCC visibility pop

class runtime_impl {
public:
  config cfg;
  detail::plugin_loader loader;
  std::shared_ptr<detail::runtime_log> log;
  std::shared_ptr<detail::shared_state> shared;
  std::string first_layer_name;
  std::unique_ptr<telemetry::registry> metrics; ///< null when `runtime.metrics` is off
  /// Counts kept when metrics are off (an alert handler's failures); never exported.
  telemetry::registry unexported;
  /// What each plugin instance may ask of the runtime; stable addresses, alive to the end.
  std::vector<std::unique_ptr<detail::instance_host>> hosts;
  std::unique_ptr<detail::alert_engine> alerts;
  std::map<std::pair<std::string, alert_transition>, instruments::counter*> alert_events;
  std::mutex alert_events_mutex; ///< a reload adds rules' counters while the telemetry actor counts events
  /// Held while alert events are made and sent, so that a reload's and a sample's reach handlers in
  /// order, and while the stop tells the handlers to exit, so that the events of an evaluation under
  /// way reach them before the exit.
  std::mutex alert_delivery_mutex;
  /// What a reload changed: the rules and level now in force (the rest of `cfg` is as started).
  std::mutex reload_mutex;
  std::vector<alert_rule> current_rules;
  std::string current_level;
  std::unique_ptr<detail::telemetry_hub> hub;
  std::shared_ptr<detail::layer_metrics> first_layer_metrics;
  /// What hosts asked through the coordinator. Kept out of `metrics` (the exported registry): the
  /// first layer's read-view hits are counted on that layer only, to keep the hot path cheap.
  std::unique_ptr<telemetry::registry> overall_registry;
  std::shared_ptr<detail::request_metrics> overall_metrics;
  std::shared_ptr<detail::stats_board> stats;
  /// What observing layers (the diary) gave at start; each receives every interaction.
  std::vector<std::shared_ptr<interaction_observer>> observers;
  caf::actor_system_config system_config;
  std::unique_ptr<caf::actor_system> system;
  caf::actor coordinator;
  caf::actor telemetry;
  std::vector<caf::actor> exports; ///< an export scheduler per exporter
  std::vector<detail::alert_route> alert_routes; ///< none without runtime.metrics, or without handlers and callback
  /// Whether the runtime writes each alert event to its log itself: unless a `log` alert handler
  /// does (each event was logged twice, and the handler's min_severity hid nothing).
  bool logs_alert_events = true;
  std::shared_ptr<detail::alert_delivery> alert_delivery = std::make_shared<detail::alert_delivery>();
  /// Embedder instances, by name; alive as long as the runtime (the router holds raw pointers).
  std::map<std::string, std::unique_ptr<detail::embedder_instance>> embedders;
  std::unique_ptr<detail::capability_router> capabilities;

  std::atomic<bool> accepting{true};
  std::atomic<std::int64_t> in_flight{0};
  std::mutex drain_mutex;
  std::condition_variable drained;
  std::once_flag stopped;
  /// Stops the runtime when `shutdown()` was called from one of its own threads (`stop`).
  std::thread stopper;
  std::once_flag stopper_started;

  runtime_impl() = default;
  runtime_impl(const runtime_impl&) = delete;
  runtime_impl& operator=(const runtime_impl&) = delete;
  ~runtime_impl() {
    if (stopper.joinable())
      stopper.join();
  }

  /// Counts a request in, or refuses it once shutdown began.
  bool enter() {
    in_flight.fetch_add(1, std::memory_order_seq_cst);
    if (accepting.load(std::memory_order_seq_cst))
      return true;
    leave();
    return false;
  }

  void leave() {
    if (in_flight.fetch_sub(1, std::memory_order_seq_cst) == 1 && !accepting.load()) {
      std::lock_guard<std::mutex> guard(drain_mutex);
      drained.notify_all();
    }
  }

  static status outcome_of(status s) { return s; }
  static status outcome_of(const invalidate_result& r) { return r.code; }
  /// A get the layers could not answer is a miss of the cache, even when the loader found it.
  static status outcome_of(const get_result& r) {
    return r.code == status::ok && r.layer == "loader" ? status::not_found : r.code;
  }

  static status code_of(status s) { return s; }
  static status code_of(const invalidate_result& r) { return r.code; }
  static status code_of(const get_result& r) { return r.code; }
  static std::string_view layer_of(const get_result& r) { return r.layer; }
  template <class T>
  static std::string_view layer_of(const T&) { return {}; }

  static_assert(static_cast<int>(interaction_kind::invalidate_tag) == static_cast<int>(detail::operation::invalidate_tag),
                "interaction_kind follows detail::operation");

  /// Hands one interaction to every observer.
  void observe(interaction_kind kind, std::string_view ns, std::string_view key, std::string_view layer,
               status outcome, std::chrono::nanoseconds latency) const noexcept {
    interaction what;
    what.kind = kind;
    what.ns = ns;
    what.key = key;
    what.layer = layer;
    what.outcome = outcome;
    what.latency = latency;
    for (const auto& o : observers)
      o->record(what);
  }

  /// Wraps `done` so that the request counts as in flight until it has been answered, and is
  /// recorded in the runtime's own metrics and by the observers (for which it keeps `ns` and
  /// `key`; nothing is copied without observers). A request the coordinator drops unanswered
  /// (stopped by shutdown while a layer or the loader had it) is answered `unavailable`.
  template <class T>
  std::function<void(T)> tracked(detail::operation op, std::function<void(T)> done, std::string_view ns = {},
                                 std::string_view key = {}) {
    const bool observed = !observers.empty();
    const bool timed = overall_metrics || observed;
    const auto start = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    std::string seen_ns, seen_key;
    if (observed) {
      seen_ns = ns;
      seen_key = key;
    }
    std::function<void(T)> answer = [this, op, start, timed, seen_ns = std::move(seen_ns),
                                      seen_key = std::move(seen_key), done = std::move(done)](T result) {
      const auto took = timed ? std::chrono::steady_clock::now() - start : std::chrono::steady_clock::duration{};
      if (overall_metrics)
        overall_metrics->record(op, outcome_of(result), took);
      if (!observers.empty())
        observe(static_cast<interaction_kind>(op), seen_ns, seen_key, layer_of(result), code_of(result), took);
      // The host's callback runs in the coordinator's thread: what it throws must not end that
      // actor (every later request would wait for ever).
      const detail::in_host_callback host_code{true};
      answer_now(done, std::move(result));
      leave();
    };
    return detail::answered_on_drop(std::move(answer), detail::answer_of<T>(status::unavailable));
  }

  /// Runs the host's `done` with `result`: what it throws is logged and ignored, whether it runs in
  /// an actor's thread or, for a read-view hit or a refusal, in the caller's (where it escaped from
  /// the call, depending on whether the key was in the first layer).
  template <class T>
  void answer_now(const std::function<void(T)>& done, T result) {
    try {
      done(std::move(result));
    } catch (const std::exception& e) {
      log->write(log_level::error, {"a completion callback threw; ignored", {}, {}, {}, {}, {}, e.what()});
    } catch (...) {
      log->write(log_level::error, {"a completion callback threw a non-standard exception; ignored", {}, {}, {}, {}, {}, {}});
    }
  }

  void submit_get(std::string_view key, const std::string& ns, std::size_t first_layer,
                  std::function<void(get_result)> done) {
    if (ns.empty()) // no entry has it: the loader would be called for one no one could address
      return answer_now(done, get_result{status::invalid, {}, {}, {}});
    if (!enter())
      return answer_now(done, get_result{status::unavailable, {}, {}, {}});
    caf::anon_send(coordinator, detail::get_atom::value,
                   detail::get_request{ns, std::string(key), first_layer, tracked(detail::operation::get, std::move(done), ns, key)});
  }

  void submit_put(std::string_view key, std::string_view value, const put_options& options,
                  std::function<void(status)> done, bool keep_value = false) {
    // What the HTTP and Redis front ends cannot send either: an entry no one could address or
    // invalidate through them, or a negative TTL. Refused here, before any layer: a layer that
    // refused it would fail the put, and the undo would erase the value the key had.
    const bool known_condition = options.condition == put_condition::always ||
                                 options.condition == put_condition::if_absent ||
                                 options.condition == put_condition::if_present; // a value of none of its names
    if (options.ns.empty() || !known_condition || !detail::request_problem(options, "request").empty())
      return answer_now(done, status::invalid);
    if (!enter())
      return answer_now(done, status::unavailable);
    auto data = std::make_shared<detail::put_data>(
      detail::put_data{options.ns, std::string(key), std::string(value), options});
    caf::anon_send(coordinator, detail::put_atom::value,
                   detail::put_request{std::move(data), tracked(detail::operation::put, std::move(done), options.ns, key),
                                       options.condition, keep_value});
  }

  void submit_erase(std::string_view key, const std::string& ns, std::function<void(status)> done) {
    if (ns.empty())
      return answer_now(done, status::invalid);
    if (!enter())
      return answer_now(done, status::unavailable);
    caf::anon_send(coordinator, detail::erase_atom::value,
                   detail::erase_request{ns, std::string(key), tracked(detail::operation::erase, std::move(done), ns, key)});
  }

  void submit_tag(std::string_view tag, const std::string& ns, std::function<void(invalidate_result)> done) {
    if (ns.empty() || tag.empty()) // no entry has either
      return answer_now(done, invalidate_result{status::invalid, 0, {}});
    if (!enter())
      return answer_now(done, invalidate_result{status::unavailable, 0, {}});
    caf::anon_send(coordinator, detail::tag_atom::value,
                   detail::tag_request{ns, std::string(tag), tracked(detail::operation::invalidate_tag, std::move(done), ns, tag)});
  }

  /// What layer 0's read view said of a get.
  enum class view_answer {
    hit,    ///< `out` holds the value
    miss,   ///< the coordinator starts at layer 1
    absent, ///< no view, or it failed: the coordinator asks layer 0 itself
  };

  /// Where the coordinator starts a get the view did not answer.
  static std::size_t first_layer_to_ask(view_answer answer) { return answer == view_answer::miss ? 1 : 0; }

  view_answer try_first_view(std::string_view key, const std::string& ns, get_result& out) {
    if (ns.empty()) // refused by submit_get
      return view_answer::absent;
    // This thread's first read: the plugin's code runs in it.
    thread_local const bool stack_given = (detail::ensure_alternate_stack_in_host_thread(), true);
    (void)stack_given;
    // Reading the clock twice would cost more than the hit itself: time one get in 64, counted from
    // a phase of the thread's own. From 0 in every thread, a server whose many workers each served
    // fewer than 64 gets timed none (a p50 of 0 after 1000 gets over HTTP).
    thread_local std::uint32_t calls = detail::view_timing_phase();
    const bool timed = first_layer_metrics && (++calls % detail::view_timing_period) == 0;
    const auto start = timed ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point{};
    status outcome = status::unavailable;
    std::uint64_t generation = 0;
    std::string fault;
    // A fault is the layer's, as one in its actor is (even if the actor, which answers instead,
    // does not fail): counted, unhealthy, replaced. A failure of ours is left to the actor.
    const bool read = shared->first_view.read([&](const detail::published_view& view) {
      generation = view.generation;
      try {
        outcome = view.view->get(ns, key, out.value);
      } catch (const layer_unavailable&) {
      } catch (const std::exception& e) {
        fault = std::string("read view threw: ") + e.what();
      } catch (...) {
        fault = "read view threw a non-standard exception";
      }
    });
    if (!read)
      return view_answer::absent;
    if (!fault.empty())
      return view_failed(generation, std::move(fault));
    if (static_cast<unsigned>(outcome) > static_cast<unsigned>(status::internal))
      return view_failed(generation,
                         "read view answered an unknown status " + std::to_string(static_cast<unsigned>(outcome)));
    if (outcome != status::ok && outcome != status::not_found)
      return view_answer::absent;
    // Recorded once, on layer 0: the telemetry actor adds these hits to the runtime's own figures.
    if (first_layer_metrics) {
      if (timed && outcome == status::ok)
        first_layer_metrics->record(detail::operation::get, outcome, std::chrono::steady_clock::now() - start);
      else
        first_layer_metrics->record(detail::operation::get, outcome);
    }
    if (outcome != status::ok)
      return view_answer::miss;
    out.code = status::ok;
    out.layer = first_layer_name;
    return view_answer::hit;
  }

  view_answer view_failed(std::uint64_t generation, std::string why) {
    // Counted in flight while it reads the coordinator's handle, as requests are: a shutdown
    // clears the handle once none is (a read-view get is not counted).
    if (!enter())
      return view_answer::absent;
    caf::anon_send(coordinator, detail::layer_failed_atom::value, std::size_t{0}, generation, std::move(why));
    leave();
    return view_answer::absent;
  }

  /// What a shutdown has waited `after` for: one error line per plugin call in `calls`, or when
  /// there is none, a warning that says what else it waits for (`otherwise`).
  void report_waited_for(const detail::calls_in_flight& calls, std::chrono::milliseconds after,
                         const std::string& otherwise) {
    const auto waited = "the shutdown has waited " + std::to_string(after.count()) + " ms for ";
    const auto lines = calls.describe();
    if (lines.empty())
      log->write(log_level::warn, {waited + otherwise, {}, {}, {}, {}, {}, {}});
    for (const auto& call : lines)
      log->write(log_level::error, {waited + "a plugin call that has not returned: " + call, {}, {}, {}, {}, {}, {}});
  }

  void stop() {
    // Host code the runtime called (a loader, a callback) holds up one of the threads a shutdown
    // waits for: there, new requests are refused at once and a thread of its own does the rest.
    if (detail::in_host_callback::active()) {
      accepting.store(false, std::memory_order_seq_cst);
      std::call_once(stopper_started, [this] {
        stopper = std::thread([this] {
          detail::ensure_alternate_stack(); // plugins' destructors run here
          stop();
        });
      });
      return;
    }
    std::call_once(stopped, [this] {
      accepting.store(false, std::memory_order_seq_cst);
      const auto deliver_until = std::chrono::steady_clock::now() + cfg.runtime.shutdown_timeout;
      shared->drain_ends_ns.store(deliver_until.time_since_epoch().count(), std::memory_order_release);
      alert_delivery->deliver_until = deliver_until.time_since_epoch().count();
      {
        std::unique_lock<std::mutex> lock(drain_mutex);
        drained.wait_for(lock, cfg.runtime.shutdown_timeout, [this] { return in_flight.load() == 0; });
      }
      // At least a second: with a shutdown_timeout of 0, every call about to return was named.
      const auto after = std::max(cfg.runtime.shutdown_timeout, std::chrono::milliseconds(1000));
      // The handles stay set until every actor is done: the telemetry actor may still be sending
      // to the alert dispatchers while it takes its last sample.
      for (auto* actor : {&coordinator, &telemetry})
        if (*actor)
          caf::anon_send_exit(*actor, caf::exit_reason::user_shutdown);
      for (const auto& scheduler : exports)
        caf::anon_send_exit(scheduler, caf::exit_reason::user_shutdown);
      {
        // A plugin stuck in a call holds the actor system, and so the shutdown, for ever; a
        // supervisor's kill would leave no word of which plugin.
        detail::report_if_late late(after, [this, after] {
          report_waited_for(shared->calls, after, "the runtime's threads; no plugin is in a call (a host loader, the "
                                                  "host's alert callback or a request's completion callback may be)");
        });
        {
          // An evaluation under way hands its events to the dispatchers before their exit
          // message: an alert that alerts() showed before the stop is delivered (within
          // runtime.shutdown_timeout), not dropped as "raised as it stopped".
          std::lock_guard<std::mutex> delivering(alert_delivery_mutex);
          for (const auto& route : alert_routes)
            caf::anon_send_exit(route.dispatcher, caf::exit_reason::user_shutdown);
        }
        system->await_all_actors_done();
      }
      for (const auto& route : alert_routes)
        if (const auto late = route.queued->exchange(0); late > 0)
          log->write(log_level::warn, {std::to_string(late) + " alert events not delivered to " + route.name +
                                       ": raised as it stopped", {}, {}, {}, {}, {}, {}});
      for (auto* actor : {&coordinator, &telemetry})
        *actor = nullptr;
      exports.clear();
      {
        // A host thread reloading the alert rules may be sending to them.
        std::lock_guard<std::mutex> delivering(alert_delivery_mutex);
        alert_routes.clear();
      }
      system.reset();
      {
        // Every request is answered now (`unavailable` where the actors dropped it), but a caller
        // may still be in an embedder, which runs in its thread, outside the actors, or on its way
        // out of the runtime: what they use is freed only once none is.
        detail::report_if_late late(after, [this, after] {
          report_waited_for(capabilities->embedding_calls(), after,
                            std::to_string(in_flight.load()) + " requests to leave the runtime after its actors "
                                                               "stopped (a host's semantic verifier may hold them)");
        });
        std::unique_lock<std::mutex> lock(drain_mutex);
        drained.wait(lock, [this] { return in_flight.load() == 0; });
      }
      log->write(log_level::info, {"runtime stopped", {}, {}, {}, {}, {}, {}});
    });
  }
};

} // namespace strata
