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

namespace {

/// The answer of type T that says only `code`: what the runtime answers itself, for a request a
/// layer never answered (dropped at shutdown) or one it refused to send (from a callback).
get_result answer_of(const get_result*, status code) { return get_result{code, {}, {}, {}}; }
status answer_of(const status*, status code) { return code; }
invalidate_result answer_of(const invalidate_result*, status code) { return invalidate_result{code, 0, {}}; }
command_result answer_of(const command_result*, status code) {
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

} // namespace

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
    return detail::answered_on_drop(std::move(answer), answer_of<T>(status::unavailable));
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
        report_if_late late(after, [this, after] {
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
        report_if_late late(after, [this, after] {
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

namespace {

/// Half the cores, at least two: a layer on the scheduler that blocks (or computes for long) holds
/// its thread, and with one thread it held the coordinator too, whose deadlines then never fired.
int scheduler_threads(int configured) {
  if (configured > 0)
    return configured;
  return std::max(2u, std::thread::hardware_concurrency() / 2);
}

/// CAF 0.17 keeps the actor system's logger alive from a thread-local of each thread that created
/// the system, spawned an actor or made a scoped_actor, and ~actor_system waits for the logger to
/// go: destroyed from another thread (shutdown() called from a signal thread, a runtime handed to
/// another thread) while such a thread lives, it waited for ever. A host thread lets go of it.
void release_caf_logger() { caf::logger::set_current_actor_system(nullptr); }

template <class T>
T await(detail::runtime_log& log, const std::function<void(std::function<void(T)>)>& submit) {
  // A completion callback runs in an actor's thread, which the answer would need: waiting there
  // never ended.
  if (detail::in_host_callback::on_actor_thread()) {
    log.write(log_level::error, {"a synchronous runtime call from a completion callback was refused (it would wait "
                                 "for the thread the callback runs in); use its _async form there, or, where there is none, another thread",
                                 {}, {}, to_string(status::invalid), {}, {}, {}});
    auto refused = answer_of<T>(status::invalid);
    if constexpr (std::is_same_v<T, command_result>)
      refused.json = R"({"error": "a synchronous call from a completion callback"})";
    return refused;
  }
  auto waiter = std::make_shared<detail::sync_waiter<T>>();
  submit([waiter](T result) { waiter->set(std::move(result)); });
  return waiter->wait();
}

/// An empty `done` would be called with the answer and throw std::bad_function_call, logged as a
/// callback's failure after the request had run: refused before it starts, in the caller's code.
template <class T>
void require_callback(const std::function<void(T)>& done, const char* function) {
  if (!done)
    throw std::invalid_argument(std::string("strata::runtime::") + function +
                                ": the completion callback is empty (to not wait for the answer, pass one "
                                "that ignores it)");
}

template <class T>
std::pair<std::future<T>, std::function<void(T)>> promise_pair() {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  return {std::move(future), [promise](T result) { promise->set_value(std::move(result)); }};
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

/// What is wrong with `rules` for this running deployment, one line each: a layer outside the
/// chain, a metric family that does not exist once every instance has registered its own, or is
/// a histogram (a misspelt name would otherwise never fire, silently). Placed in `where`, the file the
/// rules were read from (the one being reloaded, not the one the runtime started from), when
/// there is one.
std::vector<std::string> alert_rule_problems(const runtime_impl& impl, const std::vector<alert_rule>& rules,
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

std::string joined(const std::vector<std::string>& lines) {
  std::string out;
  for (const auto& line : lines)
    out += (out.empty() ? "" : "\n") + line;
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

/// Evaluates the alert rules after each sample and delivers what changed.
void evaluate_alerts(runtime_impl& impl) {
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

/// The `strata_alert_events_total` counters of `rules`, once per rule name.
void register_alert_events(runtime_impl& impl, const std::vector<alert_rule>& rules) {
  std::lock_guard<std::mutex> guard(impl.alert_events_mutex);
  for (const auto& rule : rules)
    for (auto t : {alert_transition::firing, alert_transition::escalated, alert_transition::resolved})
      if (impl.alert_events.count({rule.name, t}) == 0)
        impl.alert_events[{rule.name, t}] =
          &impl.metrics->counter("strata_alert_events_total", "Alert events by rule and transition.",
                                 {"rule", "transition"}, {rule.name, to_string(t)});
}

detail::log_fields message(std::string text) {
  detail::log_fields fields;
  fields.message = std::move(text);
  return fields;
}

/// Which plugin, of which version and file, each instance is created from: a plugin found on
/// `plugins.path` may be another build than the one meant (`plugins.files` takes over its name).
void log_plugins_loaded(runtime_impl& impl, const detail::resolved_plugins& plugins) {
  const auto tell = [&](const std::string& what, const detail::loaded_plugin& plugin) {
    const auto* d = plugin.descriptor;
    impl.log->write(log_level::info, message(what + ": plugin " + d->name + " " + d->version + " (ABI " +
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
    impl.log->write(log_level::error, message("the runtime did not start: " + why.message));
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
    register_alert_events(*impl, impl->cfg.alerts.rules);
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

  if (const auto problems = alert_rule_problems(*impl, impl->cfg.alerts.rules, &impl->cfg); !problems.empty())
    return failed_start(*impl, error{status::invalid, joined(problems)});
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
          evaluate_alerts(*raw);
      });
  }
  impl->coordinator = detail::spawn_coordinator(
    *impl->system, detail::coordinator_setup{impl->cfg, plugins.layers, std::move(instances), std::move(voices), impl->shared,
                                             std::move(options.loader), std::move(metrics), std::move(layer_hosts),
                                             impl->log});
  start_capability_router(*impl, targets, std::move(options.verifier));
  impl->log->write(log_level::info, message("runtime started: " + std::to_string(layers.size()) + " layers, " +
                                            std::to_string(impl->cfg.exporters.size()) + " exporters, " +
                                            std::to_string(impl->cfg.alerts.rules.size()) + " alert rules"));
  release_caf_logger();
  return std::unique_ptr<runtime>(new runtime(std::move(impl)));
}

namespace {

/// The threads that stop and free runtimes destroyed in their own callbacks. Joined when the
/// process exits, before the statics they use (CAF's, the log's) go: made at the first such
/// destruction, it is destroyed before what was made earlier.
class background_stops {
public:
  static void start(std::unique_ptr<runtime_impl> impl) {
    auto& self = instance();
    std::lock_guard<std::mutex> guard(self.mutex_);
    self.threads_.emplace_back([impl = std::move(impl)]() mutable {
      detail::ensure_alternate_stack(); // plugins' destructors run here
      impl->stop();
      impl.reset();
    });
  }
  ~background_stops() {
    for (auto& t : threads_)
      t.join();
  }

private:
  static background_stops& instance() {
    static background_stops stops;
    return stops;
  }
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

} // namespace

runtime::runtime(std::unique_ptr<runtime_impl> impl) : impl_(std::move(impl)) {}

runtime::~runtime() {
  if (detail::in_host_callback::active()) {
    // This thread cannot wait for the runtime's others, and must not free what they use: a
    // thread of its own stops the runtime and frees it (joined at exit at the latest).
    impl_->log->write(log_level::warn, {"runtime destroyed from its own loader or callback: it stops in the background",
                                        {}, {}, {}, {}, {}, {}});
    background_stops::start(std::move(impl_));
    return;
  }
  shutdown();
}

void runtime::shutdown() { impl_->stop(); }

get_result runtime::get(std::string_view key, const request_options& options) {
  if (!impl_->accepting.load(std::memory_order_relaxed))
    return get_result{status::unavailable, {}, {}, {}};
  get_result hit;
  // From a completion callback `await` refuses the call, whether or not the read view holds the key:
  // answered when it did, a host's misuse passed its tests and failed at the first miss.
  const auto answer = detail::in_host_callback::on_actor_thread() ? runtime_impl::view_answer::absent
                                                                  : impl_->try_first_view(key, options.ns, hit);
  if (answer == runtime_impl::view_answer::hit) {
    if (!impl_->observers.empty())
      impl_->observe(interaction_kind::get, options.ns, key, hit.layer, status::ok, std::chrono::nanoseconds{-1});
    return hit;
  }
  return await<get_result>(*impl_->log, [&](std::function<void(get_result)> done) {
    impl_->submit_get(key, options.ns, runtime_impl::first_layer_to_ask(answer), std::move(done));
  });
}

status runtime::put(std::string_view key, std::string_view value, const put_options& options) {
  return await<status>(*impl_->log, [&](std::function<void(status)> done) {
    impl_->submit_put(key, value, options, std::move(done));
  });
}

status runtime::erase(std::string_view key, const request_options& options) {
  return await<status>(*impl_->log, [&](std::function<void(status)> done) {
    impl_->submit_erase(key, options.ns, std::move(done));
  });
}

invalidate_result runtime::invalidate_tag(std::string_view tag, const request_options& options) {
  return await<invalidate_result>(*impl_->log, [&](std::function<void(invalidate_result)> done) {
    impl_->submit_tag(tag, options.ns, std::move(done));
  });
}

std::future<get_result> runtime::get_async(std::string_view key, const request_options& options) {
  auto [future, done] = promise_pair<get_result>();
  get_async(key, options, std::move(done));
  return std::move(future);
}

void runtime::get_async(std::string_view key, const request_options& options,
                        std::function<void(get_result)> done) {
  require_callback(done, "get_async");
  if (!impl_->accepting.load(std::memory_order_relaxed))
    return impl_->answer_now(done, get_result{status::unavailable, {}, {}, {}});
  get_result hit;
  const auto answer = impl_->try_first_view(key, options.ns, hit);
  if (answer == runtime_impl::view_answer::hit) {
    if (!impl_->observers.empty())
      impl_->observe(interaction_kind::get, options.ns, key, hit.layer, status::ok, std::chrono::nanoseconds{-1});
    return impl_->answer_now(done, std::move(hit));
  }
  impl_->submit_get(key, options.ns, runtime_impl::first_layer_to_ask(answer), std::move(done));
}

std::future<status> runtime::put_async(std::string_view key, std::string_view value, const put_options& options) {
  auto [future, done] = promise_pair<status>();
  put_async(key, value, options, std::move(done));
  return std::move(future);
}

void runtime::put_async(std::string_view key, std::string_view value, const put_options& options,
                        std::function<void(status)> done) {
  require_callback(done, "put_async");
  impl_->submit_put(key, value, options, std::move(done));
}

std::future<status> runtime::erase_async(std::string_view key, const request_options& options) {
  auto [future, done] = promise_pair<status>();
  impl_->submit_erase(key, options.ns, std::move(done));
  return std::move(future);
}

void runtime::erase_async(std::string_view key, const request_options& options, std::function<void(status)> done) {
  require_callback(done, "erase_async");
  impl_->submit_erase(key, options.ns, std::move(done));
}

get_result runtime::get_with_ttl(std::string_view key, const request_options& options) {
  return await<get_result>(*impl_->log, [&](std::function<void(get_result)> done) {
    impl_->submit_get(key, options.ns, 0, std::move(done));
  });
}

void runtime::get_with_ttl_async(std::string_view key, const request_options& options,
                                 std::function<void(get_result)> done) {
  require_callback(done, "get_with_ttl_async");
  impl_->submit_get(key, options.ns, 0, std::move(done));
}

status runtime::expire(std::string_view key, std::chrono::milliseconds ttl, const request_options& options) {
  return await<status>(*impl_->log, [&](std::function<void(status)> done) { expire_async(key, ttl, options, std::move(done)); });
}

void runtime::expire_async(std::string_view key, std::chrono::milliseconds ttl, const request_options& options,
                           std::function<void(status)> done) {
  require_callback(done, "expire_async");
  put_options put;
  put.ns = options.ns;
  put.ttl = ttl;
  put.condition = put_condition::if_present;
  impl_->submit_put(key, {}, put, std::move(done), true);
}

std::future<invalidate_result> runtime::invalidate_tag_async(std::string_view tag, const request_options& options) {
  auto [future, done] = promise_pair<invalidate_result>();
  impl_->submit_tag(tag, options.ns, std::move(done));
  return std::move(future);
}

semantic_result runtime::semantic_lookup(semantic_lookup_request request) {
  return impl_->capabilities->semantic_lookup(std::move(request));
}

semantic_store_result runtime::semantic_store(semantic_entry entry) {
  return impl_->capabilities->semantic_store(std::move(entry));
}

operation_result runtime::semantic_update(strata::semantic_update update) {
  return impl_->capabilities->semantic_update(std::move(update));
}

operation_result runtime::semantic_erase(std::uint64_t id, const request_options& options) {
  return impl_->capabilities->semantic_erase(options.ns, id);
}

vector_add_result runtime::vector_add(vector_item item) { return impl_->capabilities->vector_add(std::move(item)); }

vector_batch_add_result runtime::vector_add_batch(std::vector<vector_item> items) {
  return impl_->capabilities->vector_add_batch(std::move(items));
}

vector_search_result runtime::vector_search(vector_query query) {
  return impl_->capabilities->vector_search(std::move(query));
}

vector_batch_search_result runtime::vector_search_batch(std::vector<vector_query> queries) {
  return impl_->capabilities->vector_search_batch(std::move(queries));
}

operation_result runtime::vector_update(vector_item item) { return impl_->capabilities->vector_update(std::move(item)); }

operation_result runtime::vector_erase(std::uint64_t id, const request_options& options) {
  return impl_->capabilities->vector_erase(options.ns, id);
}

std::future<semantic_result> runtime::semantic_lookup_async(semantic_lookup_request request) {
  return impl_->capabilities->semantic_lookup_async(std::move(request));
}

std::future<semantic_store_result> runtime::semantic_store_async(semantic_entry entry) {
  return impl_->capabilities->semantic_store_async(std::move(entry));
}

std::future<vector_add_result> runtime::vector_add_async(vector_item item) {
  return impl_->capabilities->vector_add_async(std::move(item));
}

std::future<vector_search_result> runtime::vector_search_async(vector_query query) {
  return impl_->capabilities->vector_search_async(std::move(query));
}

command_result runtime::layer_command(std::string_view layer, std::string_view command, std::string_view json_args) {
  if (!impl_->enter())
    return command_result{status::unavailable, R"({"error":"the runtime is shutting down"})"};
  struct leave_guard {
    runtime_impl& impl;
    ~leave_guard() { impl.leave(); }
  } counted{*impl_};
  auto result = await<command_result>(*impl_->log, [&](std::function<void(command_result)> done) {
    caf::anon_send(impl_->coordinator, detail::command_atom::value,
                   detail::command_request{std::string(layer), std::string(command), std::string(json_args),
                                           detail::answered_on_drop(std::move(done), command_result{
                                             status::unavailable, R"({"error":"the runtime is shutting down"})"})});
  });
  // What a plugin wrote is passed on as a JSON object (the HTTP API serves it as application/json):
  // checked here, in the caller's thread, not in the coordinator's.
  const auto starts = result.json.find_first_not_of(" \t\r\n");
  if (starts == std::string::npos || result.json[starts] != '{' || !nlohmann::json::accept(result.json)) {
    const auto why = "layer '" + std::string(layer) + "' answered command '" + std::string(command) +
                     "' with text that is not a JSON object";
    impl_->log->write(log_level::warn, {why, std::string(layer), "command", to_string(status::internal), {}, {}, {}});
    result = command_result{status::internal, nlohmann::json{{"error", why}}.dump()};
  }
  return result;
}

health_report runtime::health() const {
  auto report = impl_->hub->health();
  // What the layers last said is kept, but the runtime no longer serves.
  if (!impl_->accepting.load(std::memory_order_relaxed)) {
    report.system.push_back(system_check{"runtime", health_level::critical,
                                         "shut down: every request is refused (unavailable)", 0, 0});
    report.overall = health_level::critical;
  }
  return report;
}

const config& runtime::effective_config() const { return impl_->cfg; }

runtime_stats runtime::stats(stats_window window) const { return impl_->hub->stats(window); }

std::string runtime::prometheus_text() const {
  return impl_->metrics ? telemetry::prometheus_text(impl_->hub->metrics()) : "";
}

telemetry_snapshot runtime::snapshot() const { return impl_->hub->snapshot(); }

void runtime::export_now() {
  if (impl_->exports.empty() || !impl_->enter())
    return;
  struct leave_guard {
    runtime_impl& impl;
    ~leave_guard() { impl.leave(); }
  } counted{*impl_};
  {
    const auto schedulers = impl_->exports; // as at the count: a shutdown past its drain clears them
    caf::scoped_actor self{*impl_->system};
    // All asked before any answer is awaited: one exporter stuck in its publish delays no other's.
    std::vector<decltype(self->request(schedulers.front(), caf::infinite, detail::export_now_atom::value))> asked;
    for (const auto& scheduler : schedulers)
      asked.push_back(self->request(scheduler, caf::infinite, detail::export_now_atom::value));
    for (auto& answer : asked)
      answer.receive([](bool) {}, [](caf::error&) {});
  }
  release_caf_logger();
}

std::vector<active_alert> runtime::alerts() const {
  return impl_->alerts ? impl_->alerts->active() : std::vector<active_alert>{};
}

std::vector<alert_event> runtime::alert_history() const {
  return impl_->alerts ? impl_->alerts->history() : std::vector<alert_event>{};
}

bool runtime::acknowledge_alert(const std::string& rule) { return impl_->alerts && impl_->alerts->acknowledge(rule); }

bool runtime::set_log_level(const std::string& level) {
  if (!detail::valid_log_level(level))
    return false;
  impl_->log->set_level(level);
  std::lock_guard<std::mutex> guard(impl_->reload_mutex);
  impl_->current_level = level;
  return true;
}

namespace {

/// Replaces the running rules with `rules` (read from `where`, when not built in code), or
/// changes nothing and says why, one line each.
std::vector<std::string> apply_alert_rules(runtime_impl& impl, std::vector<alert_rule> rules, const config* where) {
  if (!impl.alerts) {
    const std::string why = "alert rules need runtime.metrics: true, which needs a restart";
    return {where ? detail::make_error(*where, "alerts.rules", why).to_string() : "alerts.rules: " + why};
  }
  if (auto problems = alert_rule_problems(impl, rules, where); !problems.empty())
    return problems;
  register_alert_events(impl, rules);
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
    return error{status::invalid, joined(lines)};
  }
  if (const auto problems = apply_alert_rules(*impl_, std::move(rules), nullptr); !problems.empty())
    return error{status::invalid, joined(problems)};
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
    log.write(log_level::error, message("reload of " + path + " refused, nothing changed: " + e));
  for (const auto& a : report.applied)
    log.write(log_level::info, message("reload of " + path + " applied " + a));
  for (const auto& key : report.needs_restart)
    log.write(log_level::warn, message("reload of " + path + ": " + key + " changed and needs a restart"));
  if (report.valid && report.applied.empty() && report.needs_restart.empty())
    log.write(log_level::info, message("reload of " + path + ": nothing changed"));
  if (new_level)
    set_log_level(*new_level);
  return report;
}

} // namespace strata
