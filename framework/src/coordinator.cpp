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

namespace strata::detail {

namespace {

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

/// Writes and lookups of one key that are in flight, to keep promotion from resurrecting a value
/// that a later write replaced.
struct key_activity {
  std::uint32_t readers = 0;
  std::uint64_t last_write = 0;
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
constexpr std::size_t max_prefetches_in_flight = 64;

/// A get waiting for a read-through load, until its own `due` (its arrival + loader_timeout).
struct load_waiter {
  lookup_ptr lookup;
  std::chrono::steady_clock::time_point due;
};

/// No layer: a load that a miss started, not a layer's prefetch.
constexpr std::size_t no_layer = static_cast<std::size_t>(-1);

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
bool could_not(const layer_reply& reply) noexcept {
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
std::string make_id(const std::string& ns, const std::string& key) {
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
constexpr std::chrono::seconds restart_backoff{1};
/// The longest wait between two restarts that fail.
constexpr std::chrono::seconds max_restart_wait{60};
/// How long a restart waits for the replaced instance's call in progress to return.
constexpr std::chrono::seconds replaced_instance_wait{5};
/// How long past its deadline a request may stay unanswered, with nothing else answered meanwhile,
/// before its layer is taken to hang and replaced. Until then it is slow: replacing it at the
/// deadline threw away every entry of a memory-only layer for one slow request (a semantic lookup
/// of a long text on a loaded machine).
constexpr std::chrono::seconds hang_grace{5};

/// The coordinator's logic; one object per actor, living in its state's lifetime.
class router {
public:
  explicit router(coordinator_actor* self) : self_(self), st_(self->state) {}

  // --- supervision -------------------------------------------------------------------------

  /// A restarted observing layer's new instance records what happens from now on, so that its
  /// commands see it (the diary's flush and count: they read the new instance's buffer, while the
  /// runtime went on recording into the first's); returns the observer before, or null when the
  /// new instance gives none (the one before then records on).
  std::shared_ptr<interaction_observer> observe_with(std::size_t i, layer_instance& instance) {
    const auto found = st_.shared->observer_relays.find(i);
    const auto relay = found == st_.shared->observer_relays.end() ? nullptr : found->second.lock();
    if (!relay)
      return nullptr;
    std::shared_ptr<interaction_observer> next;
    std::string why = "returned none";
    try {
      next = instance.get().observer();
    } catch (const std::exception& e) {
      why = std::string("threw: ") + e.what();
    } catch (...) {
      why = "threw a non-standard exception";
    }
    if (!next) {
      st_.log->write(log_level::error, {"the new instance's observer() " + why + "; the one before records on",
                                        st_.slots[i].cfg.name, {}, {}, {}, {}, {}});
      return nullptr;
    }
    return relay->replace(std::move(next));
  }

  void start_slot(std::size_t i, std::shared_ptr<layer_instance> instance, instance_voice* voice) {
    auto& s = st_.slots[i];
    ++s.generation;
    s.voice = voice;
    if (i == 0)
      publish_first_view(view_of(s, *instance), s.generation);
    s.retired = std::make_shared<std::atomic<bool>>(false);
    auto replaced_observer = s.observer && s.generation > 1 ? observe_with(i, *instance) : nullptr;
    s.actor = spawn_layer_host(self_, std::move(instance), caf::actor_cast<caf::actor>(self_), i,
                               s.generation, s.detached, s.retired,
                               std::shared_ptr<const std::atomic<std::int64_t>>(st_.shared, &st_.shared->drain_ends_ns),
                               st_.shared->calls.enter("layer '" + s.cfg.name + "' (instance " +
                                                       std::to_string(s.generation) + ")"),
                               std::move(replaced_observer));
    self_->monitor(s.actor);
    for (const auto& [ns, key] : s.erase_at_start) // first in its mailbox: before any request reads them
      erase_late_put(i, ns, key);
    s.erase_at_start.clear();
    for (const auto& [key, number] : std::exchange(s.behind_parked, {}))
      retry_behind(key, number);
  }

  /// Publishes layer 0's read view; the replaced ones no reader holds are freed by the layer
  /// factory worker, in its thread (a store of millions of entries takes a while to free).
  void publish_first_view(std::shared_ptr<read_view> view, std::uint64_t generation) {
    auto freed = st_.shared->first_view.publish(std::move(view), generation);
    if (!freed.empty())
      self_->send(st_.layer_factory, free_views_atom::value,
                  std::make_shared<view_list>(std::move(freed)));
  }

  /// The instance's read view, or none when asking for it throws (its reads then go through its
  /// actor, which reports what fails there). None for a layer written `behind`: a put answers
  /// before that layer has applied it, and a read view (not ordered behind the put in the layer's
  /// mailbox, as a get through its actor is) served the value before it after the answer.
  std::shared_ptr<read_view> view_of(const slot& s, layer_instance& instance) {
    if (s.cfg.write == write_policy::behind)
      return nullptr;
    try {
      return instance.get().concurrent_view();
    } catch (const std::exception& e) {
      st_.log->write(log_level::error, {"concurrent_view() threw; reads go through the layer's actor", s.cfg.name,
                                        {}, {}, {}, {}, e.what()});
    } catch (...) {
      st_.log->write(log_level::error, {"concurrent_view() threw; reads go through the layer's actor", s.cfg.name,
                                        {}, {}, {}, {}, "a non-standard exception"});
    }
    return nullptr;
  }

  /// Stops slot i's instance, if it has one. The answers it still sends reach the requests not
  /// answered yet (as a timeout, say), but count no more for the slot's health: they are of a past
  /// generation.
  void stop_slot(std::size_t i) {
    auto& s = st_.slots[i];
    if (!s.actor)
      return;
    if (i == 0)
      publish_first_view(nullptr, 0);
    // Still monitored: its down message comes after every answer it sent (CAF keeps each sender's
    // order), and then the requests it did not answer fail (instance_gone).
    st_.stopped.push_back({s.actor.address(), i, s.generation});
    s.retired->store(true, std::memory_order_release);
    if (s.voice) // a hung call's instance lives on, and its threads with it: its word is no longer the slot's
      s.voice->silence();
    self_->send_exit(s.actor, caf::exit_reason::kill);
    s.actor = nullptr;
    ++s.generation;
    s.hang_check_due.reset(); // the stopped instance's: the next one is watched afresh
  }

  /// Answers `unavailable` to the requests that slot i's instance of `generation`, now gone, left
  /// unanswered, in the order they were sent.
  void instance_gone(std::size_t i, std::uint64_t generation) {
    end_requests(i, generation, true, "the layer's instance was replaced before it answered");
  }

  /// Ends what slot i's instance of `generation` was sent and has not answered, in the order sent:
  /// a request answered as a timeout already is `lost` (that instance will not apply it); the
  /// others answer `unavailable` with `why`. `forget`: dropped from `sent` (the instance is gone);
  /// else kept there for the answers its host still sends.
  void end_requests(std::size_t i, std::uint64_t generation, bool forget, const std::string& why) {
    std::vector<std::pair<std::uint64_t, awaited_ptr>> ended;
    for (auto it = st_.sent.begin(); it != st_.sent.end();) {
      if (it->second.slot != i || it->second.awaited->generation != generation) {
        ++it;
        continue;
      }
      ended.emplace_back(it->first, it->second.awaited);
      it = forget ? st_.sent.erase(it) : std::next(it);
    }
    std::sort(ended.begin(), ended.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [number, awaited] : ended) {
      auto lost = std::exchange(awaited->lost, nullptr);
      awaited->late = nullptr; // what becomes of it is `lost`'s to say
      if (!awaited->answer) { // answered as a timeout already
        if (lost)
          lost();
        continue;
      }
      layer_reply reply; // a put's own undo follows this answer
      reply.failed = true;
      reply.code = status::unavailable;
      reply.error = why;
      answer(i, *awaited, reply);
    }
  }

  /// Replaces slot i's instance with a fresh one from the plugin's factory, once the replaced one
  /// has stopped: a call still running in it (the one that missed its deadline, say) would write
  /// into what the new one loads (a persisted layer's file: rows overwritten, ids given twice). A
  /// call that has not returned within replaced_instance_wait is taken to hang, and the new
  /// instance starts beside it. Meanwhile the slot answers `unavailable`.
  void restart(std::size_t i) {
    auto& s = st_.slots[i];
    if (s.creating)
      return; // the instance being created will serve
    ++s.restarts_begun;
    stop_slot(i);
    s.last_restart_attempt = std::chrono::steady_clock::now();
    if (stopping(i)) {
      if (!s.start_when_stopped)
        self_->delayed_send(self_, replaced_instance_wait, replaced_wait_atom::value, i, s.generation);
      s.start_when_stopped = true;
      return;
    }
    start_instance(i);
  }

  /// Whether an instance of slot i that was stopped has not ended yet (one already waited out
  /// holds back no later restart).
  bool stopping(std::size_t i) const {
    return std::any_of(st_.stopped.begin(), st_.stopped.end(),
                       [i](const auto& s) { return s.slot == i && !s.waited_out; });
  }

  /// The restart put off until the replaced instance stopped, once it has, or once it has not
  /// within replaced_instance_wait (`generation` is the slot's then; a later restart supersedes).
  void start_when_stopped(std::size_t i, std::uint64_t generation, bool waited_long) {
    auto& s = st_.slots[i];
    if (!s.start_when_stopped || s.actor || generation != s.generation || (!waited_long && stopping(i)))
      return;
    if (waited_long)
      wait_out(i);
    s.start_when_stopped = false;
    start_instance(i);
  }

  /// Slot i's replaced instances whose call has not returned are waited for no longer: a new
  /// instance starts beside them.
  void wait_out(std::size_t i) {
    auto& s = st_.slots[i];
    // A hung call on the scheduler holds one of its threads; a new instance there that hangs
    // too could hold the last, and with it the coordinator and every deadline: from now on this
    // layer's instances run in a thread of their own.
    const bool was_shared = !s.detached;
    s.detached = true;
    st_.log->write(log_level::warn, {std::string("the replaced instance's call has not returned; starting a new instance beside it") +
                                         (was_shared ? ", in a thread of its own" : ""),
                                     s.cfg.name, {}, {}, {}, {}, {}});
    for (auto& stopped : st_.stopped)
      if (stopped.slot == i)
        stopped.waited_out = true;
  }

  /// Has the layer factory worker create slot i's instance from the plugin's factory (which may
  /// wait for a database: the other layers are served meanwhile, and this one answers
  /// `unavailable`); `instance_created` starts it.
  void start_instance(std::size_t i) {
    auto& s = st_.slots[i];
    // What the old instance reported no longer holds; the new one may report from its constructor.
    st_.shared->health.update(i, [](layer_health_state& h) {
      h.reported = health_level::healthy;
      h.reported_detail.clear();
    });
    s.creating = true;
    self_->send(st_.layer_factory, create_layer_atom::value, i, s.recipe);
  }

  /// The factory worker's answer for slot i: its new instance starts, or the slot stays down.
  void instance_created(std::size_t i, created_layer& created) {
    auto& s = st_.slots[i];
    s.creating = false;
    // The backoff counts from the end of the attempt: a factory may have taken seconds.
    s.last_restart_attempt = std::chrono::steady_clock::now();
    if (!created.instance) {
      st_.shared->health.update(i, [&](layer_health_state& h) {
        // The cause now is what keeps it down, not the fault that had it replaced.
        h.faulted = true;
        h.fault = "cannot be restarted: " + created.error;
        h.last_error = created.error;
      });
      const auto wait = longer_restart_wait(s);
      st_.log->write(log_level::error, {"restart failed", s.cfg.name, {}, {}, {}, {},
                                        created.error + "; trying again in " + std::to_string(wait.count()) + " s"});
      // Tried again then, or by a request that needs the layer then: a slot that nothing asks (its
      // keys all served above it) would stay down, its health stale.
      put_off_restart(i, wait);
      return;
    }
    start_slot(i, std::move(created.instance), created.voice);
    // Counted before health says so, as a failure is: a scrape that followed the health saw 0.
    if (auto* m = metrics(i))
      m->restarted();
    st_.shared->health.update(i, [](layer_health_state& h) {
      ++h.restarts;
      if (h.faulted) {
        h.faulted = false;
        h.replaced = true;
        h.fault = h.replaced_for;
      }
    });
    st_.log->write(log_level::info, {"restarted", s.cfg.name, {}, {}, {}, {}, {}});
  }

  /// Whether slot i has a host to ask; retries a failed restart once its `restart_wait` is over.
  bool available(std::size_t i) {
    auto& s = st_.slots[i];
    if (!s.actor && !s.start_when_stopped && std::chrono::steady_clock::now() - s.last_restart_attempt > restart_wait(s))
      restart(i);
    return static_cast<bool>(s.actor);
  }

  /// Counts a failure of generation `generation` of slot i; the first failure of a generation
  /// replaces it (later ones are the same fault seen by other requests).
  void failed(std::size_t i, std::uint64_t generation, fault_type type, const std::string& why) {
    auto& s = st_.slots[i];
    if (generation != s.generation)
      return;
    // Not healthy since the failure before: this instance failed before answering anything.
    const bool failed_in_a_row = !s.healthy;
    s.healthy = false;
    if (auto* m = metrics(i))
      m->failed(type);
    st_.log->write(log_level::warn, {"layer failed; replacing it", s.cfg.name, {}, to_string(type), {}, {}, why});
    st_.shared->health.update(i, [&](layer_health_state& h) { h.failed(why, std::chrono::steady_clock::now()); });
    if (failed_in_a_row || std::chrono::steady_clock::now() - s.last_restart_attempt < restart_backoff) {
      // The instance failed within a second of its restart, or before answering anything, as the
      // one before it: a plugin that fails at once (in its maintenance, say), or a database that
      // stalls (each new instance times out in turn), would otherwise be replaced as fast as it
      // fails. Its requests answer `unavailable` until it is restarted a second on, then 2, 4 ...
      // 60 s on while its instances keep failing so (or by a request then, if one comes first).
      stop_slot(i);
      put_off_restart(i, failed_in_a_row ? longer_restart_wait(s) : restart_backoff);
      return;
    }
    restart(i);
  }

  /// A restart put off by `failed`, or the retry of one that failed, unless one happened meanwhile.
  void restart_if_still_down(std::size_t i, std::uint64_t generation, std::uint64_t restarts_begun) {
    if (i < st_.slots.size() && !st_.slots[i].actor && st_.slots[i].generation == generation &&
        st_.slots[i].restarts_begun == restarts_begun)
      restart(i);
  }

  /// How long after a failed restart the next is tried: 1 s after the first failure in a row, then
  /// twice as long after each further one, to a minute (a database down for hours is tried, and
  /// logged, once a minute); 1 s again once an instance answers a request (`succeeded`).
  static std::chrono::seconds restart_wait(const slot& s) {
    if (s.failed_restarts <= 1)
      return restart_backoff;
    const auto doublings = std::min<std::uint32_t>(s.failed_restarts - 1, 6); // 64 s is past the ceiling
    return std::min(restart_backoff * (1 << doublings), max_restart_wait);
  }

  /// Counts one more failed restart of `s`, and returns the wait before the next.
  static std::chrono::seconds longer_restart_wait(slot& s) {
    ++s.failed_restarts;
    return restart_wait(s);
  }

  /// Restarts slot i after `wait`, unless it is back, or another restart began, by then.
  void put_off_restart(std::size_t i, std::chrono::seconds wait) {
    const auto& s = st_.slots[i];
    self_->delayed_send(self_, wait, restart_atom::value, i, s.generation, s.restarts_begun);
  }

  void succeeded(std::size_t i, std::uint64_t generation) {
    auto& s = st_.slots[i];
    if (s.healthy || generation != s.generation)
      return;
    s.healthy = true;
    s.failed_restarts = 0;
    st_.shared->health.update(i, [](layer_health_state& h) {
      h.faulted = false;
      h.replaced = false;
      h.failures_since_success = 0;
    });
  }

  void on_down(const caf::down_msg& msg) {
    for (auto it = st_.stopped.begin(); it != st_.stopped.end(); ++it)
      if (it->actor == msg.source) {
        const auto [i, generation] = std::pair{it->slot, it->generation};
        st_.stopped.erase(it);
        return instance_ended(i, generation);
      }
    for (std::size_t i = 0; i < st_.slots.size(); ++i)
      if (st_.slots[i].actor && st_.slots[i].actor.address() == msg.source) {
        const auto generation = st_.slots[i].generation;
        failed(i, generation, fault_type::died, "layer actor died: " + self_->system().render(msg.reason));
        // failed() stopped it, expecting a down message: this was it.
        st_.stopped.erase(std::remove_if(st_.stopped.begin(), st_.stopped.end(),
                                         [&](const auto& s) { return s.actor == msg.source; }),
                          st_.stopped.end());
        return instance_ended(i, generation);
      }
  }

  /// Slot i's instance of `generation` has ended: what it left unanswered fails, and a restart
  /// that waited for it goes on.
  void instance_ended(std::size_t i, std::uint64_t generation) {
    instance_gone(i, generation);
    start_when_stopped(i, st_.slots[i].generation, false);
  }

  /// What a request to a layer is, for its metrics and the debug log.
  struct asked {
    asked(operation o) : op(o) {} // NOLINT: an operation is counted as itself
    asked(operation o, bool c) : op(o), counted(c) {}
    operation op;
    /// false: not in the layer's request metrics, a read the runtime makes on its own behalf (a
    /// conditional write's check, a prefetch's walk): no client asked it, and counted as gets it
    /// made the chain's hit rate (hits of every layer over the gets of the first) read above 1.
    bool counted = true;
  };

  /// Sends `args` to slot i with its deadline; `on_reply` gets the reply, or a failure reply when
  /// the layer threw, missed its deadline or is gone (the failure is counted first). Counted in
  /// the layer's metrics under `what.op` unless `what.counted` is false.
  template <class... Ts>
  void ask(std::size_t i, std::uint64_t request, asked what, std::function<void(layer_reply&)> on_reply,
           Ts&&... args) {
    ask_within(i, st_.slots[i].deadline, request, what, std::move(on_reply), std::forward<Ts>(args)...);
  }

  /// `ask`, with `deadline` instead of the layer's.
  template <class... Ts>
  void ask_within(std::size_t i, std::chrono::milliseconds deadline, std::uint64_t request, asked what,
                  std::function<void(layer_reply&)> on_reply, Ts&&... args) {
    if (!available(i)) {
      layer_reply r{status::unavailable, true, "layer '" + st_.slots[i].cfg.name + "' has no instance", {}, 0};
      if (auto* m = what.counted ? metrics(i) : nullptr)
        m->record(what.op, r.code);
      return on_reply(r);
    }
    const auto sent = std::chrono::steady_clock::now();
    send(
      i, deadline, sent,
      [this, i, request, what, sent, on_reply = std::move(on_reply)](layer_reply& reply) {
        const auto took = std::chrono::steady_clock::now() - sent;
        const auto op = what.op;
        if (auto* m = what.counted ? metrics(i) : nullptr) {
          if (op == operation::get && i == 0) // first: the telemetry reads it after `record`'s
            m->routed_get(reply.code, took);
          m->record(op, reply.code, took);
        }
        if (st_.log->enabled(log_level::debug))
          log_reply(i, request, op, reply, took);
        if (reply.code == status::internal && !reply.failed)
          log_internal(i, op, request, reply);
        else if (!reply.failed)
          log_internal_ended(i, op, request);
        on_reply(reply);
      },
      std::forward<Ts>(args)...);
  }

  /// Sends `args`, at `sent`, to slot i, which must be `available`; `on_reply` gets the reply, or,
  /// past `deadline`, a timeout, or an error when the layer is gone. A layer that threw, died, or
  /// answered nothing since a request it let time out is counted as failed and replaced.
  template <class Atom, class... Ts>
  void send(std::size_t i, std::chrono::milliseconds deadline, std::chrono::steady_clock::time_point sent,
            std::function<void(layer_reply&)> on_reply, Atom atom, Ts&&... args) {
    auto& s = st_.slots[i];
    // A CAF request timeout per request costs a timer event, its allocation and a wake-up of
    // CAF's clock thread: about a third of a put's CPU. So the request waits without one, and
    // one sweep, scheduled for the earliest deadline only, answers those that pass theirs.
    auto awaited = std::make_shared<awaited_reply>();
    awaited->generation = s.generation;
    awaited->deadline = deadline;
    awaited->sent = sent;
    awaited->answer = std::move(on_reply);
    s.awaiting[deadline].push_back(awaited);
    schedule_sweep(awaited->due());
    const auto number = ++st_.last_sent_number;
    st_.sent.emplace(number, sent_request{i, awaited});
    self_->send(s.actor, atom, number, std::forward<Ts>(args)...);
  }

  /// A layer's answer to request `number` (see layer_host: not CAF's request-response).
  void layer_answered(std::uint64_t number, layer_reply& reply) {
    auto it = st_.sent.find(number);
    if (it == st_.sent.end())
      return; // its instance was stopped, and the request answered as such
    const auto i = it->second.slot;
    const auto awaited = std::move(it->second.awaited);
    st_.sent.erase(it);
    if (awaited->generation == st_.slots[i].generation)
      st_.slots[i].last_answer = std::chrono::steady_clock::now();
    if (!awaited->answer) { // answered as a timeout already
      if (awaited->late)
        awaited->late(reply);
      else if (awaited->lost && (could_not(reply) || reply.code == status::invalid))
        awaited->lost();
      // Applied by an instance replaced since (its call that hung returned): later writes went to
      // the new one first. By the same instance, in order: nothing to mend.
      if (awaited->applied_late && reply.code == status::ok && awaited->generation != st_.slots[i].generation)
        awaited->applied_late();
      // Late, but the instance's word all the same: a throw is a fault, an answer shows it works
      // (an instance slow on every request, started after one that hung, is no longer a
      // replaced one, whose next hang would count as a failure in a row).
      if (reply.failed)
        failed(i, awaited->generation, fault_type::exception, reply.error);
      else
        succeeded(i, awaited->generation);
      return;
    }
    if (reply.failed)
      failed(i, awaited->generation, fault_type::exception, reply.error);
    else
      succeeded(i, awaited->generation);
    answer(i, *awaited, reply);
  }

  /// Hands `reply` to what awaited it, once, and forgets the answered requests at the front of
  /// its queue.
  void answer(std::size_t i, awaited_reply& awaited, layer_reply& reply) {
    auto on_reply = std::move(awaited.answer);
    awaited.answer = nullptr;
    auto& queue = st_.slots[i].awaiting[awaited.deadline];
    while (!queue.empty() && !queue.front()->answer)
      queue.pop_front();
    on_reply(reply);
  }

  /// Makes sure a sweep runs at `due` or earlier.
  void schedule_sweep(std::chrono::steady_clock::time_point due) {
    if (st_.sweep_due && *st_.sweep_due <= due)
      return;
    st_.sweep_due = due;
    const auto wait = std::max(due - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration::zero());
    self_->delayed_send(self_, wait, sweep_atom::value, ++st_.sweep_number);
  }

  /// Takes every request past its deadline as overdue, then makes sure the next sweep comes by the
  /// earliest deadline left. Sweep `number` is the latest scheduled, or one that an earlier-due
  /// sweep superseded (then the latest is still pending). The overdue fail once a message sent to
  /// self now comes back: an answer that reached the mailbox while this actor was held up (busy
  /// scheduler threads) is behind this sweep, and was taken for a hung layer's, which was replaced
  /// with its entries.
  void sweep(std::uint64_t number) {
    if (number == st_.sweep_number)
      st_.sweep_due.reset();
    const auto now = std::chrono::steady_clock::now();
    auto& expired = st_.overdue;
    const bool confirm_sent = !expired.empty();
    std::optional<std::chrono::steady_clock::time_point> next_due;
    for (std::size_t i = 0; i < st_.slots.size(); ++i)
      for (auto& [deadline, queue] : st_.slots[i].awaiting) {
        while (!queue.empty() && (!queue.front()->answer || queue.front()->due() <= now)) {
          if (queue.front()->answer)
            expired.emplace_back(i, queue.front());
          queue.pop_front();
        }
        if (!queue.empty() && (!next_due || queue.front()->due() < *next_due))
          next_due = queue.front()->due();
      }
    if (next_due)
      schedule_sweep(*next_due); // once, for the earliest: not once per queue
    if (!expired.empty() && !confirm_sent)
      self_->send(self_, overdue_atom::value);
  }

  /// Whether layer i's instance has a request sent before `awaited`, unanswered and still within
  /// its deadline: the instance is working on it (a long command), not hung. Only the oldest of
  /// each deadline's queue can be: those behind it were sent later, and one before it is past due.
  bool busy_before(std::size_t i, const awaited_reply& awaited, std::chrono::steady_clock::time_point now) const {
    for (const auto& [deadline, queue] : st_.slots[i].awaiting) {
      const auto oldest = std::find_if(queue.begin(), queue.end(), [&](const awaited_ptr& a) {
        return a->answer && a->generation == awaited.generation;
      });
      if (oldest != queue.end() && (*oldest)->sent < awaited.sent && (*oldest)->due() > now)
        return true;
    }
    return false;
  }

  /// Answers with a timeout the overdue requests that are still unanswered.
  void fail_overdue() {
    const auto now = std::chrono::steady_clock::now();
    auto expired = std::move(st_.overdue);
    st_.overdue.clear();
    for (auto& [i, awaited] : expired) {
      if (!awaited->answer)
        continue; // answered meanwhile: by the layer, or by what an earlier expiry set off
      layer_reply reply;
      reply.failed = true;
      reply.code = status::timeout;
      reply.error = "no answer within the deadline of " + std::to_string(awaited->deadline.count()) + "ms";
      // The request times out; the instance stays, working on it or through a backlog, and
      // applies a put in order. Replacing it would throw its entries away. One that answers
      // nothing for hang_grace past the deadline is taken to hang and replaced (hang_check).
      if (st_.slots[i].last_answer <= awaited->sent && !busy_before(i, *awaited, now))
        watch_for_hang(i, awaited->generation, awaited->due() + hang_grace);
      if (awaited->generation == st_.slots[i].generation) // not an instance replaced since
        st_.shared->health.update(i, [&](layer_health_state& h) { h.late(reply.error, now); });
      answer(i, *awaited, reply);
    }
  }

  /// Makes sure slot i's instance of `generation` is looked at by `due` or earlier (hang_check).
  void watch_for_hang(std::size_t i, std::uint64_t generation, std::chrono::steady_clock::time_point due) {
    auto& s = st_.slots[i];
    if (generation != s.generation || (s.hang_check_due && *s.hang_check_due <= due))
      return;
    s.hang_check_due = due;
    const auto wait = std::max(due - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration::zero());
    self_->delayed_send(self_, wait, hang_check_atom::value, i, generation, ++s.hang_check_number);
  }

  /// Whether slot i's instance of `generation`, which let a request time out with nothing answered
  /// since, hangs: its oldest request unanswered is hang_grace past its deadline, and it has answered
  /// nothing for hang_grace. Then it is replaced, and its new instance starts at once, beside the
  /// call that hangs (it has been waited for already). Otherwise it is looked at again when that
  /// could next hold.
  void hang_check(std::size_t i, std::uint64_t generation, std::uint64_t number) {
    auto& s = st_.slots[i];
    if (generation != s.generation || number != s.hang_check_number || !s.actor)
      return;
    s.hang_check_due.reset();
    const awaited_reply* oldest = nullptr;
    for (const auto& entry : st_.sent) {
      const auto& sent = entry.second;
      if (sent.slot == i && sent.awaited->generation == generation && (!oldest || sent.awaited->sent < oldest->sent))
        oldest = sent.awaited.get();
    }
    if (oldest == nullptr)
      return; // it has answered everything
    const auto now = std::chrono::steady_clock::now();
    const auto hung_from = std::max(oldest->due(), std::max(s.last_answer, oldest->sent)) + hang_grace;
    if (hung_from > now)
      return watch_for_hang(i, generation, hung_from);
    const auto waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - oldest->sent).count();
    failed(i, generation, fault_type::timeout,
           "no answer within the deadline of " + std::to_string(oldest->deadline.count()) + "ms, nor in the " +
             std::to_string(waited_ms) + " ms since the request was sent: taken to hang");
    give_up_on(i, generation);
    // Its call has been waited for already: the new instance starts beside it at once, or, when
    // `failed` put the restart off (it failed right after one), when that comes.
    wait_out(i);
    start_when_stopped(i, s.generation, false);
  }

  /// What slot i's instance of `generation`, replaced as hung, was sent: its retired host applies
  /// none of it but the call that hangs, if that returns (`applied_late` then). So the puts that
  /// timed out are undone now (`lost`), not when that call returns, which may be never (until then
  /// the other layers kept values this one never took); the requests not yet due fail now. Kept in
  /// `sent` for the answers the host still sends.
  void give_up_on(std::size_t i, std::uint64_t generation) {
    end_requests(i, generation, false, "the layer's instance was replaced (taken to hang) before it answered");
  }

  /// A layer's own word that it failed (a throw is logged as a fault): what the caller's
  /// `internal` sends the operator to the log for. One line a second at most per layer, with the
  /// count of those not logged since.
  void log_internal(std::size_t i, operation op, std::uint64_t request, const layer_reply& reply) {
    auto& s = st_.slots[i];
    const auto held = s.internal_lines.failure();
    if (!held)
      return;
    st_.log->write(log_level::warn, {"layer answered internal", s.cfg.name, to_string(op), strata::to_string(reply.code),
                                     {}, std::to_string(request),
                                     reply.error + (*held > 0 ? (reply.error.empty() ? "" : "; ") + std::to_string(*held) +
                                                                  " more since the last line"
                                                              : "")});
  }

  /// After `internal` answers, the first other answer of the layer (a second after the last line
  /// at the earliest), with the count of those not logged since: without it, they were never told
  /// when no `internal` came after them.
  void log_internal_ended(std::size_t i, operation op, std::uint64_t request) {
    auto& s = st_.slots[i];
    if (const auto held = s.internal_lines.success())
      st_.log->write(log_level::info, {"layer answers other than internal again" +
                                         (*held > 0 ? " (" + std::to_string(*held) + " more internal answers since the last line)"
                                                    : ""),
                                       s.cfg.name, to_string(op), {}, {}, std::to_string(request), {}});
  }

  /// One line per layer answer, at debug level only.
  void log_reply(std::size_t i, std::uint64_t request, operation op, const layer_reply& reply,
                 std::chrono::steady_clock::duration took) {
    log_fields f;
    f.message = "layer answered";
    f.layer = st_.slots[i].cfg.name;
    f.operation = to_string(op);
    f.status = strata::to_string(reply.code);
    f.duration_ms = std::chrono::duration<double, std::milli>(took).count();
    f.request_id = std::to_string(request);
    f.error = reply.error;
    st_.log->write(log_level::debug, f);
  }

  layer_metrics* metrics(std::size_t i) const noexcept {
    return st_.metrics.empty() ? nullptr : st_.metrics[i].get();
  }

  // --- reads -------------------------------------------------------------------------------

  void get(get_request& request) {
    auto l = std::make_shared<lookup>();
    l->id = make_id(request.ns, request.key);
    l->request = std::move(request);
    l->start_epoch = st_.write_epoch;
    l->number = ++st_.requests;
    ++st_.activity[l->id].readers;
    walk(l, l->request.first_layer);
  }

  void walk(const lookup_ptr& l, std::size_t i) {
    if (i >= st_.slots.size())
      return full_miss(l);
    if (st_.slots[i].observer)
      return walk(l, i + 1);
    const auto asked_at = std::chrono::steady_clock::now();
    ask(
      i, l->number, operation::get,
      [this, l, i, asked_at](layer_reply& reply) {
        if (could_not(reply)) { // a full miss says so, rather than not_found
          l->failure = reply.code;
          return walk(l, i + 1);
        }
        if (reply.code != status::ok)
          return walk(l, i + 1);
        if (!sound_hit(i, l->number, reply.hit)) {
          l->failure = status::internal;
          return walk(l, i + 1);
        }
        promote(l, i, reply.hit, asked_at);
        const auto ttl = reply.hit.meta.ttl;
        finish(l, get_result{status::ok, std::move(reply.hit.value), st_.slots[i].cfg.name, ttl});
      },
      layer_get_atom::value, l->request.ns, l->request.key);
  }

  /// Whether a value read by `l` may still be copied upward: no write to its key and no tag
  /// invalidation arrived since the lookup started.
  bool still_current(const lookup& l) const {
    if (written_since(l))
      return false;
    return tag_epoch(l.request.ns) <= l.start_epoch;
  }

  /// Whether a write to `l`'s key arrived since the lookup started.
  bool written_since(const lookup& l) const {
    auto it = st_.activity.find(l.id);
    return it != st_.activity.end() && it->second.last_write > l.start_epoch;
  }

  /// Whether layer i's hit has metadata a put would take. One with a negative TTL or an empty tag
  /// (which no invalidation could name) is a bug of the layer's: not served, nor copied into other
  /// layers (promoted, prefetched, or kept by an EXPIRE), nor counted as present by a conditional
  /// write; logged, and the layers after it are asked, as when it cannot answer.
  bool sound_hit(std::size_t i, std::uint64_t request, const layer_hit& hit) {
    auto problem = request_problem(hit.meta, "its hit");
    if (problem.empty())
      return true;
    st_.log->write(log_level::warn, {"a layer's hit was refused", st_.slots[i].cfg.name, "get", to_string(status::internal),
                                     {}, std::to_string(request), problem});
    return false;
  }

  /// Copies a hit of layer `found_at`, asked at `asked_at`, into the layers before it that take
  /// promotions. A copy of an entry with a TTL must not outlive it: its TTL is what the hit
  /// reported less 1 ms (a layer rounds the time left up to whole milliseconds) and less the time
  /// since the layer was asked (rounded up), which the entry has lived since; none is made when
  /// nothing is left. (The copy still waits in the upper layer's mailbox before it is applied:
  /// microseconds, not counted.)
  void promote(const lookup_ptr& l, std::size_t found_at, const layer_hit& hit,
               std::chrono::steady_clock::time_point asked_at) {
    if (found_at == 0 || !still_current(*l))
      return;
    const auto meta = copy_meta(hit.meta, asked_at);
    if (!meta)
      return;
    put_payload data;
    for (std::size_t j = 0; j < found_at; ++j) {
      if (!st_.slots[j].cfg.promote || st_.slots[j].observer)
        continue;
      if (!data)
        data = std::make_shared<put_data>(put_data{l->request.ns, l->request.key, hit.value, *meta});
      put_unawaited(j, l->number, data);
    }
  }

  /// The metadata of a copy of a hit that layer was asked for at `asked_at`: its TTL less the time
  /// since (and a millisecond, for the rounding of the layer's), so that the copy does not outlive
  /// the entry; none when that leaves none (0 would be no expiry at all).
  static std::optional<entry_options> copy_meta(const entry_options& found,
                                                std::chrono::steady_clock::time_point asked_at) {
    auto meta = found;
    if (meta.ttl.count() > 0) {
      meta.ttl -= std::chrono::milliseconds{1} +
                  std::chrono::ceil<std::chrono::milliseconds>(std::chrono::steady_clock::now() - asked_at);
      if (meta.ttl.count() <= 0)
        return std::nullopt;
    }
    return meta;
  }

  void full_miss(const lookup_ptr& l) {
    if (!st_.loader)
      return finish(l, get_result{l->failure, {}, {}, {}});
    if (l->request.first_layer == 1)
      return recheck_first(l);
    const auto now = std::chrono::steady_clock::now();
    // A call out for twice loader_timeout is likely stuck (a lost connection): the next miss calls
    // again, at most once per that long, if a loader thread then still has no call past its
    // timeout (a key whose calls all hang must not take every thread, and every other key's loads).
    // The time out is halved rather than the timeout doubled: twice the longest overflows the clock.
    if (auto it = st_.loads.find(l->id); it != st_.loads.end() && (now - it->second->started) / 2 >= st_.loader_timeout &&
                                          std::count(st_.loader_overdue.begin(), st_.loader_overdue.end(), 0) >= 2)
      supersede(it); // the newer call's answer is what the layers should hold
    // A load in `loads` started after the key's last write, and may be waited for. Without one,
    // a get that a write to its key overtook while it walked the chain gets a load of its own,
    // which answers it but must not fill the layers: the write is newer. (A tag invalidation
    // needs no such care: a load that starts after it reads what the host changed before it.)
    const bool overtaken = written_since(*l) && st_.loads.count(l->id) == 0;
    pending_load_ptr own;
    auto& load = overtaken ? own : st_.loads[l->id];
    if (!load) {
      load = std::make_shared<pending_load>();
      load->superseded = overtaken;
      load->started = now;
      load->number = start_load(l->request.ns, l->request.key, load);
    }
    load->waiters.push_back({l, now + st_.loader_timeout});
    load->missed = true;
    if (!load->timer_set) {
      load->timer_set = true;
      self_->delayed_send(self_, st_.loader_timeout, load_timeout_atom::value, load->number);
    }
  }

  /// A get that layer 0's read view missed started at layer 1, with the epoch of its arrival here:
  /// a put that came before it, but that layer 0 had not applied when the view was read, would not
  /// count as overtaking it, and its load would fill over the put. Before the loader is called,
  /// layer 0's actor is asked once (the put is ahead of this in its mailbox). Not counted in the
  /// layer's metrics, which counted the view's miss.
  void recheck_first(const lookup_ptr& l) {
    l->request.first_layer = 0; // once
    if (!available(0) || st_.slots[0].observer)
      return full_miss(l);
    send(
      0, st_.slots[0].deadline, std::chrono::steady_clock::now(),
      [this, l](layer_reply& reply) {
        if (could_not(reply) || reply.code != status::ok || !sound_hit(0, l->number, reply.hit))
          return full_miss(l);
        const auto ttl = reply.hit.meta.ttl;
        finish(l, get_result{status::ok, std::move(reply.hit.value), st_.slots[0].cfg.name, ttl});
      },
      layer_get_atom::value, l->request.ns, l->request.key);
  }

  /// Asks the worker with the fewest loads in hand (the next in turn among equals), preferring one
  /// with no load past its timeout, to load `key`, so that a load that hangs in the host's loader
  /// does not hold up those behind it. Its answer goes to `load`'s waiters. Returns the load's
  /// number.
  std::uint64_t start_load(const std::string& ns, const std::string& key, pending_load_ptr load) {
    const auto n = st_.loaders.size();
    auto worker = st_.next_loader++ % n;
    const auto rank = [this](std::size_t i) { return std::make_pair(st_.loader_overdue[i] > 0, st_.loader_busy[i]); };
    for (std::size_t k = 1; k < n; ++k) {
      const auto i = (worker + k) % n;
      if (rank(i) < rank(worker))
        worker = i;
    }
    ++st_.loader_busy[worker];
    const auto number = ++st_.last_load_number;
    st_.loads_in_hand.emplace(number, load_in_hand{worker, false, ns, key, std::move(load)});
    self_->send(st_.loaders[worker], load_atom::value, number, ns, key);
    return number;
  }

  /// A worker's answer to load `number`, in time or late.
  void load_answered(std::uint64_t number, load_reply& reply) {
    auto it = st_.loads_in_hand.find(number);
    if (it == st_.loads_in_hand.end())
      return;
    auto in_hand = std::move(it->second);
    st_.loads_in_hand.erase(it);
    --st_.loader_busy[in_hand.worker];
    if (in_hand.overdue)
      --st_.loader_overdue[in_hand.worker];
    const auto& load = in_hand.load;
    end_prefetch_wait(*load);
    const auto id = make_id(in_hand.ns, in_hand.key);
    if (auto found = st_.loads.find(id); found != st_.loads.end() && found->second == load)
      st_.loads.erase(found);
    if (reply.code != status::ok && reply.code != status::not_found && !load->waiters.empty())
      log_failed_load(*load->waiters.front().lookup, reply);
    if (reply.code == status::ok && reply.value && !load->superseded) {
      if (in_hand.overdue)
        advance_write_epoch(id); // a lookup in flight that read an older copy must not promote it over this
      // Numbered as the get it answers, for the debug log; a late one's as a request of its own.
      const auto request = load->waiters.empty() ? ++st_.requests : load->waiters.front().lookup->number;
      if (!load->missed && load->prefetch_for != no_layer)
        fill_prefetched(request, load->prefetch_for, in_hand.ns, in_hand.key, reply.value->value, reply.value->options);
      else
        fill(request, in_hand.ns, in_hand.key, *reply.value);
    }
    for (auto& waiter : load->waiters) {
      if (reply.code == status::ok && reply.value)
        finish(waiter.lookup, get_result{status::ok, reply.value->value, "loader", reply.value->options.ttl});
      else
        finish(waiter.lookup,
               get_result{reply.code == status::not_found ? waiter.lookup->failure : reply.code, {}, {}, {}});
    }
  }

  /// Load `number` has a waiter due, or has been in hand for loader_timeout: the waiters due get
  /// `timeout`; the load stays in hand, and its value is still written back when it comes.
  void load_timed_out(std::uint64_t number) {
    auto it = st_.loads_in_hand.find(number);
    if (it == st_.loads_in_hand.end())
      return;
    auto& in_hand = it->second;
    if (!in_hand.overdue) { // the first timer of a load is due loader_timeout after it started
      in_hand.overdue = true;
      ++st_.loader_overdue[in_hand.worker];
    }
    load_reply reply;
    reply.code = status::timeout;
    reply.error = "no answer from the loader within loader_timeout (" + std::to_string(st_.loader_timeout.count()) + " ms)";
    auto load = in_hand.load; // finishing a waiter may run a host callback: hold the load
    end_prefetch_wait(*load); // the cap is on prefetches within their timeout, as on requests
    const auto now = std::chrono::steady_clock::now();
    auto& waiters = load->waiters;
    const auto due_end = std::find_if(waiters.begin(), waiters.end(), [&](const load_waiter& w) { return w.due > now; });
    std::vector<load_waiter> due(std::make_move_iterator(waiters.begin()), std::make_move_iterator(due_end));
    waiters.erase(waiters.begin(), due_end);
    load->timer_set = !waiters.empty();
    if (load->timer_set)
      self_->delayed_send(self_, std::chrono::duration_cast<std::chrono::milliseconds>(waiters.front().due - now) +
                                   std::chrono::milliseconds(1),
                          load_timeout_atom::value, number);
    if (!due.empty())
      log_failed_load(*due.front().lookup, reply);
    for (auto& waiter : due)
      finish(waiter.lookup, get_result{status::timeout, {}, {}, {}});
  }

  void log_failed_load(const lookup& first, const load_reply& reply) {
    st_.log->write(log_level::warn, {"read-through load of '" + first.request.key.substr(0, 256) + "' (namespace '" +
                                       first.request.ns.substr(0, 256) + "') failed",
                                     {}, "load", to_string(reply.code), {}, std::to_string(first.number), reply.error});
  }

  /// Writes what a prefetch loaded into the layer that asked for it: through `put_prefetched`
  /// where the plugin has it (ABI 1.4), so that it can tell the fill from a client's write.
  void fill_prefetched(std::uint64_t request, std::size_t asking, const std::string& ns, const std::string& key,
                       const std::string& value, const entry_options& options) {
    auto data = std::make_shared<put_data>(put_data{ns, key, value, options});
    if (built_for(asking, put_prefetched_since_minor))
      put_unawaited(asking, request, data, layer_put_prefetched_atom::value);
    else
      put_unawaited(asking, request, data);
  }

  /// Writes a loaded value into every layer that takes promotions.
  void fill(std::uint64_t request, const std::string& ns, const std::string& key, const loaded_value& value) {
    put_payload data = std::make_shared<put_data>(put_data{ns, key, value.value, value.options});
    for (std::size_t j = 0; j < st_.slots.size(); ++j)
      if (st_.slots[j].cfg.promote && !st_.slots[j].observer)
        put_unawaited(j, request, data);
  }

  // plugin_abi.h: the minor that appended a layer's virtual; an older plugin's vtable has no such slot.
  static constexpr std::uint32_t put_prefetched_since_minor = 4;
  static constexpr std::uint32_t put_kept_since_minor = 5;

  /// Whether slot i's plugin was built for ABI minor `minor` or newer.
  bool built_for(std::size_t i, std::uint32_t minor) const {
    return st_.slots[i].recipe->plugin->descriptor->abi_minor >= minor;
  }

  /// Asks slot j to put `data` without waiting for the answer: a copy (a promotion, a fill) or a
  /// write behind. If its instance is replaced as hung and applies it late, the key is erased from
  /// the new one (`erase_if_applied_late`): writes made since went there first, and the late copy
  /// would be older than they are. `atom`: layer_put_prefetched_atom for a prefetch's fill,
  /// layer_put_kept_atom for an EXPIRE's write-back.
  template <class PutAtom = layer_put_atom>
  void put_unawaited(std::size_t j, std::uint64_t request, const put_payload& data, PutAtom atom = {}) {
    const auto sent_before = st_.last_sent_number;
    ask(j, request, operation::put, [](layer_reply&) {}, atom, data);
    if (auto* awaited = sent_since(sent_before))
      erase_if_applied_late(*awaited, j, data);
  }

  // --- writes behind (behind_write) ----------------------------------------------------------

  static constexpr std::size_t max_behind_writes = 1 << 18;
  static constexpr std::size_t max_behind_in_flight = 1024;
  static constexpr std::size_t max_behind_bytes = std::size_t{256} << 20;

  /// What a write behind holds: its key and value, and about 200 bytes of entry and payload.
  static std::size_t behind_charge(const std::string& key, const put_data& data) {
    std::size_t tags = 0;
    for (const auto& tag : data.options.tags)
      tags += tag.size() + 32;
    return key.size() + data.ns.size() + data.key.size() + data.value.size() + tags + 200;
  }

  static std::string behind_key(std::size_t i, const std::string& id) { return std::to_string(i) + '|' + id; }

  /// Puts `data` (of key `id`) to slot i, a `write: behind` layer, without waiting for it; until
  /// the layer takes it, a failure sends it again. `expire`: an EXPIRE's write-back, through
  /// put_kept when `kept`. `waiting`, if any, runs once the layer answers the write (or at once
  /// when it is not sent).
  void put_behind(std::size_t i, std::uint64_t number, const std::string& id, const put_payload& data, bool expire,
                  bool kept, std::function<void()> waiting = {}) {
    const auto key = behind_key(i, id);
    const auto pending = st_.behind.find(key);
    if (expire && pending != st_.behind.end()) {
      // An EXPIRE over a write behind not taken yet: what it found may be the layer's own older
      // value (the layers above let theirs go). An erase of the key still to come stays; a put
      // goes as it is, with the EXPIRE's TTL (put_kept would set the TTL only where the layer
      // holds that value, the older one there, and be taken).
      if (pending->second.erase)
        return waiting ? waiting() : void();
      auto expiring = std::make_shared<put_data>(*pending->second.data);
      expiring->options.ttl = data->options.ttl;
      return track_behind(i, number, key, std::move(expiring), false, std::move(waiting));
    }
    if (pending == st_.behind.end() &&
        (st_.behind.size() >= max_behind_writes || st_.behind_bytes >= max_behind_bytes)) {
      if (!std::exchange(st_.behind_untracked_logged, true))
        st_.log->write(log_level::warn,
                       {"writes behind in flight or failing reach " + std::to_string(max_behind_writes) +
                          " or " + std::to_string(max_behind_bytes >> 20) + " MiB: those of further keys are sent "
                          "untracked, and one that fails leaves the layer its older value (said once)",
                        st_.slots[i].cfg.name, {}, {}, {}, {}, {}});
      kept ? put_unawaited(i, number, data, layer_put_kept_atom::value) : put_unawaited(i, number, data);
      return waiting ? waiting() : void();
    }
    track_behind(i, number, key, data, kept, std::move(waiting));
  }

  /// Tracks the write behind `key` (replacing the one there) and sends it.
  void track_behind(std::size_t i, std::uint64_t number, const std::string& key, put_payload data, bool kept,
                    std::function<void()> waiting) {
    forget_behind(key);
    st_.behind_bytes += behind_charge(key, *data);
    st_.behind.emplace(key, behind_write{i, number, std::move(data), kept, false, std::chrono::steady_clock::now()});
    send_behind(key, std::move(waiting));
  }

  /// Sends the write behind `key` (again); `waiting`, if any, runs at the layer's answer.
  void send_behind(const std::string& key, std::function<void()> waiting = {}) {
    const auto& w = st_.behind.at(key);
    const auto i = w.slot;
    const auto number = w.number;
    const auto data = w.data;
    ++st_.slots[i].behind_in_flight;
    // The answer may come at once (no instance), and change the entry: nothing of it read after.
    auto answered = [this, i, key, number, waiting = std::move(waiting)](layer_reply& reply) {
      if (!(reply.failed && reply.code == status::timeout)) // else still in the layer's mailbox
        --st_.slots[i].behind_in_flight;
      if (waiting)
        waiting();
      behind_answered(key, number, reply);
    };
    const auto sent_before = st_.last_sent_number;
    if (w.erase)
      ask(i, number, operation::erase, answered, layer_erase_atom::value, data->ns, data->key);
    else if (w.kept)
      ask(i, number, operation::put, answered, layer_put_kept_atom::value, data);
    else
      ask(i, number, operation::put, answered, layer_put_atom::value, data);
    if (auto* awaited = sent_since(sent_before)) {
      erase_if_applied_late(*awaited, i, data);
      awaited->lost = [this, i, key, number] {
        --st_.slots[i].behind_in_flight;
        behind_lost(key, number);
      };
      awaited->late = [this, i, key, number](const layer_reply& reply) {
        --st_.slots[i].behind_in_flight;
        behind_settled(key, number, reply);
      };
    }
  }

  /// The layer's answer to the write behind `key` numbered `number`. Past its deadline (the
  /// coordinator's timeout) it is taken to be in the layer's backlog: `late` or `lost` says
  /// later what became of it (sending it again meanwhile would lengthen that backlog).
  void behind_answered(const std::string& key, std::uint64_t number, const layer_reply& reply) {
    if (reply.failed && reply.code == status::timeout)
      return;
    behind_settled(key, number, reply);
  }

  /// The layer's own answer to the write behind, in time or late. Its backend away or slow, or
  /// its instance replaced before it applied the write (`unavailable`): sent again. Not a write
  /// it threw on, or answered `internal` or `invalid` (logged where the answer is): sent again, it
  /// would fail again, a throw having the layer replaced at each.
  void behind_settled(const std::string& key, std::uint64_t number, const layer_reply& reply) {
    if (reply.code == status::unavailable || (reply.code == status::timeout && !reply.failed))
      return behind_failed(key, number, reply.error.empty() ? std::string(to_string(reply.code)) : reply.error);
    behind_taken(key, number); // kept, declined (the layer then drops what it held), or given up
  }

  /// Its instance was replaced, as hung, before it applied the write behind: sent again to the
  /// next, unless this is the third time (the write may be what hangs it: each replacement leaves
  /// a thread behind).
  void behind_lost(const std::string& key, std::uint64_t number) {
    const auto it = st_.behind.find(key);
    if (it == st_.behind.end() || it->second.number != number)
      return;
    if (++it->second.lost < 3)
      return behind_failed(key, number, "its instance was replaced before it applied it");
    st_.log->write(log_level::error, {"a write behind was not applied by three instances in a row, each replaced "
                                      "as hung: not sent again; the layer may hold an older value for its key",
                                      st_.slots[it->second.slot].cfg.name, {}, {}, {}, {}, {}});
    forget_behind(key);
  }

  void behind_taken(const std::string& key, std::uint64_t number) {
    if (const auto it = st_.behind.find(key); it != st_.behind.end() && it->second.number == number)
      forget_behind(key);
  }

  /// Sends the write behind `key` again after a wait (100 ms doubling to 5 s), unless a later write
  /// of the key replaced it.
  void behind_failed(const std::string& key, std::uint64_t number, const std::string& why = "it was not applied") {
    const auto it = st_.behind.find(key);
    if (it == st_.behind.end() || it->second.number != number)
      return;
    auto& w = it->second;
    auto& s = st_.slots[w.slot];
    const auto now = std::chrono::steady_clock::now();
    if (w.failures++ == 0 && s.behind_failing++ == 0 && !s.behind_failing_logged &&
        now - s.behind_failing_logged_at >= std::chrono::minutes(1)) {
      s.behind_failing_logged = true;
      s.behind_failing_logged_at = now;
      st_.log->write(log_level::warn, {"a write behind failed (" + why + "): sent again until the layer takes it, "
                                       "unless a later write of its key comes first (logged again when none is "
                                       "left; once a minute at most)",
                                       s.cfg.name, {}, {}, {}, {}, {}});
    }
    if (!s.actor) { // no instance: sent again when one starts
      s.behind_parked.emplace_back(key, number);
      return;
    }
    const auto wait = std::min<std::chrono::milliseconds>(std::chrono::milliseconds(100 << std::min(w.failures - 1, 6u)),
                                                          std::chrono::seconds(5));
    self_->delayed_send(self_, wait, behind_retry_atom::value, key, number);
  }

  /// The reminder of `behind_failed`: the write is sent again with what is left of its TTL, or, that
  /// run out, as an erase of the key (the layer holds an older value for it).
  void retry_behind(const std::string& key, std::uint64_t number) {
    const auto it = st_.behind.find(key);
    if (it == st_.behind.end() || it->second.number != number)
      return;
    auto& w = it->second;
    const auto ttl = w.data->options.ttl;
    if (!w.erase && ttl.count() > 0) {
      const auto left = ttl - std::chrono::ceil<std::chrono::milliseconds>(std::chrono::steady_clock::now() - w.written);
      if (left.count() <= 0) {
        w.erase = true;
      } else {
        auto shorter = std::make_shared<put_data>(*w.data);
        shorter->options.ttl = left;
        w.data = std::move(shorter);
        w.written = std::chrono::steady_clock::now();
      }
    }
    send_behind(key);
  }

  /// Forgets the write behind `key`, if there is one: taken, or replaced by a later write.
  void forget_behind(const std::string& key) {
    const auto it = st_.behind.find(key);
    if (it == st_.behind.end())
      return;
    auto& s = st_.slots[it->second.slot];
    st_.behind_bytes -= behind_charge(key, *it->second.data);
    if (it->second.failures > 0 && --s.behind_failing == 0 && std::exchange(s.behind_failing_logged, false))
      st_.log->write(log_level::info, {"every write behind that failed is taken or replaced by a later write",
                                       s.cfg.name, {}, {}, {}, {}, {}});
    st_.behind.erase(it);
  }

  /// Turns the writes behind of namespace `ns` that carry `tag` into erases of their keys: an
  /// invalidation of it came after them. Forgotten, one that failed left the layer the key's
  /// older value, which the invalidation did not reach (untagged). One in flight that the layer
  /// takes is removed there by the invalidation, which follows it. Those to layer `origin`, which
  /// heard of the invalidation from elsewhere (it holds what came since), are forgotten.
  void erase_behind_tagged(const std::string& ns, const std::string& tag, std::size_t origin = no_layer) {
    std::vector<std::string> gone;
    for (auto& [key, w] : st_.behind)
      if (w.data->ns == ns && std::find(w.data->options.tags.begin(), w.data->options.tags.end(), tag) !=
                                w.data->options.tags.end()) {
        if (w.slot == origin)
          gone.push_back(key);
        else
          w.erase = true;
      }
    for (const auto& key : gone)
      forget_behind(key);
  }

  void finish(const lookup_ptr& l, get_result result) {
    release_reader(l->id);
    l->request.done(std::move(result));
  }

  /// A lookup of `id` is no longer in flight.
  void release_reader(const std::string& id) {
    auto it = st_.activity.find(id);
    if (it != st_.activity.end() && --it->second.readers == 0)
      st_.activity.erase(it);
  }

  // --- writes ------------------------------------------------------------------------------

  /// Records a write to `id`, so that lookups and loads in flight do not copy an older value.
  /// `replaces_behind`: false for an EXPIRE's write-back, which writes what it found, and must
  /// see a write behind of the key not taken yet (`put_behind`).
  void note_write(const std::string& id, bool replaces_behind = true) {
    advance_write_epoch(id);
    if (replaces_behind && !st_.behind.empty())
      for (std::size_t i = 0; i < st_.slots.size(); ++i)
        if (st_.slots[i].cfg.write == write_policy::behind)
          forget_behind(behind_key(i, id));
    if (auto it = st_.loads.find(id); it != st_.loads.end())
      supersede(it); // a miss from now on must not get a value read before this write
  }

  /// Load `it` fills nothing when it returns (it still answers its waiters), and no later miss
  /// waits for it: out of `loads`, it is left to its load in hand.
  void supersede(std::unordered_map<std::string, pending_load_ptr>::iterator it) {
    it->second->superseded = true;
    st_.loads.erase(it);
  }

  /// Marks `id` written now, so that a lookup of it in flight does not promote what it read.
  void advance_write_epoch(const std::string& id) {
    ++st_.write_epoch;
    if (auto it = st_.activity.find(id); it != st_.activity.end())
      it->second.last_write = st_.write_epoch;
  }

  static constexpr std::size_t max_tagged_namespaces = 4096;

  /// The epoch of the last tag invalidation that may have touched namespace `ns`.
  std::uint64_t tag_epoch(const std::string& ns) const {
    const auto tagged = st_.last_tag_epoch.find(ns);
    return std::max(st_.tag_epoch_floor, tagged == st_.last_tag_epoch.end() ? 0 : tagged->second);
  }

  /// A tag invalidation of `ns` came: what the lookups of that namespace in flight read may
  /// have been removed since, and its loads may carry what the host changed before it.
  void note_tag_invalidation(const std::string& ns) {
    if (st_.activity.empty() && st_.loads.empty())
      st_.last_tag_epoch.clear(); // no lookup or load started before any of them
    if (st_.last_tag_epoch.size() >= max_tagged_namespaces) { // under traffic that never pauses
      st_.tag_epoch_floor = st_.write_epoch;
      st_.last_tag_epoch.clear();
    }
    st_.last_tag_epoch[ns] = ++st_.write_epoch;
    const auto prefix = make_id(ns, {});
    for (auto it = st_.loads.begin(); it != st_.loads.end();)
      if (it->first.compare(0, prefix.size(), prefix) == 0) {
        it->second->superseded = true;
        it = st_.loads.erase(it);
      } else {
        ++it;
      }
  }

  // A conditional write (put_condition, expire) looks its key up through the chain, then writes or
  // not. Meanwhile the key is guarded: later writes to it wait in order, so that none comes
  // between the check and the write. Reads are not held: they see the old or the new value.

  void put(put_request& request) {
    const auto id = make_id(request.data->ns, request.data->key);
    if (auto it = st_.guarded.find(id); it != st_.guarded.end()) {
      it->second.push_back([this, request = std::move(request)]() mutable { return start_put(request); });
      return;
    }
    if (request.condition != put_condition::always || request.keep_value)
      st_.guarded.try_emplace(id); // before the check, which may finish at once
    start_put(request);
  }

  void erase(erase_request& request) {
    if (auto it = st_.guarded.find(make_id(request.ns, request.key)); it != st_.guarded.end()) {
      it->second.push_back([this, request = std::move(request)]() mutable {
        write_erase(request);
        return false;
      });
      return;
    }
    write_erase(request);
  }

  /// Writes, or starts the check of a conditional write on a guarded key; true when a check
  /// started (the key stays guarded until `release`).
  bool start_put(put_request& request) {
    if (request.condition == put_condition::always && !request.keep_value) {
      write_put(request);
      return false;
    }
    auto pending = std::make_shared<put_request>(std::move(request));
    // A reader of its key until it decides: a removal that comes meanwhile (a host's drop, a tag
    // invalidation), which does not wait behind the guard, is then seen.
    pending->check_epoch = st_.write_epoch;
    ++st_.activity[make_id(pending->data->ns, pending->data->key)].readers;
    check(pending, 0, status::not_found);
    return true;
  }

  /// Looks the key of `pending` up from slot i on (no promotion, no loader), then decides.
  void check(const std::shared_ptr<put_request>& pending, std::size_t i, status failure) {
    if (i >= st_.slots.size())
      return decide(pending, nullptr, failure);
    if (st_.slots[i].observer) // not in the chain: it holds records, not entries
      return check(pending, i + 1, failure);
    const auto& data = *pending->data;
    const auto request = ++st_.requests;
    // Not counted as a get of the layer: the host asked for a write, and the layer's hit rate is
    // that of the reads.
    ask(
      i, request, asked{operation::get, false},
      [this, pending, i, failure, request](layer_reply& reply) {
        if (could_not(reply)) // it may hold the key: decide writes nothing
          return check(pending, i + 1, reply.code);
        if (reply.code != status::ok)
          return check(pending, i + 1, failure);
        if (!sound_hit(i, request, reply.hit)) // as if the layer could not answer: nothing is written
          return check(pending, i + 1, status::internal);
        decide(pending, &reply.hit, failure);
      },
      layer_get_atom::value, data.ns, data.key);
  }

  /// `found` is the entry the check found, or null; `failure` what a failing layer answered.
  void decide(const std::shared_ptr<put_request>& pending, const layer_hit* found, status failure) {
    auto& request = *pending;
    const auto id = make_id(request.data->ns, request.data->key);
    // What the check found may have been removed since (by a drop, or a tag invalidation of its
    // namespace, which do not wait behind the guard): an EXPIRE writing it again would bring it
    // back. The chain is checked again, up to max_rechecks times; then what the last check found
    // decides, so that invalidations of other keys of the namespace cannot make it fail.
    if (found && removed_since_check(request, id, *found) && ++request.rechecks < max_rechecks) {
      request.check_epoch = st_.write_epoch;
      return check(pending, 0, status::not_found);
    }
    release_reader(id);
    if (!found && failure != status::not_found) {
      request.done(failure); // a layer that could not answer may hold the key: write nothing
    } else if (request.condition == put_condition::if_absent && found) {
      request.done(status::rejected);
    } else if (request.condition == put_condition::if_present && !found) {
      request.done(status::not_found);
    } else {
      if (request.keep_value) {
        entry_options options = found->meta;
        options.ttl = request.data->options.ttl;
        request.data = std::make_shared<put_data>(put_data{request.data->ns, request.data->key, found->value, options});
      }
      write_put(request);
    }
    release(id);
  }

  static constexpr unsigned max_rechecks = 8;

  /// Whether `found`, the entry the check of `request` found, may have been removed since the
  /// check started: its key dropped (the check is a reader of it), or a tag invalidation of its
  /// namespace came and it has tags.
  bool removed_since_check(const put_request& request, const std::string& id, const layer_hit& found) const {
    const auto activity = st_.activity.find(id);
    if (activity != st_.activity.end() && activity->second.last_write > request.check_epoch)
      return true;
    return !found.meta.tags.empty() && tag_epoch(request.data->ns) > request.check_epoch;
  }

  /// Runs the writes that waited for the check of `id`, until one starts a check of its own.
  void release(const std::string& id) {
    for (;;) {
      auto it = st_.guarded.find(id);
      if (it == st_.guarded.end())
        return;
      if (it->second.empty()) {
        st_.guarded.erase(it);
        return;
      }
      auto next = std::move(it->second.front());
      it->second.pop_front();
      if (next())
        return;
    }
  }

  void write_put(put_request& request) {
    const auto number = ++st_.requests;
    const auto id = make_id(request.data->ns, request.data->key);
    note_write(id, !request.keep_value);
    // An EXPIRE writes back what it found (maybe a failed put's value, whose undo must still come).
    if (!request.keep_value && reaches_every_layer())
      note_replacing_write(id);
    const undo_ticket ticket{st_.write_epoch, std::make_shared<undo_claim>(st_.undo_watched, id)};
    auto join = std::make_shared<fan_in<put_outcome>>();
    join->done = [this, id, ticket, data = request.data, done = std::move(request.done)](put_outcome o) {
      if (!o.undo)
        return done(o.code());
      // While a conditional write checks the chain, the undo waits behind it: that write may write
      // nothing (a refused SET NX), and the failed put's value would stay where it was taken.
      const auto then = [done, code = o.code()](status) { done(code); };
      auto guard = st_.guarded.find(id);
      if (guard == st_.guarded.end())
        return undo_put(ticket, *data, then);
      guard->second.push_back([this, ticket, data, then]() {
        undo_put(ticket, *data, then);
        return false;
      });
    };
    join->remaining = 1; // released below, so that a synchronous reply cannot finish early
    for (std::size_t i = 0; i < st_.slots.size(); ++i) {
      const auto policy = st_.slots[i].cfg.write;
      if (st_.slots[i].observer)
        continue;
      if (policy == write_policy::around) {
        // It takes no writes, but may hold a copy promoted into it: that copy goes, or the layer
        // would serve the old value after the put answered.
        ++join->remaining;
        const auto sent_before = st_.last_sent_number;
        ask(
          i, number, operation::erase,
          [join](layer_reply& reply) {
            join->result.note_failure(reply);
            join->one_done();
          },
          layer_erase_atom::value, request.data->ns, request.data->key);
        if (auto* awaited = sent_since(sent_before))
          undo_if_lost(*awaited, ticket, request.data);
        continue;
      }
      // An EXPIRE's write-back changes only the TTL where the layer has put_kept (ABI 1.5).
      const bool kept_value = request.keep_value && built_for(i, put_kept_since_minor);
      if (policy == write_policy::behind) {
        join->result.kept = true; // not waited for: taken to keep it
        if (st_.slots[i].behind_in_flight < max_behind_in_flight) {
          put_behind(i, number, id, request.data, request.keep_value, kept_value);
          continue;
        }
        // The layer is that far behind: the put waits for it (its answer is still not the put's).
        ++join->remaining;
        put_behind(i, number, id, request.data, request.keep_value, kept_value, [join] { join->one_done(); });
        continue;
      }
      ++join->remaining;
      const auto sent_before = st_.last_sent_number;
      const auto answered = [join, kept_value](layer_reply& reply) {
        auto& o = join->result;
        o.note_failure(reply);
        if (reply.code == status::invalid)
          o.note_invalid();
        // put_kept's not_found: it set the TTL only, or the key holds another value there now.
        o.kept = o.kept || reply.code == status::ok || (kept_value && reply.code == status::not_found);
        join->one_done();
      };
      if (kept_value)
        ask(i, number, operation::put, answered, layer_put_kept_atom::value, request.data);
      else
        ask(i, number, operation::put, answered, layer_put_atom::value, request.data);
      if (auto* awaited = sent_since(sent_before)) {
        undo_if_lost(*awaited, ticket, request.data);
        erase_if_applied_late(*awaited, i, request.data);
      }
    }
    join->one_done(); // no layer takes writes (every one is write: around): rejected, nothing kept it
  }

  /// The request sent last, if one was sent since `sent_before` and is not answered yet; null when
  /// none was (answered at once: the layer had no instance).
  awaited_reply* sent_since(std::uint64_t sent_before) {
    if (st_.last_sent_number == sent_before)
      return nullptr;
    const auto sent = st_.sent.find(st_.last_sent_number);
    return sent != st_.sent.end() ? sent->second.awaited.get() : nullptr;
  }

  /// `awaited` is a put's write to a layer (its put, or the erase of an around layer's copy).
  /// Answered as a timeout, it is not undone: the layer is taken to apply it later. If it fails
  /// then, or its instance is replaced first (whose retired mailbox applies nothing), the others
  /// may hold the new value and it the old: the key goes from every layer.
  void undo_if_lost(awaited_reply& awaited, const undo_ticket& ticket, const put_payload& data) {
    awaited.lost = [this, ticket, data] { undo_put(ticket, *data, [](status) {}); };
  }

  /// Whether a put sent now reaches every layer in order after what was sent before, each layer
  /// answering it (so that it is undone if one fails it): not when a layer is restarting (no
  /// instance), has an instance started beside a call that has not returned (that call may still
  /// write after it), or is `write: behind` (its answer is not waited for).
  bool reaches_every_layer() const {
    for (std::size_t i = 0; i < st_.slots.size(); ++i) {
      const auto& s = st_.slots[i];
      if (s.observer)
        continue;
      if (!s.actor || s.cfg.write == write_policy::behind ||
          std::any_of(st_.stopped.begin(), st_.stopped.end(), [i](const auto& stopped) { return stopped.slot == i; }))
        return false;
    }
    return true;
  }

  /// `awaited` is a put to slot i: if its instance is replaced as hung and the put applied when the
  /// hung call returns, the key is erased from slot i (its next instance, if it has none yet), for
  /// later writes went there first.
  void erase_if_applied_late(awaited_reply& awaited, std::size_t i, const put_payload& data) {
    awaited.applied_late = [this, i, data] {
      if (st_.slots[i].actor)
        erase_late_put(i, data->ns, data->key);
      else
        st_.slots[i].erase_at_start.emplace_back(data->ns, data->key);
    };
  }

  /// Erases (ns, key) from slot i's instance, for a put its replaced instance applied late. Not
  /// awaited: numbered 0, which no request is, its answer is dropped.
  void erase_late_put(std::size_t i, const std::string& ns, const std::string& key) {
    auto& s = st_.slots[i];
    st_.log->write(log_level::warn,
                   {"a put its replaced instance applied late is erased", s.cfg.name, {}, {}, {}, {}, "key " + key});
    self_->send(s.actor, layer_erase_atom::value, std::uint64_t{0}, ns, key);
  }

  /// A put of `id` reached every layer: an undo of a put sent before it is not needed.
  void note_replacing_write(const std::string& id) {
    if (auto it = st_.undo_watched->find(id); it != st_.undo_watched->end())
      it->second.last_write = st_.write_epoch;
  }

  /// A write-through layer that could not take a put may still hold the key's old value, which it
  /// would serve once the layers that took the new one let it go: so the key is erased from every
  /// layer, and the failed put leaves at most the old value where it was, never both; unless a put
  /// of the key was sent to every layer after it (`undo_watch`). `then` runs once every layer has
  /// answered the erase, so that the caller's next read cannot see the value.
  void undo_put(const undo_ticket& ticket, const put_data& data, std::function<void(status)> then) {
    const auto watch = st_.undo_watched->find(make_id(data.ns, data.key));
    if (watch != st_.undo_watched->end() && watch->second.last_write > ticket.epoch)
      return then(status::ok);
    erase_request undo;
    undo.ns = data.ns;
    undo.key = data.key;
    undo.done = std::move(then);
    write_erase(undo);
  }

  void write_erase(erase_request& request) {
    const auto number = ++st_.requests;
    note_write(make_id(request.ns, request.key));
    struct erase_outcome {
      bool found = false;
      status failure = status::ok;
    };
    auto join = std::make_shared<fan_in<erase_outcome>>();
    join->done = [done = std::move(request.done)](erase_outcome o) {
      // A layer that could not erase may still hold the key: that outweighs another's ok.
      done(o.failure != status::ok ? o.failure : o.found ? status::ok : status::not_found);
    };
    ask_chain(
      join, number, operation::erase,
      [](erase_outcome& o, const layer_reply& reply, const std::string&) {
        if (could_not(reply))
          o.failure = reply.code;
        else if (reply.code == status::ok)
          o.found = true;
      },
      layer_erase_atom::value, request.ns, request.key);
  }

  void invalidate_tag(tag_request& request) {
    const auto number = ++st_.requests;
    note_tag_invalidation(request.ns);
    erase_behind_tagged(request.ns, request.tag);
    auto join = std::make_shared<fan_in<invalidate_result>>();
    join->done = std::move(request.done);
    ask_chain(
      join, number, operation::invalidate_tag,
      [](invalidate_result& r, const layer_reply& reply, const std::string& layer) {
        if (could_not(reply)) {
          r.code = reply.code;
          if (!reply.error.empty()) // what became of the invalidation there (removed from memory only, say)
            r.error += (r.error.empty() ? "layer '" : "; layer '") + layer + "': " + reply.error;
        } else
          r.removed += reply.count;
      },
      layer_tag_atom::value, request.ns, request.tag);
  }

  /// Asks every layer of the chain but the observers; `count` folds each answer, with the layer's
  /// name, into the join's result, which is done once all have answered. The join holds a count of
  /// its own until every request is sent, so that a synchronous answer cannot finish it early.
  template <class Result, class Count, class... Ts>
  void ask_chain(const std::shared_ptr<fan_in<Result>>& join, std::uint64_t number, operation op, Count count,
                 Ts&&... args) {
    join->remaining = 1;
    for (std::size_t i = 0; i < st_.slots.size(); ++i) {
      if (st_.slots[i].observer)
        continue;
      ++join->remaining;
      ask(
        i, number, op,
        [join, count, layer = st_.slots[i].cfg.name](layer_reply& reply) {
          count(join->result, reply, layer);
          join->one_done();
        },
        args...);
    }
    join->one_done();
  }

  /// Drops a key or tag that layer `origin` heard has changed elsewhere from every other layer,
  /// as an erase or a tag invalidation would, but without asking `origin` itself (which would
  /// announce the change again).
  void drop(std::size_t origin, bool tag, const std::string& ns, const std::string& what) {
    const auto number = ++st_.requests;
    if (tag) {
      note_tag_invalidation(ns);
      erase_behind_tagged(ns, what, origin);
    } else {
      note_write(make_id(ns, what));
    }
    if (origin >= st_.slots.size())
      return;
    const auto dropped = [this, origin](layer_reply&) {
      auto& s = st_.slots[origin];
      if (--s.drops_in_flight > 0)
        return;
      auto waiting = std::move(s.after_drops);
      s.after_drops.clear();
      for (auto& answer : waiting)
        answer();
    };
    for (std::size_t i = 0; i < st_.slots.size(); ++i) {
      if (i == origin || st_.slots[i].observer)
        continue;
      ++st_.slots[origin].drops_in_flight;
      if (tag)
        ask(i, number, operation::invalidate_tag, dropped, layer_tag_atom::value, ns, what);
      else
        ask(i, number, operation::erase, dropped, layer_erase_atom::value, ns, what);
    }
  }

  /// Runs `answer` once the drops that layer `i` asked of the others are done (at once when none
  /// is in flight). An operation or a command that changed what a get of some key answers (a
  /// semantic update, the global layer's `put` or `reject`) had the layer drop that key from the
  /// others first; its caller is answered once they have, so that its next read cannot find the
  /// old copy.
  void answer_after_drops(std::size_t i, std::function<void()> answer) {
    auto& s = st_.slots[i];
    if (s.drops_in_flight == 0)
      return answer();
    s.after_drops.push_back(std::move(answer));
  }

  void command(command_request& request) {
    const auto it = std::find_if(st_.slots.begin(), st_.slots.end(),
                                 [&](const slot& s) { return s.cfg.name == request.layer; });
    const auto refuse = [&](status code, const std::string& why) {
      request.done(command_result{code, nlohmann::json{{"error", why}}.dump()});
    };
    if (it == st_.slots.end())
      return refuse(status::invalid, "no layer named '" + request.layer + "'");
    const auto i = static_cast<std::size_t>(it - st_.slots.begin());
    const auto* d = it->recipe->plugin->descriptor;
    if (d->abi_minor < 2)
      return refuse(status::invalid, "layer '" + request.layer + "' (plugin " + d->name + ", ABI 1." +
                                       std::to_string(d->abi_minor) + ") takes no commands");
    // A command may do real work (a scan, a compaction): at least 5 s, whatever the layer's
    // deadline for requests.
    const auto deadline = std::max<std::chrono::milliseconds>(it->deadline, std::chrono::seconds(5));
    ask_within(
      i, deadline, ++st_.requests, operation::command,
      [this, i, done = std::move(request.done)](layer_reply& reply) {
        // Not ok, the answer is {"error": ...}: also when the layer wrote none, or a replaced
        // instance answered without calling it (not a failure of the layer, but no answer either).
        command_result result{reply.code, std::move(reply.hit.value)};
        if (reply.failed || (reply.code != status::ok && result.json.empty()))
          result.json = nlohmann::json{{"error", reply.error.empty() ? to_string(reply.code) : reply.error}}.dump();
        answer_after_drops(i, [done, result = std::move(result)]() mutable { done(std::move(result)); });
      },
      layer_command_atom::value, request.name, request.args);
  }

  /// A semantic or vector operation for the one layer the runtime chose.
  void call(call_request& request) {
    const auto number = ++st_.requests;
    if (request.slot >= st_.slots.size()) {
      layer_reply reply{status::internal, false, "no layer at position " + std::to_string(request.slot), {}, 0};
      return request.done(reply);
    }
    ask(
      request.slot, number, request.op,
      [this, i = request.slot, done = std::move(request.done)](layer_reply& reply) {
        answer_after_drops(i, [done, reply]() mutable { done(reply); });
      },
      layer_call_atom::value, request.call);
  }

  // --- prefetch ----------------------------------------------------------------------------

  /// Layer `asking` wants `key` loaded ahead of a request: the layers below it, then the loader;
  /// what is found is written into `asking` alone, under the guard of a lookup, then of its load
  /// (a write or tag invalidation that arrives meanwhile cancels the write). A key already being
  /// loaded is left to that load, which fills the layers anyway; a miss of the key while the
  /// prefetch loads it waits for that load.
  void prefetch(std::size_t asking, std::string& ns, std::string& key) {
    if (asking >= st_.slots.size() || st_.prefetches_in_flight >= max_prefetches_in_flight)
      return;
    auto l = std::make_shared<lookup>();
    l->id = make_id(ns, key);
    if (st_.loads.count(l->id) > 0)
      return;
    l->request.ns = std::move(ns);
    l->request.key = std::move(key);
    l->start_epoch = st_.write_epoch;
    l->number = ++st_.requests;
    ++st_.activity[l->id].readers;
    ++st_.prefetches_in_flight;
    prefetch_walk(l, asking, asking + 1);
  }

  void prefetch_walk(const lookup_ptr& l, std::size_t asking, std::size_t i) {
    if (i >= st_.slots.size())
      return prefetch_load(l, asking);
    if (st_.slots[i].observer) // it answers nothing (the diary): asked, it could only time out
      return prefetch_walk(l, asking, i + 1);
    ask(
      i, l->number, asked{operation::get, false},
      [this, l, asking, i, asked_at = std::chrono::steady_clock::now()](layer_reply& reply) {
        if (!reply.failed && reply.code == status::ok && sound_hit(i, l->number, reply.hit))
          return prefetched(l, asking, reply.hit.value, copy_meta(reply.hit.meta, asked_at));
        prefetch_walk(l, asking, i + 1);
      },
      layer_get_atom::value, l->request.ns, l->request.key);
  }

  /// The walk found nothing: the key is loaded as a miss's would be, into `loads`, so that a miss
  /// meanwhile waits for it, and a write supersedes it; the lookup's guard ends there.
  void prefetch_load(const lookup_ptr& l, std::size_t asking) {
    if (!st_.loader || st_.loads.count(l->id) > 0 || !still_current(*l)) {
      --st_.prefetches_in_flight;
      return release_reader(l->id);
    }
    auto& load = st_.loads[l->id];
    load = std::make_shared<pending_load>();
    load->started = std::chrono::steady_clock::now();
    load->prefetch_for = asking;
    load->counted_as_prefetch = true;
    load->number = start_load(l->request.ns, l->request.key, load);
    load->timer_set = true;
    self_->delayed_send(self_, st_.loader_timeout, load_timeout_atom::value, load->number);
    release_reader(l->id);
  }

  /// A layer below held the key: copied into the asking layer, as a promotion would be (with the
  /// time since it was asked taken off its TTL: a prefetched copy outlived the entry by up to 1 ms,
  /// audit), unless that leaves none.
  void prefetched(const lookup_ptr& l, std::size_t asking, const std::string& value,
                  const std::optional<entry_options>& options) {
    if (options && still_current(*l))
      fill_prefetched(l->number, asking, l->request.ns, l->request.key, value, *options);
    --st_.prefetches_in_flight;
    release_reader(l->id);
  }

  /// A prefetch's load answered or timed out: it counts against max_prefetches_in_flight no more.
  void end_prefetch_wait(pending_load& load) {
    if (!load.counted_as_prefetch)
      return;
    load.counted_as_prefetch = false;
    --st_.prefetches_in_flight;
  }

  void layer_failed(std::size_t i, std::uint64_t generation, const std::string& why) {
    if (i < st_.slots.size())
      failed(i, generation, fault_type::exception, why);
  }

private:
  coordinator_actor* self_;
  coordinator_state& st_;
};

caf::behavior coordinator(coordinator_actor* self, std::shared_ptr<coordinator_setup> setup) {
  auto& st = self->state;
  st.shared = setup->shared;
  st.loader = setup->loader;
  st.loader_timeout = setup->cfg.runtime.loader_timeout;
  st.metrics = setup->metrics;
  st.log = setup->log;
  if (st.loader)
    for (int i = 0; i < setup->cfg.runtime.loader_threads; ++i)
      st.loaders.push_back(spawn_loader_worker(self->system(), st.loader, st.workers_stopping));
  st.loader_busy.assign(st.loaders.size(), 0);
  st.loader_overdue.assign(st.loaders.size(), 0);
  st.layer_factory = spawn_layer_factory(self->system(), st.workers_stopping);
  auto r = std::make_shared<router>(self);
  for (std::size_t i = 0; i < setup->cfg.layers.size(); ++i) {
    slot s;
    s.cfg = setup->cfg.layers[i];
    const auto& plugin = *setup->plugins[i];
    s.recipe = std::make_shared<const layer_recipe>(layer_recipe{&plugin, s.cfg.name, s.cfg.settings, setup->hosts[i]});
    s.detached = s.cfg.detached.value_or((plugin.descriptor->flags & STRATA_PLUGIN_FLAG_COOPERATIVE) == 0);
    s.deadline = s.cfg.deadline.value_or(default_deadline(*plugin.descriptor));
    s.observer = is_observer(*plugin.descriptor);
    st.slots.push_back(std::move(s));
  }
  for (std::size_t i = 0; i < st.slots.size(); ++i)
    r->start_slot(i, std::move(setup->instances[i]), setup->voices[i]);
  // A layer's prefetch requests and its requests to drop a key or tag from the other layers
  // come to this actor as messages; the host keeps only a weak address, and is disconnected when
  // the coordinator exits (a listener thread of the layer may call at any time).
  for (std::size_t i = 0; i < st.slots.size(); ++i) {
    auto& host = instance_host::of(*st.slots[i].recipe->host);
    host.connect_prefetch([address = self->address(), i](std::string_view ns, std::string_view key) {
      auto coordinator = caf::actor_cast<caf::actor>(address);
      if (!coordinator)
        return false;
      caf::anon_send(coordinator, prefetch_atom::value, i, std::string(ns), std::string(key));
      return true;
    });
    host.connect_invalidation([address = self->address(), i](bool tag, std::string ns, std::string what) {
      if (auto coordinator = caf::actor_cast<caf::actor>(address))
        caf::anon_send(coordinator, drop_atom::value, i, tag, std::move(ns), std::move(what));
    });
  }
  setup.reset();
  self->set_down_handler([r](caf::down_msg& msg) { r->on_down(msg); });
  // The runtime stops the coordinator with an exit message; the layer hosts and loader workers
  // it owns end with it.
  self->set_exit_handler([self](caf::exit_msg& msg) {
    for (auto& s : self->state.slots) {
      if (const auto untold = s.internal_lines.untold(); untold > 0)
        self->state.log->write(log_level::warn, {"layer answered internal " + std::to_string(untold) +
                                                   " more times since the last line, not logged before the stop",
                                                 s.cfg.name, {}, {}, {}, {}, {}});
      instance_host::of(*s.recipe->host).connect_prefetch({});
      instance_host::of(*s.recipe->host).connect_invalidation({});
      if (s.actor)
        self->send_exit(s.actor, caf::exit_reason::user_shutdown);
    }
    self->state.workers_stopping->store(true, std::memory_order_release);
    for (auto& worker : self->state.loaders)
      self->send_exit(worker, caf::exit_reason::user_shutdown);
    self->send_exit(self->state.layer_factory, caf::exit_reason::user_shutdown);
    self->quit(msg.reason);
  });
  return {
    [r](get_atom, get_request& request) { r->get(request); },
    [r](put_atom, put_request& request) { r->put(request); },
    [r](erase_atom, erase_request& request) { r->erase(request); },
    [r](tag_atom, tag_request& request) { r->invalidate_tag(request); },
    [r](call_atom, call_request& request) { r->call(request); },
    [r](drop_atom, std::size_t origin, bool tag, const std::string& ns, const std::string& what) {
      r->drop(origin, tag, ns, what);
    },
    [r](command_atom, command_request& request) { r->command(request); },
    [r](prefetch_atom, std::size_t asking, std::string& ns, std::string& key) { r->prefetch(asking, ns, key); },
    [r](sweep_atom, std::uint64_t number) { r->sweep(number); },
    [r](overdue_atom) { r->fail_overdue(); },
    [r](hang_check_atom, std::size_t index, std::uint64_t generation, std::uint64_t number) {
      r->hang_check(index, generation, number);
    },
    [r](behind_retry_atom, const std::string& key, std::uint64_t number) { r->retry_behind(key, number); },
    [r](layer_answer_atom, std::uint64_t number, layer_reply& reply) { r->layer_answered(number, reply); },
    [r](loaded_atom, std::uint64_t number, load_reply& reply) { r->load_answered(number, reply); },
    [r](load_timeout_atom, std::uint64_t number) { r->load_timed_out(number); },
    [r](layer_failed_atom, std::size_t index, std::uint64_t generation, const std::string& why) {
      r->layer_failed(index, generation, why);
    },
    [r](restart_atom, std::size_t index, std::uint64_t generation, std::uint64_t restarts_begun) {
      r->restart_if_still_down(index, generation, restarts_begun);
    },
    [r](replaced_wait_atom, std::size_t index, std::uint64_t generation) {
      r->start_when_stopped(index, generation, true);
    },
    [r](layer_created_atom, std::size_t index, created_layer& created) { r->instance_created(index, created); },
  };
}

} // namespace

caf::actor spawn_coordinator(caf::actor_system& system, coordinator_setup setup) {
  return system.spawn(coordinator, std::make_shared<coordinator_setup>(std::move(setup)));
}

} // namespace strata::detail
