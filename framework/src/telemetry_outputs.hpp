#pragma once
// The actors that carry telemetry out of the process, each on a thread of its own so that a slow
// exporter or handler never delays requests, sampling, or another exporter or handler:
// - an export scheduler per exporter calls its `publish` on its period (if it pushes), on demand,
//   and once more at shutdown: one that hangs (a full disk on NFS, a blocking socket) holds only
//   its own;
// - an alert dispatcher per handler plugin, and one for the host's callback, hands each alert event
//   to its own: a handler that takes seconds an event (a webhook to a receiver that hangs) delays
//   no other.

#include "calls_in_flight.hpp"
#include "log.hpp"
#include "plugin_instance.hpp"

#include <strata/alerts.hpp>
#include <strata/instruments.hpp>
#include <strata/telemetry_snapshot.hpp>

#include <caf/actor.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>
#include <caf/fwd.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace strata::detail {

using export_now_atom = caf::atom_constant<caf::atom("exportnow")>;
using alert_atom = caf::atom_constant<caf::atom("alert")>;

/// A configured instance of an exporter or handler, with the counter of its failures.
template <class T>
struct named_instance {
  std::string name;
  std::unique_ptr<plugin_instance<T>> instance;
  instruments::counter* errors = nullptr; ///< never null
};

/// An export scheduler for each exporter; each call into one is in `calls` while it runs.
std::vector<caf::actor> spawn_export_schedulers(caf::actor_system& system, std::vector<named_instance<exporter>> exporters,
                                                const telemetry_source& source, std::shared_ptr<runtime_log> log,
                                                calls_in_flight& calls);

/// Shared by the runtime and its alert dispatchers: when the runtime's shutdown stops deliveries
/// (a handler that takes seconds an event must not hold the shutdown for a backlog).
struct alert_delivery {
  std::atomic<std::chrono::steady_clock::rep> deliver_until{std::numeric_limits<std::chrono::steady_clock::rep>::max()};

  bool past_deadline() const {
    return std::chrono::steady_clock::now().time_since_epoch().count() > deliver_until.load();
  }
};

/// One alert dispatcher: the thread of one handler (or of the host's callback), and the events
/// sent to it and not yet taken. What is not delivered is counted and logged, not lost in silence.
struct alert_route {
  std::string name; ///< "handler 'NAME'" or "the host's on_alert callback"
  caf::actor dispatcher;
  std::shared_ptr<std::atomic<std::size_t>> queued = std::make_shared<std::atomic<std::size_t>>(0);
};

/// A dispatcher for each handler, and one for `callback` when it is set; each call into a handler
/// is in `calls` while it runs.
std::vector<alert_route> spawn_alert_dispatchers(caf::actor_system& system,
                                                 std::vector<named_instance<alert_handler>> handlers,
                                                 std::function<void(const alert_event&)> callback,
                                                 std::shared_ptr<runtime_log> log,
                                                 std::shared_ptr<alert_delivery> delivery, calls_in_flight& calls);

} // namespace strata::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(strata::alert_event)
