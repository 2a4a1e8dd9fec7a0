#include "loader_worker.hpp"

#include "host_callback.hpp"
#include "messages.hpp"

#include <caf/all.hpp>

namespace strata::detail {

namespace {

caf::behavior loader_worker(caf::event_based_actor*, loader_fn loader) {
  return {
    [loader](load_atom, const std::string& ns, const std::string& key) {
      load_reply reply;
      try {
        const in_host_callback host_code;
        reply.value = loader(ns, key);
        reply.code = reply.value ? status::ok : status::not_found;
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

caf::actor spawn_loader_worker(caf::actor_system& system, loader_fn loader) {
  return system.spawn<caf::detached>(loader_worker, std::move(loader));
}

} // namespace strata::detail
