#pragma once
/// @file layer.hpp
/// The interface a plugin author implements. Plain C++: the framework hosts each instance in its
/// own actor and calls it from one thread at a time, so a layer needs no locks and no CAF code.
/// Only an optional `read_view` is called concurrently.

#include <strata/entry.hpp>
#include <strata/interaction.hpp>
#include <strata/status.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace strata {

class semantic_operations;
class vector_operations;

/// A value found by a layer, with its metadata (the remaining TTL), so that the coordinator can
/// promote it into the layers above with the same expiry and tags.
struct layer_hit {
  std::string value;
  entry_options meta;
};

/// Thrown by a layer method that has no status to answer with (`invalidate_tag`) when the layer's
/// backend cannot serve now: that request answers `unavailable`, and the layer is neither counted
/// as failed nor replaced (any other exception is a fault). A host before this was added treats it
/// as any exception.
class layer_unavailable : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Thrown by a semantic or vector operation (a capability call) the layer declines in its present
/// state (full, say), so that the answer says why: the request answers `rejected` with this
/// message, and the layer is neither counted as failed nor replaced. Thrown from any other method
/// (get, put, command, maintain, ...) it is a fault like any exception, as it is for a host
/// before this was added.
class layer_declined : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A thread-safe read path into a layer, called directly in the host's threads (no message), so
/// that a hit on the first layer costs about a hash lookup. It must be safe to call concurrently
/// with itself and with every method of the layer that created it, and must stay valid after the
/// layer object is destroyed (the runtime keeps it until shutdown).
class read_view {
public:
  virtual ~read_view() = default;

  /// Looks `key` up in namespace `ns`; on `status::ok` the value is in `value_out`. `not_found`
  /// is the layer's miss, as its own `get` would answer it: the get goes on to the next layer,
  /// without asking this layer's actor, so a view must see every write its layer has applied (a
  /// view that is only sometimes sure answers `unavailable` when it is not). Any other status, or
  /// a throw, sends the get to the layer's actor instead; a throw (but
  /// `layer_unavailable`) or a status that is not one of Strata's is also the layer's fault, as in
  /// its methods: counted, and the layer replaced.
  virtual status get(std::string_view ns, std::string_view key, std::string& value_out) = 0;
};

/// A cache layer. Methods may throw: the host takes an exception (but `layer_unavailable`) as the
/// layer's fault, marks the layer unhealthy and restarts it from its factory; that request is
/// answered as when the layer cannot answer: a get by the next layer (a full miss answers
/// `internal`), any other request `internal` (plugins/README.md says which request gets what).
class layer {
public:
  virtual ~layer() = default;

  /// Looks `key` up in namespace `ns`: `ok` with `out` filled, or `not_found`; `invalid` or
  /// `rejected` (a key this layer cannot hold, say) is taken as a miss too, and `unavailable`,
  /// `timeout` or `internal` as a miss this layer could not answer (a full miss then answers that
  /// failure, not `not_found`). A hit whose
  /// metadata a put would be refused for (a negative TTL, an empty tag) is logged and neither
  /// served nor promoted: the layers after it are asked, and a full miss answers `internal`.
  virtual status get(std::string_view ns, std::string_view key, layer_hit& out) = 0;

  /// Writes `key` → `value` in namespace `ns`. A layer that declines the write (`rejected`: too
  /// large for it, say) must no longer serve an older value of the key: the put answers `ok` when
  /// another layer kept the new one.
  virtual status put(std::string_view ns, std::string_view key, std::string_view value,
                     const entry_options& options) = 0;

  /// Removes `key` from namespace `ns`: `ok` if it was there, `not_found` otherwise.
  virtual status erase(std::string_view ns, std::string_view key) = 0;

  /// Removes every entry of namespace `ns` tagged `tag`; returns how many were removed.
  virtual std::size_t invalidate_tag(std::string_view ns, std::string_view tag) = 0;

  /// How often the host calls `maintain()`; zero (the default) means never.
  virtual std::chrono::milliseconds maintenance_interval() const { return std::chrono::milliseconds{0}; }

