#pragma once
// A thread that runs the host's read-through loader, so that a slow load blocks no actor.

#include <strata/runtime.hpp>

#include <caf/fwd.hpp>

namespace strata::detail {

caf::actor spawn_loader_worker(caf::actor_system& system, loader_fn loader);

} // namespace strata::detail
