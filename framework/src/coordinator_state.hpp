#pragma once
// What the coordinator actor keeps: its layers' slots, the requests sent to them and not answered,
// the lookups, loads and writes in flight, and the bounds that hold them. Private to the
// coordinator's files (coordinator*.cpp), which share its router (coordinator_router.hpp).

#include "coordinator.hpp"

#include "instance_host.hpp"
#include "layer_factory.hpp"
#include "layer_host.hpp"
#include "layer_metrics.hpp"
#include "loader_worker.hpp"
#include "messages.hpp"
#include "request_checks.hpp"

#include <strata/paced_lines.hpp>

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <unordered_map>
#include <utility>


// Not exported from libstrata.so: the coordinator's own (in an anonymous namespace of coordinator.cpp
// before it was split into files).
#pragma GCC visibility push(hidden)

namespace strata::detail::coordination {

/// A request to a layer that has not been answered, and what to do with its answer. Answered
/// once: by the layer, or, past `due()`, by the deadline sweep (a late answer then reaches the
/// caller no more, but counts for supervision, `lost` and `applied_late`).
struct awaited_reply {
  std::uint64_t generation = 0; ///< of the slot's instance it was sent to
  std::chrono::milliseconds deadline{0};
  std::chrono::steady_clock::time_point sent;
  std::function<void(layer_reply&)> answer; ///< empty once answered
  /// For a through put: what to do when, answered as a timeout (the layer was taken to be working
  /// through a backlog, and to take it later), it turns out never to be applied.
  std::function<void()> lost;
  /// For a put: what to do when, answered as a timeout and its instance then replaced as hung
  /// (later writes made through the new instance), it turns out to have been applied after all:
  /// the hung call wrote when it returned, over those writes, in what the layer keeps beyond its
  /// instance (a database).
  std::function<void()> applied_late;
  /// For a write behind: what to do with the layer's own answer when it comes after the request was
  /// answered as a timeout (not once `lost` ran: its instance was replaced).
  std::function<void(const layer_reply&)> late;
  std::chrono::steady_clock::time_point due() const { return sent + deadline; }
};
using awaited_ptr = std::shared_ptr<awaited_reply>;

/// A request sent to a layer and not answered by it yet (it may have been answered as a timeout).
struct sent_request {
  std::size_t slot = 0;
  awaited_ptr awaited;
};

/// One position of the chain.
struct slot {
  layer_config cfg;
  layer_recipe_ptr recipe; ///< what the layer factory worker creates its instances from, and their host
  bool creating = false;                 ///< the factory worker is creating its next instance
  /// Restarts in a row that failed (the factory failed, or the instance failed before answering
  /// anything), until an instance answers a request: they set `restart_wait`.
  std::uint32_t failed_restarts = 0;
  /// Restarts begun so far: a put-off restart is done only if none began since it was put off
  /// (a request's restart, failing too, would otherwise start a second chain of retries).
  std::uint64_t restarts_begun = 0;
  bool detached = false;
  std::chrono::milliseconds deadline{0}; ///< the layer's, else its plugin's default
  bool observer = false; ///< flagged STRATA_PLUGIN_FLAG_OBSERVER: not in the chain
  caf::actor actor;            ///< null while a restart could not create an instance
  /// Set when the instance is replaced: its host then calls it no more.
  std::shared_ptr<std::atomic<bool>> retired;
  instance_voice* voice = nullptr; ///< the instance's side of the host (the host's): silenced with `retired`
  /// A restart waits for the replaced instance's call in progress to return (start_when_stopped).
  bool start_when_stopped = false;
  std::uint64_t generation = 0;
  bool healthy = true;
  std::chrono::steady_clock::time_point last_restart_attempt{};
  std::chrono::steady_clock::time_point last_answer{}; ///< when the current instance last replied
  /// When the pending hang check of the current instance is due, if one is, and its number: a
  /// check superseded by an earlier-due one is ignored when it comes.
  std::optional<std::chrono::steady_clock::time_point> hang_check_due;
  std::uint64_t hang_check_number = 0;
  /// Its `internal` answers, logged one line a second at most.
  paced_lines internal_lines;
  /// Requests sent to this slot not yet answered, by deadline (requests, commands), each in the
  /// order sent, which is the order they are due in.
  std::map<std::chrono::milliseconds, std::deque<awaited_ptr>> awaiting;
  /// Erases and tag invalidations this layer asked of the others (host invalidation) that are not
  /// answered yet, and the replies to its semantic or vector operations that wait for them.
  std::size_t drops_in_flight = 0;
  std::vector<std::function<void()>> after_drops;
  /// Keys to erase from the next instance before anything else (a put its replaced, hung
  /// instance applied late, when no instance was there to erase it from).
  std::vector<std::pair<std::string, std::string>> erase_at_start;
  /// Writes behind to this layer that failed and wait to be sent again (`behind_write`).
  std::size_t behind_failing = 0;
  /// Whether the log said they fail (and will say when none is left), and when it last did: once
  /// a minute at most, as isolated failures would log two lines each.
  bool behind_failing_logged = false;
  std::chrono::steady_clock::time_point behind_failing_logged_at{};
  /// Writes behind that failed while the layer had no instance: sent again when one starts,
  /// rather than each on its own timer (by key, with its number).
  std::vector<std::pair<std::string, std::uint64_t>> behind_parked;
  /// Writes behind sent to this layer and not answered by it yet (a coordinator's timeout does not
  /// count: the write is still in its mailbox). Past `max_behind_in_flight`, a put waits for its
  /// write here too: a layer slower than the puts had them queue without bound, and every get
  /// and erase behind them time out (audit: for tens of seconds).
  std::size_t behind_in_flight = 0;
};

/// A put to a `write: behind` layer, from when it is sent until the layer takes it or a later
/// write of its key (or an invalidation of one of its tags) replaces it: one that fails is sent
/// again, with what is left of its TTL (or, that run out, as an erase of the key). Dropped, the
/// layer kept the key's older value, which it served once the layers above let theirs go, and
/// after a restart (audit).
struct behind_write {
  std::size_t slot = 0;
  std::uint64_t number = 0; ///< the put's request number: a later write of the key has another
  put_payload data;
  bool kept = false; ///< an EXPIRE's write-back (put_kept)
  bool erase = false; ///< its TTL ran out before the layer took it: the key is erased there instead
  std::chrono::steady_clock::time_point written; ///< when the put came, from which its TTL runs
  unsigned failures = 0;
  unsigned lost = 0; ///< times an instance was replaced (as hung) with it unapplied
};

/// One get in flight through the chain.
struct lookup {
  get_request request;
  std::uint64_t number = 0;   ///< the request's number, for the debug log
  std::string id;             ///< make_id(ns, key)
  std::uint64_t start_epoch = 0;
  status failure = status::not_found; ///< what a full miss answers: not_found, or the last failure
};
using lookup_ptr = std::shared_ptr<lookup>;

/// What a load of a key answered (`ok` with its value, or `not_found`), kept for the lookups of
/// the key that were out then (`key_activity::last_load`).
struct answered_load {
  std::uint64_t last_request_before = 0; ///< lookups numbered up to this began before the answer
  std::chrono::steady_clock::time_point at; ///< when it answered, for what is left of the TTL
  std::optional<loaded_value> value;     ///< none for `not_found`
};

/// Writes and lookups of one key that are in flight, to keep promotion from resurrecting a value
/// that a later write replaced.
struct key_activity {
  std::uint32_t readers = 0;
  std::uint64_t last_write = 0;
  /// The key's last load answered while lookups not waiting for it were out: one of them whose
  /// walk ends in a miss takes this answer rather than calling the loader again. It asked the
  /// layers before the value reached them, and had its walk been quicker it would have waited
  /// for that load (a second model call for one prompt, under concurrent misses).
  std::shared_ptr<const answered_load> last_load;
};

/// A key with puts that may still be undone (their layers have not all answered, or one answered
/// late after missing its deadline), and the write epoch of its last put that reached every layer
/// (`reaches_every_layer`): an undo of a put sent before that one is not done. That put reached
/// each layer after it (each layer takes its requests in order), so it replaced the value wherever
/// the first went, or is undone itself if a layer fails it; the undo would only erase it. Not an
/// erase, which a layer may fail, leaving the failed put's value there.
struct undo_watch {
  std::uint64_t last_write = 0;
  std::size_t puts = 0;
};
using undo_watches = std::unordered_map<std::string, undo_watch>;

/// Keeps its key in the watches while a put of it may be undone; shared by the callbacks that may
/// undo it. It holds the watches weakly: a callback may outlive the coordinator's state.
class undo_claim {
public:
  undo_claim(const std::shared_ptr<undo_watches>& watches, std::string id) : watches_(watches), id_(std::move(id)) {
    ++(*watches)[id_].puts;
  }
  undo_claim(const undo_claim&) = delete;
  undo_claim& operator=(const undo_claim&) = delete;
  ~undo_claim() {
    const auto watches = watches_.lock();
    if (!watches)
      return;
    if (auto it = watches->find(id_); it != watches->end() && --it->second.puts == 0)
      watches->erase(it);
  }

private:
  std::weak_ptr<undo_watches> watches_;
  std::string id_;
};

/// What an undo of a put needs to know whether it is still due: the put's write epoch, and its
/// claim on the key's watch.
struct undo_ticket {
  std::uint64_t epoch = 0;
  std::shared_ptr<undo_claim> claim;
};

/// At most this many prefetches walk the chain or wait for the loader at once; more are dropped
/// (a prefetch is a hint, and the loader's capacity is for requests first).
inline constexpr std::size_t max_prefetches_in_flight = 64;

/// A get waiting for a read-through load, until its own `due` (its arrival + loader_timeout).
struct load_waiter {
  lookup_ptr lookup;
  std::chrono::steady_clock::time_point due;
};

/// No layer: a load that a miss started, not a layer's prefetch.
inline constexpr std::size_t no_layer = static_cast<std::size_t>(-1);

/// A load of one key, from the first miss (or a layer's prefetch) until the loader returns,
/// however late: every miss of the key meanwhile waits for it rather than calling the loader
/// again (a backend slower than loader_timeout would otherwise be called once more per miss, and
/// be slower still), for up to twice loader_timeout.
struct pending_load {
  std::vector<load_waiter> waiters; ///< in order of arrival, so of `due`
  /// A write, erase or tag invalidation came after the load started: its value is not written
  /// to the layers, and a later miss starts a new load rather than waiting for this one.
  bool superseded = false;
  bool timer_set = false; ///< a load_timeout message is on its way for the first waiter
  std::uint64_t number = 0; ///< its number in `loads_in_hand`
  std::chrono::steady_clock::time_point started;
  /// The layer whose prefetch started it: unless a miss waited for it, the value is written into
  /// that layer alone; once one did (even one since timed out), into every layer that takes
  /// promotions, as a miss's.
  std::size_t prefetch_for = no_layer;
  bool missed = false; ///< a miss waited for it
  bool counted_as_prefetch = false; ///< in `prefetches_in_flight`, until its answer or first timeout
};
using pending_load_ptr = std::shared_ptr<pending_load>;

/// A load sent to a loader worker and not answered yet. The coordinator times its waiters out
/// itself, so that the worker's answer still arrives after the timeout: the worker is then known
/// to be free, and a read-through value is still worth keeping.
struct load_in_hand {
  std::size_t worker = 0;
  bool overdue = false; ///< in hand for longer than loader_timeout
  std::string ns;
  std::string key;
  pending_load_ptr load;
};

/// Collects the replies of a fan-out and answers once all are in.
template <class Result>
struct fan_in {
  std::size_t remaining = 0;
  Result result{};
  std::function<void(Result)> done;
  void one_done() {
    if (--remaining == 0)
      done(std::move(result));
  }
};

/// Whether the layer could not do what it was asked (it threw, missed its deadline, or its backend
/// is away), as opposed to a miss or a refusal: what it holds for the key is then unknown.
inline bool could_not(const layer_reply& reply) noexcept {
  return reply.failed || reply.code == status::unavailable || reply.code == status::timeout ||
         reply.code == status::internal;
}

/// What a put's layers answered. A put answers the failure of a layer that could not take it
/// (threw, could not reach its backend or answered `timeout`: the put is then undone; or missed
/// its deadline), else `invalid` if a layer found it malformed (undone too: the put answers that it
/// did not happen), else `ok` if some layer kept it, else `rejected`: a layer that declines a put
/// (too large for it, say) drops what it held for the key, so the others may keep it.
struct put_outcome {
  status failure = status::ok;
  bool undo = false; ///< a layer failed other than by missing its deadline, or found the put invalid
  bool invalid = false;
  bool kept = false;
  bool failed() const noexcept { return failure != status::ok; }
  status code() const noexcept {
    return failed() ? failure : invalid ? status::invalid : kept ? status::ok : status::rejected;
  }
  /// Notes a layer's answer to the put (or to the erase of an around layer's copy) if it failed.
  void note_failure(const layer_reply& reply) noexcept {
    if (!could_not(reply))
      return;
    if (!failed())
      failure = reply.code;
    // A layer that missed its deadline (the coordinator's own `timeout`, marked failed) is slow
    // or working through a backlog, in order: it will take the put, so nothing is left to undo;
    // and an undo per timed-out put would only lengthen that backlog. If it is later taken to hang
    // and replaced, what its retired instance leaves unapplied is undone then (`lost`). A layer
    // that answered `timeout` itself (its backend's deadline) will not take it.
    undo = undo || !(reply.failed && reply.code == status::timeout);
  }
  void note_invalid() noexcept {
    invalid = true;
    undo = true;
  }
};

/// One string per (ns, key): the namespace's length, then both. A separator alone would let a
/// namespace and a key that contain it meet another pair's: ("a", "b\0c") and ("a\0b", "c") shared
/// one load, and one tenant got the other's value.
inline std::string make_id(const std::string& ns, const std::string& key) {
  std::string id = std::to_string(ns.size());
  id.reserve(id.size() + 1 + ns.size() + key.size());
  id.append(1, ':').append(ns).append(key);
  return id;
}

struct coordinator_state {
  std::vector<slot> slots;
  std::vector<std::shared_ptr<layer_metrics>> metrics; ///< per slot; empty when metrics are off
  std::shared_ptr<shared_state> shared;
  std::shared_ptr<runtime_log> log;
  loader_fn loader;
  std::chrono::milliseconds loader_timeout{0};
  std::vector<caf::actor> loaders;
  /// Loads each worker has not answered, timed out or not, and of those the ones that timed out:
  /// a worker behind by more than loader_timeout (likely stuck in the host's loader) gets the next
  /// loads only when every other one is too, and among equals the one with fewer loads in hand.
  std::vector<std::size_t> loader_busy;
  std::vector<std::size_t> loader_overdue;
  std::unordered_map<std::uint64_t, load_in_hand> loads_in_hand; ///< by load number
  std::uint64_t last_load_number = 0;
  /// Set when the coordinator stops: the loader workers then call the loader no more, and the
  /// layer factory worker creates no more instances.
  std::shared_ptr<std::atomic<bool>> workers_stopping = std::make_shared<std::atomic<bool>>(false);
  std::size_t next_loader = 0;
  std::uint64_t write_epoch = 0;
  std::uint64_t requests = 0; ///< host requests received; numbers them for the debug log
  /// The epoch of each namespace's last tag invalidation, for the lookups and loads in flight:
  /// one of another namespace cannot have removed what they read. Cleared when none is in flight.
  std::unordered_map<std::string, std::uint64_t> last_tag_epoch;
  /// Past `max_tagged_namespaces` of them, every namespace is taken as invalidated at this epoch
  /// (as before the map was kept per namespace), and the map starts again.
  std::uint64_t tag_epoch_floor = 0;
  std::unordered_map<std::string, key_activity> activity;
  /// The load a miss of each key waits for (a miss's or a prefetch's); not the superseded ones,
  /// which are left to their load in hand.
  std::unordered_map<std::string, pending_load_ptr> loads;
  std::size_t prefetches_in_flight = 0;
  /// Keys with a conditional write checking the chain, and the writes to them that wait for it.
  std::unordered_map<std::string, std::deque<std::function<bool()>>> guarded;
  std::shared_ptr<undo_watches> undo_watched = std::make_shared<undo_watches>();
  /// The requests sent to layers that their layers have not answered, by number: what an answer
  /// (layer_answer_atom) is matched with.
  std::unordered_map<std::uint64_t, sent_request> sent;
  std::uint64_t last_sent_number = 0;
  /// By slot and key (`behind_key`); at most `max_behind_writes` of `max_behind_bytes` in all,
  /// past which a write behind is sent untracked (said once in the log).
  std::unordered_map<std::string, behind_write> behind;
  std::size_t behind_bytes = 0; ///< their `behind_charge`, at most `max_behind_bytes`
  bool behind_untracked_logged = false;
  /// Instances stopped whose down message has not come yet.
  struct stopped_instance {
    caf::actor_addr actor;
    std::size_t slot = 0;
    std::uint64_t generation = 0;
    bool waited_out = false; ///< a new instance started beside it (its call taken to hang)
  };
  std::vector<stopped_instance> stopped;
  /// When the earliest pending deadline sweep is due, and its number (later ones supersede it).
  std::optional<std::chrono::steady_clock::time_point> sweep_due;
  std::uint64_t sweep_number = 0;
  /// Creates the instances of restarts, in a thread of its own.
  caf::actor layer_factory;
  /// Requests a sweep found past their deadline, failed once an overdue_atom sent to self comes
  /// back: the answers already in the mailbox are taken first (see sweep()).
  std::vector<std::pair<std::size_t, awaited_ptr>> overdue;
  static inline const char* name = "strata.coordinator";
};

using coordinator_actor = caf::stateful_actor<coordinator_state>;

/// The least time between two restarts of a layer that keeps failing.
inline constexpr std::chrono::seconds restart_backoff{1};
/// The longest wait between two restarts that fail.
inline constexpr std::chrono::seconds max_restart_wait{60};
/// How long a restart waits for the replaced instance's call in progress to return.
inline constexpr std::chrono::seconds replaced_instance_wait{5};
/// How long past its deadline a request may stay unanswered, with nothing else answered meanwhile,
/// before its layer is taken to hang and replaced. Until then it is slow: replacing it at the
/// deadline threw away every entry of a memory-only layer for one slow request (a semantic lookup
/// of a long text on a loaded machine).
inline constexpr std::chrono::seconds hang_grace{5};

} // namespace strata::detail::coordination

#pragma GCC visibility pop
