#pragma once
// The actor that hosts one layer object: calls it from one thread at a time, turns exceptions
// into failed replies, and runs its periodic maintenance.

#include "calls_in_flight.hpp"
#include "plugin_instance.hpp"

#include <caf/fwd.hpp>

#include <atomic>
#include <cstdint>
#include <memory>

namespace strata::detail {

/// Spawns the host of `instance` for slot `index`, generation `generation` of `coordinator`.
/// `detached` gives it a thread of its own (for layers that may block). Once `retired` is set, or
/// the time in `drain_ends_ns` has come (a shutdown's; 0: none), the host answers what is left in
/// its mailbox `unavailable` without calling the instance. The host
/// marks in `call` each call it makes into the instance, and releases `replaced_observer` (the
/// observer of the instance before, if any) in its own thread as it starts.
caf::actor spawn_layer_host(caf::local_actor* parent, std::shared_ptr<layer_instance> instance,
                            caf::actor coordinator, std::size_t index, std::uint64_t generation,
                            bool detached, std::shared_ptr<const std::atomic<bool>> retired,
                            std::shared_ptr<const std::atomic<std::int64_t>> drain_ends_ns,
                            std::shared_ptr<calls_in_flight::record> call,
                            std::shared_ptr<interaction_observer> replaced_observer = nullptr);

} // namespace strata::detail
