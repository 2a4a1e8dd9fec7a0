#include "loader_worker.hpp"

#include "host_callback.hpp"
#include "messages.hpp"
#include "request_checks.hpp"

#include <caf/all.hpp>

namespace strata::detail {

namespace {

/// What the host's loader gives for (ns, key), as a worker's answer.
load_reply run_load(const loader_fn& loader, const std::atomic<bool>& stopping, const std::string& ns,
                    const std::string& key) {
  load_reply reply;
  // The runtime stopped waiting for its requests: the loads queued behind the one in the host's
  // loader now would each still cost a call (shutdown waited for them all).
  if (stopping.load(std::memory_order_acquire)) {
    reply.code = status::unavailable;
    reply.error = "the runtime stopped before this load began";
    return reply;
  }
  try {
    const in_host_callback host_code;
    reply.value = loader(ns, key);
    reply.code = reply.value ? status::ok : status::not_found;
    // What a put of it would be refused for: a negative TTL, an empty tag no one can invalidate.
    if (reply.value)
      if (auto problem = request_problem(reply.value->options, "loader"); !problem.empty()) {
        reply.code = status::internal;
        reply.error = std::move(problem);
        reply.value.reset();
      }
  } catch (const std::exception& e) {
    reply.code = status::internal;
    reply.error = std::string("loader threw: ") + e.what();
  } catch (...) {
    reply.code = status::internal;
    reply.error = "loader threw a non-standard exception";
  }
  return reply;
}

// The answer goes back as a message of its own rather than as a response: the coordinator times
// the load out itself, and still wants the answer after that (the worker is free again, and a
// read-through value is still worth keeping).
caf::behavior loader_worker(caf::event_based_actor* self, loader_fn loader,
                            std::shared_ptr<const std::atomic<bool>> stopping) {
  return {
    [self, loader, stopping](load_atom, std::uint64_t number, const std::string& ns, const std::string& key) {
      auto reply = run_load(loader, *stopping, ns, key);
      if (auto coordinator = caf::actor_cast<caf::actor>(self->current_sender()))
        self->send(coordinator, loaded_atom::value, number, std::move(reply));
    },
  };
}

} // namespace

caf::actor spawn_loader_worker(caf::actor_system& system, loader_fn loader,
                               std::shared_ptr<const std::atomic<bool>> stopping) {
  return system.spawn<caf::detached>(loader_worker, std::move(loader), std::move(stopping));
}

} // namespace strata::detail
