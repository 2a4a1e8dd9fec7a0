#pragma once
// A thread that runs the host's read-through loader, so that a slow load blocks no actor.

#include <strata/runtime.hpp>

#include <caf/fwd.hpp>

#include <atomic>
#include <memory>

namespace strata::detail {

/// A worker calling `loader` for each load it is sent (load_atom, number, ns, key), in order, and
/// sending the sender (loaded_atom, number, load_reply); once `stopping` is set, it answers the
/// loads still queued `unavailable` without calling the loader.
caf::actor spawn_loader_worker(caf::actor_system& system, loader_fn loader,
                               std::shared_ptr<const std::atomic<bool>> stopping);

} // namespace strata::detail
