#include "telemetry_outputs.hpp"

#include "host_callback.hpp"

#include <strata/paced_lines.hpp>

#include <caf/all.hpp>

#include <algorithm>
#include <optional>

namespace strata::detail {

namespace {

using tick_atom = caf::atom_constant<caf::atom("tick")>;
using clock = std::chrono::steady_clock;

/// Runs `f`; an exception is counted and its text returned, never let out.
template <class F>
std::optional<std::string> guarded(instruments::counter& errors, F&& f) {
  try {
    f();
    return std::nullopt;
  } catch (const std::exception& e) {
    errors.inc();
    return std::string(e.what());
  } catch (...) {
    errors.inc();
    return std::string("unknown exception");
  }
}

struct scheduler_state {
  std::optional<named_instance<exporter>> instance;
  std::shared_ptr<calls_in_flight::record> call; ///< the exporter's call in flight
  clock::duration period{}; ///< zero: pulled, published on demand only
  paced_lines failures; ///< of `publish`: one failing every 200 ms wrote a line each time
  static inline const char* name = "strata.exports";
};

/// Calls one exporter's `publish` on its period, on demand, and once more at shutdown (if it pushes).
caf::behavior export_scheduler(caf::stateful_actor<scheduler_state>* self,
                               std::shared_ptr<std::optional<named_instance<exporter>>> given,
                               const telemetry_source* source, std::shared_ptr<runtime_log> log,
                               std::shared_ptr<calls_in_flight::record> call) {
  auto& st = self->state;
  st.instance = std::move(*given);
  st.call = std::move(call);
  st.period = st.instance->instance->get().push_interval();
  // A snapshot that cannot be taken is logged and skips this round; the schedule goes on.
  auto publish = [self, source, log] {
    auto& e = *self->state.instance;
    std::optional<telemetry_snapshot> snapshot;
    try {
      snapshot = source->snapshot();
    } catch (const std::exception& ex) {
      log->write(log_level::error, {"telemetry snapshot failed", {}, {}, {}, {}, {}, ex.what()});
      return false;
    }
    const calls_in_flight::in_call marked(self->state.call.get(), "publish()");
    auto& failures = self->state.failures;
    if (auto error = guarded(*e.errors, [&] { e.instance->get().publish(*snapshot); })) {
      if (const auto held = failures.failure())
        log->write(log_level::error, {"exporter " + e.name + " failed", {}, {}, {}, {}, {},
                                      *error + (*held > 0 ? "; " + std::to_string(*held) + " more since the last line" : "")});
    } else if (const auto held = failures.success()) {
      log->write(log_level::info, {"exporter " + e.name + " publishes again" +
                                     (*held > 0 ? " (" + std::to_string(*held) + " more failures since the last line)" : ""),
                                   {}, {}, {}, {}, {}, {}});
    }
    return true;
  };
  self->set_exit_handler([self, publish, log](caf::exit_msg& msg) {
    if (self->state.period > clock::duration::zero())
      publish();
    if (const auto untold = self->state.failures.untold(); untold > 0)
      log->write(log_level::warn, {"exporter " + self->state.instance->name + ": " + std::to_string(untold) +
                                     " failures since the last line, not logged before the stop",
                                   {}, {}, {}, {}, {}, {}});
    {
      const calls_in_flight::in_call marked(self->state.call.get(), "its destructor");
      self->state.instance.reset(); // destroyed in this thread, before the runtime's state goes
    }
    self->quit(msg.reason);
  });
  if (st.period > clock::duration::zero())
    self->delayed_send(self, st.period, tick_atom::value);
  return {
    [self, publish](tick_atom) {
      const auto started = clock::now();
      publish();
      // Catch up without bursts: the next period starts now if this one ran late.
      self->delayed_send(self, std::max(clock::duration::zero(), self->state.period - (clock::now() - started)),
                         tick_atom::value);
    },
    [publish](export_now_atom) { return publish(); },
  };
}

struct dispatcher_state {
  std::optional<named_instance<alert_handler>> handler; ///< none: the host's callback
  std::shared_ptr<calls_in_flight::record> call;        ///< the handler's call in flight; none for the callback
  std::size_t not_delivered = 0;                        ///< taken after the shutdown's deadline
  static inline const char* name = "strata.alerts";
};

/// Hands each event to one handler, or (without one) to the host's `callback`.
caf::behavior alert_dispatcher(caf::stateful_actor<dispatcher_state>* self,
                               std::shared_ptr<std::optional<named_instance<alert_handler>>> given,
                               std::function<void(const alert_event&)> callback, std::shared_ptr<runtime_log> log,
                               std::shared_ptr<alert_delivery> delivery, std::string route,
                               std::shared_ptr<std::atomic<std::size_t>> queued,
                               std::shared_ptr<calls_in_flight::record> call) {
  self->state.handler = std::move(*given);
  self->state.call = std::move(call);
  self->set_exit_handler([self, log, route, queued](caf::exit_msg& msg) {
    // What came after the deadline, and what is still in the mailbox (dropped with it).
    if (const auto lost = self->state.not_delivered + queued->exchange(0); lost > 0)
      log->write(log_level::warn, {std::to_string(lost) + " alert events not delivered to " + route +
                                   ": the runtime stopped before their turn (runtime.shutdown_timeout)",
                                   {}, {}, {}, {}, {}, {}});
    {
      const calls_in_flight::in_call marked(self->state.call.get(), "its destructor");
      self->state.handler.reset();
    }
    self->quit(msg.reason);
  });
  return {
    [self, callback, log, delivery, queued](alert_atom, const alert_event& event) {
      queued->fetch_sub(1);
      if (delivery->past_deadline()) {
        ++self->state.not_delivered;
        return;
      }
      if (auto& h = self->state.handler) {
        const calls_in_flight::in_call marked(self->state.call.get(), "handle()");
        if (const auto error = guarded(*h->errors, [&] { h->instance->get().handle(event); }))
          log->write(log_level::error, {"alert handler " + h->name + " failed", {}, {}, {}, {}, {}, *error});
        return;
      }
      try {
        const in_host_callback host_code;
        callback(event);
      } catch (const std::exception& e) {
        log->write(log_level::error, {"alert callback failed", {}, {}, {}, {}, {}, e.what()});
      } catch (...) {
        log->write(log_level::error, {"alert callback failed", {}, {}, {}, {}, {}, "unknown exception"});
      }
    },
  };
}

} // namespace

std::vector<caf::actor> spawn_export_schedulers(caf::actor_system& system, std::vector<named_instance<exporter>> exporters,
                                                const telemetry_source& source, std::shared_ptr<runtime_log> log,
                                                calls_in_flight& calls) {
  std::vector<caf::actor> schedulers;
  for (auto& e : exporters) {
    auto call = calls.enter("exporter '" + e.name + "'");
    schedulers.push_back(system.spawn<caf::detached>(
      export_scheduler, std::make_shared<std::optional<named_instance<exporter>>>(std::move(e)), &source, log,
      std::move(call)));
  }
  return schedulers;
}

std::vector<alert_route> spawn_alert_dispatchers(caf::actor_system& system,
                                                 std::vector<named_instance<alert_handler>> handlers,
                                                 std::function<void(const alert_event&)> callback,
                                                 std::shared_ptr<runtime_log> log,
                                                 std::shared_ptr<alert_delivery> delivery, calls_in_flight& calls) {
  std::vector<alert_route> routes;
  const auto spawn = [&](std::optional<named_instance<alert_handler>> handler,
                         std::function<void(const alert_event&)> to_host, std::string name) {
    alert_route route;
    route.name = std::move(name);
    auto call = handler ? calls.enter("alert handler '" + handler->name + "'") : nullptr;
    route.dispatcher = system.spawn<caf::detached>(
      alert_dispatcher, std::make_shared<std::optional<named_instance<alert_handler>>>(std::move(handler)),
      std::move(to_host), log, delivery, route.name, route.queued, std::move(call));
    routes.push_back(std::move(route));
  };
  for (auto& h : handlers) {
    auto name = "handler '" + h.name + "'";
    spawn(std::move(h), nullptr, std::move(name));
  }
  if (callback)
    spawn(std::nullopt, std::move(callback), "the host's on_alert callback");
  return routes;
}

} // namespace strata::detail