  /// Periodic housekeeping (expiry, compaction), called from the layer's own actor.
  virtual void maintain() {}

  /// The layer's concurrent read path, or null when it has none.
  virtual std::shared_ptr<read_view> concurrent_view() { return nullptr; }

  // --- ABI 1.2 (called only for plugins built for 1.2 or newer) --------------------------------

  /// The semantic operations this layer serves (strata/semantic.hpp), or null: the runtime routes
  /// `semantic_*` requests to the first layer of the chain that offers them.
  virtual semantic_operations* semantic() { return nullptr; }

  /// The vector operations this layer serves (strata/vectors.hpp), or null.
  virtual vector_operations* vectors() { return nullptr; }
  /// Since ABI 1.2: an operation of this layer's own, named `name`, with arguments and answer as
  /// JSON objects (the global layer's validate and reject, the diary's pattern queries). Called
  /// from the layer's actor like the other methods; the host calls it only on plugins built for
  /// ABI 1.2 or later. `invalid` (the default) for a name the layer does not know, with the reason
  /// in `json_out` as {"error": "..."}; a refused argument is named there too, {"error": "...",
  /// "field": "limit"} (the HTTP API's error says both).
  virtual status command(std::string_view /*name*/, std::string_view /*json_args*/, std::string& json_out) {
    json_out = "{\"error\":\"this layer takes no commands\"}";
    return status::invalid;
  }

  /// Since ABI 1.2, for plugins flagged STRATA_PLUGIN_FLAG_OBSERVER: what receives every
  /// interaction of the runtime. Asked of each instance as it starts: the runtime records into the
  /// latest instance's, so that its commands see what it records; the one before is released then
  /// (it may still be held by its instance, being destroyed), in the new instance's thread. A
  /// flagged plugin must give one: none, or a throw, stops the start (at a restart, the one before
  /// records on, and the log says why). A deployment needs at least one layer that is not an
  /// observer.
  virtual std::shared_ptr<interaction_observer> observer() { return nullptr; }

  // --- ABI 1.4 (called only for plugins built for 1.4 or newer) --------------------------------

  /// Writes what a prefetch this layer asked for (strata_host_api::prefetch) loaded: called
  /// instead of `put` for that write only, so that the layer can tell a prefetch's fill from a
  /// client's write of the same key (which `put` receives). Not called when the prefetch found
  /// nothing, when a write reached the key meanwhile, or when a get missed the key while the load
  /// ran: that get's fill is a plain `put`, into the layers that take promotions only. What it
  /// answers is counted as a put's. The default writes it as a put.
  virtual status put_prefetched(std::string_view ns, std::string_view key, std::string_view value,
                                const entry_options& options) {
    return put(ns, key, value, options);
  }

  // --- ABI 1.5 (called only for plugins built for 1.5 or newer) --------------------------------

  /// An EXPIRE's write (`runtime::expire`): the coordinator found `value` for the key, with
  /// `options` but for `options.ttl`, the new TTL; it writes that back into every layer, in
  /// order with this runtime's other writes of the key. A layer that other runtimes write too
  /// (a shared database) must change only the TTL, and only where the key still holds `value`
  /// (also if it expired since: the EXPIRE came first, and the copies the other layers take
  /// have the new TTL): another runtime may have replaced or removed it after the coordinator looked
  /// (it found `value` in a copy whose drop was still on its way), and writing it back would
  /// bring the old value back there, for every runtime. Answer `ok` when the layer wrote `value`
  /// as a put does (the default, which writes it as a put); `not_found` when it wrote no value:
  /// it set the TTL only, or changed nothing because the key no longer holds `value` (the EXPIRE
  /// is then ordered before the other runtime's write). The EXPIRE counts either as taken; a late
  /// `ok` from an instance replaced meanwhile is repaired as a late put is (the key erased from
  /// its successor, whose later writes it may have overwritten), a `not_found` needs no repair.
  virtual status put_kept(std::string_view ns, std::string_view key, std::string_view value,
                          const entry_options& options) {
    return put(ns, key, value, options);
  }
};

} // namespace strata
