#include "layer_host.hpp"

#include "messages.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <exception>
#include <stdexcept>
#include <string>

namespace strata::detail {

namespace {

struct layer_host_state {
  std::shared_ptr<calls_in_flight::record> call; ///< declared first: outlives the instance
  std::shared_ptr<layer_instance> instance;
  std::shared_ptr<const std::atomic<bool>> retired;
  std::shared_ptr<const std::atomic<std::int64_t>> drain_ends_ns;
  /// Why the instance is not to be called now, or null: replaced, or the shutdown's drain over.
  const char* not_to_call() const {
    if (retired->load(std::memory_order_acquire))
      return "the layer's instance was replaced before it answered";
    const auto ends = drain_ends_ns->load(std::memory_order_acquire);
    if (ends != 0 && std::chrono::steady_clock::now().time_since_epoch().count() >= ends)
      return "the runtime stopped before the layer answered";
    return nullptr;
  }
  ~layer_host_state() {
    // The last reference to the instance is usually this one: its destructor (a file saved, a
    // connection closed) may hold a shutdown too.
    const calls_in_flight::in_call marked(call.get(), "its destructor");
    instance.reset();
  }
  static inline const char* name = "strata.layer_host";
};

using host_actor = caf::stateful_actor<layer_host_state>;

/// Runs one call into the plugin; an exception becomes a failed reply, never an escape.
template <class F>
layer_reply guarded(F&& call) {
  try {
    auto reply = call();
    if (static_cast<unsigned>(reply.code) > static_cast<unsigned>(status::internal)) // not one of ours
      return layer_reply{status::internal, true,
                         "layer answered an unknown status " + std::to_string(static_cast<unsigned>(reply.code)), {}, 0};
    return reply;
  } catch (const layer_unavailable& e) {
    return layer_reply{status::unavailable, false, e.what(), {}, 0};
  } catch (const std::exception& e) {
    return layer_reply{status::internal, true, std::string("layer threw: ") + e.what(), {}, 0};
  } catch (...) {
    return layer_reply{status::internal, true, "layer threw a non-standard exception", {}, 0};
  }
}

caf::behavior layer_host(host_actor* self, std::shared_ptr<layer_instance> instance, caf::actor coordinator,
                         std::size_t index, std::uint64_t generation, std::shared_ptr<const std::atomic<bool>> retired,
                         std::shared_ptr<const std::atomic<std::int64_t>> drain_ends_ns,
                         std::shared_ptr<calls_in_flight::record> call,
                         std::shared_ptr<interaction_observer> replaced_observer) {
  // Here rather than in the coordinator's thread: the diary's observer writes what it holds as it
  // goes, for up to 5 s.
  replaced_observer.reset();
  self->state.instance = std::move(instance);
  self->state.retired = std::move(retired);
  self->state.drain_ends_ns = std::move(drain_ends_ns);
  self->state.call = std::move(call);
  const auto asked = guarded([&] {
    layer_reply reply;
    const auto ms = self->state.instance->get().maintenance_interval().count();
    reply.count = ms > 0 ? static_cast<std::size_t>(ms) : 0;
    return reply;
  });
  const auto interval = std::chrono::milliseconds(asked.failed ? 0 : asked.count);
  if (asked.failed) // reported as any fault is: the coordinator replaces this instance
    self->send(coordinator, layer_failed_atom::value, index, generation, "maintenance_interval(): " + asked.error);
  else if (interval.count() > 0)
    self->delayed_send(self, interval, maintain_atom::value);
  // Each request carries its number, and its reply goes back as a message with that number:
  // CAF's own request-response keeps its pending responses in a flat map that it searches and
  // shifts per response, so a burst of 50 000 requests in flight took seconds to answer.
  //
  // A replaced instance (retired) calls the plugin no more: CAF hands it the requests still in its
  // mailbox before the exit, and a persisted layer's old instance then wrote into the file the new
  // one had loaded (rows overwritten, ids given twice). Nor does any host once a shutdown's drain
  // is over: CAF hands it its mailbox before the exit too, and a backlog of calls of 150 ms each
  // held a shutdown_timeout of 1 s for 15 s.
  // A call into the instance, marked as in flight (`what`) while it runs.
  const auto marked = [self](const char* what, auto&& call) {
    const calls_in_flight::in_call in(self->state.call.get(), what);
    return guarded(call);
  };
  // A fault names the call ("put(): layer threw: ..."), as maintenance's do.
  const auto answer = [self, coordinator, marked](std::uint64_t number, const char* what, auto&& call) {
    const char* skipped = self->state.not_to_call();
    auto reply = skipped ? layer_reply{status::unavailable, false, skipped, {}, 0} : marked(what, call);
    if (reply.failed)
      reply.error = what + (": " + reply.error);
    self->send(coordinator, layer_answer_atom::value, number, std::move(reply));
  };
  return {
    [self, answer](layer_get_atom, std::uint64_t number, const std::string& ns, const std::string& key) {
      answer(number, "get()", [&] {
        layer_reply reply;
        reply.code = self->state.instance->get().get(ns, key, reply.hit);
        return reply;
      });
    },
    [self, answer](layer_put_atom, std::uint64_t number, const put_payload& p) {
      answer(number, "put()", [&] {
        layer_reply reply;
        reply.code = self->state.instance->get().put(p->ns, p->key, p->value, p->options);
        return reply;
      });
    },
    [self, answer](layer_put_prefetched_atom, std::uint64_t number, const put_payload& p) {
      answer(number, "put_prefetched()", [&] {
        layer_reply reply;
        reply.code = self->state.instance->get().put_prefetched(p->ns, p->key, p->value, p->options);
        return reply;
      });
    },
    [self, answer](layer_put_kept_atom, std::uint64_t number, const put_payload& p) {
      answer(number, "put_kept()", [&] {
        layer_reply reply;
        reply.code = self->state.instance->get().put_kept(p->ns, p->key, p->value, p->options);
        return reply;
      });
    },
    [self, answer](layer_erase_atom, std::uint64_t number, const std::string& ns, const std::string& key) {
      answer(number, "erase()", [&] {
        layer_reply reply;
        reply.code = self->state.instance->get().erase(ns, key);
        return reply;
      });
    },
    [self, answer](layer_tag_atom, std::uint64_t number, const std::string& ns, const std::string& tag) {
      answer(number, "invalidate_tag()", [&] {
        layer_reply reply;
        reply.count = self->state.instance->get().invalidate_tag(ns, tag);
        return reply;
      });
    },
    [self, answer](layer_call_atom, std::uint64_t number, const layer_call_ptr& call) {
      answer(number, "a semantic or vector call", [&] {
        layer_reply reply;
        try {
          reply.code = (*call)(self->state.instance->get());
        } catch (const std::invalid_argument& e) {
          reply.code = status::invalid; // the request was refused, the layer is fine
          reply.error = e.what();
        } catch (const layer_declined& e) {
          reply.code = status::rejected;
          reply.error = e.what();
        }
        return reply;
      });
    },
    [self, answer](layer_command_atom, std::uint64_t number, const std::string& name, const std::string& args) {
      answer(number, "command()", [&] {
        layer_reply reply;
        reply.code = self->state.instance->get().command(name, args, reply.hit.value);
        return reply;
      });
    },
    [self, coordinator, index, generation, interval, marked](maintain_atom) {
      if (self->state.not_to_call())
        return; // a replaced instance's maintenance would write to what the new one holds
      auto reply = marked("maintain()", [&] {
        self->state.instance->get().maintain();
        return layer_reply{};
      });
      if (reply.failed) {
        // Nobody waits for maintenance: tell the coordinator, which replaces this instance.
        self->send(coordinator, layer_failed_atom::value, index, generation, "maintain(): " + reply.error);
        self->quit();
        return;
      }
      self->delayed_send(self, interval, maintain_atom::value);
    },
  };
}

} // namespace

caf::actor spawn_layer_host(caf::local_actor* parent, std::shared_ptr<layer_instance> instance,
                            caf::actor coordinator, std::size_t index, std::uint64_t generation,
                            bool detached, std::shared_ptr<const std::atomic<bool>> retired,
                            std::shared_ptr<const std::atomic<std::int64_t>> drain_ends_ns,
                            std::shared_ptr<calls_in_flight::record> call,
                            std::shared_ptr<interaction_observer> replaced_observer) {
  auto& system = parent->system();
  if (detached)
    return system.spawn<caf::detached>(layer_host, std::move(instance), std::move(coordinator), index, generation,
                                       std::move(retired), std::move(drain_ends_ns), std::move(call),
                                       std::move(replaced_observer));
  return system.spawn(layer_host, std::move(instance), std::move(coordinator), index, generation, std::move(retired),
                      std::move(drain_ends_ns), std::move(call), std::move(replaced_observer));
}

} // namespace strata::detail
