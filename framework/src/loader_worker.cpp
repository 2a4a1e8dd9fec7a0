#include "loader_worker.hpp"

#include "host_callback.hpp"
#include "messages.hpp"
#include "request_checks.hpp"

#include <caf/all.hpp>

namespace strata::detail {

namespace {

caf::behavior loader_worker(caf::event_based_actor*, loader_fn loader,
                            std::shared_ptr<const std::atomic<bool>> stopping) {
  return {
    [loader, stopping](load_atom, const std::string& ns, const std::string& key) {
      load_reply reply;
      // The runtime stopped waiting for its requests: the loads queued behind the one in the
      // host's loader now would each still cost a call (shutdown waited for them all).
      if (stopping->load(std::memory_order_acquire)) {
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
    },
  };
}

} // namespace

caf::actor spawn_loader_worker(caf::actor_system& system, loader_fn loader,
                               std::shared_ptr<const std::atomic<bool>> stopping) {
  return system.spawn<caf::detached>(loader_worker, std::move(loader), std::move(stopping));
}

} // namespace strata::detail
