#pragma once
// The coordinator's logic, one object per coordinator actor. Its member functions are defined by
// concern: coordinator_supervision.cpp (instances, restarts), coordinator_requests.cpp (sending,
// deadlines, answers, hangs), coordinator_reads.cpp (gets, promotions, loads),
// coordinator_behind.cpp (writes behind), coordinator_writes.cpp (puts, erases, tags, commands)
// and coordinator_prefetch.cpp.

#include "coordinator_state.hpp"

// Not exported from libstrata.so, as coordinator_state.hpp.
#pragma GCC visibility push(hidden)

namespace strata::detail::coordination {

/// The coordinator's logic; one object per actor, living in its state's lifetime.
class router {
public:
  explicit router(coordinator_actor* self) : self_(self), st_(self->state) {}

  // --- supervision -------------------------------------------------------------------------

  /// A restarted observing layer's new instance records what happens from now on, so that its
  /// commands see it (the diary's flush and count: they read the new instance's buffer, while the
  /// runtime went on recording into the first's); returns the observer before, or null when the
  /// new instance gives none (the one before then records on).
  std::shared_ptr<interaction_observer> observe_with(std::size_t i, layer_instance& instance);

  void start_slot(std::size_t i, std::shared_ptr<layer_instance> instance, instance_voice* voice);

  /// Publishes layer 0's read view; the replaced ones no reader holds are freed by the layer
  /// factory worker, in its thread (a store of millions of entries takes a while to free).
  void publish_first_view(std::shared_ptr<read_view> view, std::uint64_t generation);

  /// The instance's read view, or none when asking for it throws (its reads then go through its
  /// actor, which reports what fails there). None for a layer written `behind`: a put answers
  /// before that layer has applied it, and a read view (not ordered behind the put in the layer's
  /// mailbox, as a get through its actor is) served the value before it after the answer.
  std::shared_ptr<read_view> view_of(const slot& s, layer_instance& instance);

  /// Stops slot i's instance, if it has one. The answers it still sends reach the requests not
  /// answered yet (as a timeout, say), but count no more for the slot's health: they are of a past
  /// generation.
  void stop_slot(std::size_t i);

  /// Answers `unavailable` to the requests that slot i's instance of `generation`, now gone, left
  /// unanswered, in the order they were sent.
  void instance_gone(std::size_t i, std::uint64_t generation);

  /// Ends what slot i's instance of `generation` was sent and has not answered, in the order sent:
  /// a request answered as a timeout already is `lost` (that instance will not apply it); the
  /// others answer `unavailable` with `why`. `forget`: dropped from `sent` (the instance is gone);
  /// else kept there for the answers its host still sends.
  void end_requests(std::size_t i, std::uint64_t generation, bool forget, const std::string& why);

  /// Replaces slot i's instance with a fresh one from the plugin's factory, once the replaced one
  /// has stopped: a call still running in it (the one that missed its deadline, say) would write
  /// into what the new one loads (a persisted layer's file: rows overwritten, ids given twice). A
  /// call that has not returned within replaced_instance_wait is taken to hang, and the new
  /// instance starts beside it. Meanwhile the slot answers `unavailable`.
  void restart(std::size_t i);

  /// Whether an instance of slot i that was stopped has not ended yet (one already waited out
  /// holds back no later restart).
  bool stopping(std::size_t i) const;

  /// The restart put off until the replaced instance stopped, once it has, or once it has not
  /// within replaced_instance_wait (`generation` is the slot's then; a later restart supersedes).
  void start_when_stopped(std::size_t i, std::uint64_t generation, bool waited_long);

  /// Slot i's replaced instances whose call has not returned are waited for no longer: a new
  /// instance starts beside them.
  void wait_out(std::size_t i);

  /// Has the layer factory worker create slot i's instance from the plugin's factory (which may
  /// wait for a database: the other layers are served meanwhile, and this one answers
  /// `unavailable`); `instance_created` starts it.
  void start_instance(std::size_t i);

  /// The factory worker's answer for slot i: its new instance starts, or the slot stays down.
  void instance_created(std::size_t i, created_layer& created);

  /// Whether slot i has a host to ask; retries a failed restart once its `restart_wait` is over.
  bool available(std::size_t i);

  /// Counts a failure of generation `generation` of slot i; the first failure of a generation
  /// replaces it (later ones are the same fault seen by other requests).
  void failed(std::size_t i, std::uint64_t generation, fault_type type, const std::string& why);

  /// A restart put off by `failed`, or the retry of one that failed, unless one happened meanwhile.
  void restart_if_still_down(std::size_t i, std::uint64_t generation, std::uint64_t restarts_begun);

  /// How long after a failed restart the next is tried: 1 s after the first failure in a row, then
  /// twice as long after each further one, to a minute (a database down for hours is tried, and
  /// logged, once a minute); 1 s again once an instance answers a request (`succeeded`).
  static std::chrono::seconds restart_wait(const slot& s);

  /// Counts one more failed restart of `s`, and returns the wait before the next.
  static std::chrono::seconds longer_restart_wait(slot& s);

  /// Restarts slot i after `wait`, unless it is back, or another restart began, by then.
  void put_off_restart(std::size_t i, std::chrono::seconds wait);

  void succeeded(std::size_t i, std::uint64_t generation);

  void on_down(const caf::down_msg& msg);

  /// Slot i's instance of `generation` has ended: what it left unanswered fails, and a restart
  /// that waited for it goes on.
  void instance_ended(std::size_t i, std::uint64_t generation);

  /// A call the layer host makes of its own (maintain(), maintenance_interval()) threw
  /// (layer_failed_atom): a fault, as a request that throws is.
  void layer_failed(std::size_t i, std::uint64_t generation, const std::string& why);

  // --- requests to the layers: deadlines, answers, hangs -----------------------------------

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
  void layer_answered(std::uint64_t number, layer_reply& reply);

  /// Hands `reply` to what awaited it, once, and forgets the answered requests at the front of
  /// its queue.
  void answer(std::size_t i, awaited_reply& awaited, layer_reply& reply);

  /// Makes sure a sweep runs at `due` or earlier.
  void schedule_sweep(std::chrono::steady_clock::time_point due);

  /// Takes every request past its deadline as overdue, then makes sure the next sweep comes by the
  /// earliest deadline left. Sweep `number` is the latest scheduled, or one that an earlier-due
  /// sweep superseded (then the latest is still pending). The overdue fail once a message sent to
  /// self now comes back: an answer that reached the mailbox while this actor was held up (busy
  /// scheduler threads) is behind this sweep, and was taken for a hung layer's, which was replaced
  /// with its entries.
  void sweep(std::uint64_t number);

  /// Whether layer i's instance has a request sent before `awaited`, unanswered and still within
  /// its deadline: the instance is working on it (a long command), not hung. Only the oldest of
  /// each deadline's queue can be: those behind it were sent later, and one before it is past due.
  bool busy_before(std::size_t i, const awaited_reply& awaited, std::chrono::steady_clock::time_point now) const;

  /// Answers with a timeout the overdue requests that are still unanswered.
  void fail_overdue();

  /// Makes sure slot i's instance of `generation` is looked at by `due` or earlier (hang_check).
  void watch_for_hang(std::size_t i, std::uint64_t generation, std::chrono::steady_clock::time_point due);

  /// Whether slot i's instance of `generation`, which let a request time out with nothing answered
  /// since, hangs: its oldest request unanswered is hang_grace past its deadline, and it has answered
  /// nothing for hang_grace. Then it is replaced, and its new instance starts at once, beside the
  /// call that hangs (it has been waited for already). Otherwise it is looked at again when that
  /// could next hold.
  void hang_check(std::size_t i, std::uint64_t generation, std::uint64_t number);

  /// What slot i's instance of `generation`, replaced as hung, was sent: its retired host applies
  /// none of it but the call that hangs, if that returns (`applied_late` then). So the puts that
  /// timed out are undone now (`lost`), not when that call returns, which may be never (until then
  /// the other layers kept values this one never took); the requests not yet due fail now. Kept in
  /// `sent` for the answers the host still sends.
  void give_up_on(std::size_t i, std::uint64_t generation);

  /// A layer's own word that it failed (a throw is logged as a fault): what the caller's
  /// `internal` sends the operator to the log for. One line a second at most per layer, with the
  /// count of those not logged since.
  void log_internal(std::size_t i, operation op, std::uint64_t request, const layer_reply& reply);

  /// After `internal` answers, the first other answer of the layer (a second after the last line
  /// at the earliest), with the count of those not logged since: without it, they were never told
  /// when no `internal` came after them.
  void log_internal_ended(std::size_t i, operation op, std::uint64_t request);

  /// One line per layer answer, at debug level only.
  void log_reply(std::size_t i, std::uint64_t request, operation op, const layer_reply& reply,
                 std::chrono::steady_clock::duration took);

  layer_metrics* metrics(std::size_t i) const noexcept;

  // --- reads -------------------------------------------------------------------------------

  void get(get_request& request);

  void walk(const lookup_ptr& l, std::size_t i);

  /// Whether a value read by `l` may still be copied upward: no write to its key and no tag
  /// invalidation arrived since the lookup started.
  bool still_current(const lookup& l) const;

  /// Whether a write to `l`'s key arrived since the lookup started.
  bool written_since(const lookup& l) const;

  /// Whether layer i's hit has metadata a put would take. One with a negative TTL or an empty tag
  /// (which no invalidation could name) is a bug of the layer's: not served, nor copied into other
  /// layers (promoted, prefetched, or kept by an EXPIRE), nor counted as present by a conditional
  /// write; logged, and the layers after it are asked, as when it cannot answer.
  bool sound_hit(std::size_t i, std::uint64_t request, const layer_hit& hit);

  /// Copies a hit of layer `found_at`, asked at `asked_at`, into the layers before it that take
  /// promotions. A copy of an entry with a TTL must not outlive it: its TTL is what the hit
  /// reported less 1 ms (a layer rounds the time left up to whole milliseconds) and less the time
  /// since the layer was asked (rounded up), which the entry has lived since; none is made when
  /// nothing is left. (The copy still waits in the upper layer's mailbox before it is applied:
  /// microseconds, not counted.)
  void promote(const lookup_ptr& l, std::size_t found_at, const layer_hit& hit,
               std::chrono::steady_clock::time_point asked_at);

  /// The metadata of a copy of a hit that layer was asked for at `asked_at`: its TTL less the time
  /// since (and a millisecond, for the rounding of the layer's), so that the copy does not outlive
  /// the entry; none when that leaves none (0 would be no expiry at all).
  static std::optional<entry_options> copy_meta(const entry_options& found,
                                                std::chrono::steady_clock::time_point asked_at);

  void full_miss(const lookup_ptr& l);

  /// What `l`'s miss answers when a load of its key answered while `l` walked the chain: that
  /// load's answer, its TTL less the time since as `copy_meta` takes it off (none when that leaves
  /// nothing: the layers let the value go meanwhile); else none. A write or tag invalidation since does not matter: `l` began
  /// before it, so may answer what came before.
  std::optional<get_result> answer_of_load_meanwhile(const lookup& l) const;

  /// Keeps a load's answer for the lookups of `id` out now that are not its waiters.
  void keep_for_lookups_out(const std::string& id, const pending_load& load, const load_reply& reply);

  /// A get that layer 0's read view missed started at layer 1, with the epoch of its arrival here:
  /// a put that came before it, but that layer 0 had not applied when the view was read, would not
  /// count as overtaking it, and its load would fill over the put. Before the loader is called,
  /// layer 0's actor is asked once (the put is ahead of this in its mailbox). Not counted in the
  /// layer's metrics, which counted the view's miss.
  void recheck_first(const lookup_ptr& l);

  /// Asks the worker with the fewest loads in hand (the next in turn among equals), preferring one
  /// with no load past its timeout, to load `key`, so that a load that hangs in the host's loader
  /// does not hold up those behind it. Its answer goes to `load`'s waiters. Returns the load's
  /// number.
  std::uint64_t start_load(const std::string& ns, const std::string& key, pending_load_ptr load);

  /// A worker's answer to load `number`, in time or late.
  void load_answered(std::uint64_t number, load_reply& reply);

  /// Load `number` has a waiter due, or has been in hand for loader_timeout: the waiters due get
  /// `timeout`; the load stays in hand, and its value is still written back when it comes.
  void load_timed_out(std::uint64_t number);

  void log_failed_load(const lookup& first, const load_reply& reply);

  /// Writes what a prefetch loaded into the layer that asked for it: through `put_prefetched`
  /// where the plugin has it (ABI 1.4), so that it can tell the fill from a client's write.
  void fill_prefetched(std::uint64_t request, std::size_t asking, const std::string& ns, const std::string& key,
                       const std::string& value, const entry_options& options);

  /// Writes a loaded value into every layer that takes promotions.
  void fill(std::uint64_t request, const std::string& ns, const std::string& key, const loaded_value& value);

  // plugin_abi.h: the minor that appended a layer's virtual; an older plugin's vtable has no such slot.
  static constexpr std::uint32_t put_prefetched_since_minor = 4;
  static constexpr std::uint32_t put_kept_since_minor = 5;

  /// Whether slot i's plugin was built for ABI minor `minor` or newer.
  bool built_for(std::size_t i, std::uint32_t minor) const;

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

  void finish(const lookup_ptr& l, get_result result);

  /// A lookup of `id` is no longer in flight.
  void release_reader(const std::string& id);

  // --- writes behind (behind_write) ----------------------------------------------------------

  static constexpr std::size_t max_behind_writes = 1 << 18;
  static constexpr std::size_t max_behind_in_flight = 1024;
  static constexpr std::size_t max_behind_bytes = std::size_t{256} << 20;

  /// What a write behind holds: its key and value, and about 200 bytes of entry and payload.
  static std::size_t behind_charge(const std::string& key, const put_data& data);

  static std::string behind_key(std::size_t i, const std::string& id);

  /// Puts `data` (of key `id`) to slot i, a `write: behind` layer, without waiting for it; until
  /// the layer takes it, a failure sends it again. `expire`: an EXPIRE's write-back, through
  /// put_kept when `kept`. `waiting`, if any, runs once the layer answers the write (or at once
  /// when it is not sent).
  void put_behind(std::size_t i, std::uint64_t number, const std::string& id, const put_payload& data, bool expire,
                  bool kept, std::function<void()> waiting = {});

  /// Tracks the write behind `key` (replacing the one there) and sends it.
  void track_behind(std::size_t i, std::uint64_t number, const std::string& key, put_payload data, bool kept,
                    std::function<void()> waiting);

  /// Sends the write behind `key` (again); `waiting`, if any, runs at the layer's answer.
  void send_behind(const std::string& key, std::function<void()> waiting = {});

  /// The layer's answer to the write behind `key` numbered `number`. Past its deadline (the
  /// coordinator's timeout) it is taken to be in the layer's backlog: `late` or `lost` says
  /// later what became of it (sending it again meanwhile would lengthen that backlog).
  void behind_answered(const std::string& key, std::uint64_t number, const layer_reply& reply);

  /// The layer's own answer to the write behind, in time or late. Its backend away or slow, or
  /// its instance replaced before it applied the write (`unavailable`): sent again. Not a write
  /// it threw on, or answered `internal` or `invalid` (logged where the answer is): sent again, it
  /// would fail again, a throw having the layer replaced at each.
  void behind_settled(const std::string& key, std::uint64_t number, const layer_reply& reply);

  /// Its instance was replaced, as hung, before it applied the write behind: sent again to the
  /// next, unless this is the third time (the write may be what hangs it: each replacement leaves
  /// a thread behind).
  void behind_lost(const std::string& key, std::uint64_t number);

  void behind_taken(const std::string& key, std::uint64_t number);

  /// Sends the write behind `key` again after a wait (100 ms doubling to 5 s), unless a later write
  /// of the key replaced it.
  void behind_failed(const std::string& key, std::uint64_t number, const std::string& why = "it was not applied");

  /// The reminder of `behind_failed`: the write is sent again with what is left of its TTL, or, that
  /// run out, as an erase of the key (the layer holds an older value for it).
  void retry_behind(const std::string& key, std::uint64_t number);

  /// Forgets the write behind `key`, if there is one: taken, or replaced by a later write.
  void forget_behind(const std::string& key);

  /// Turns the writes behind of namespace `ns` that carry `tag` into erases of their keys: an
  /// invalidation of it came after them. Forgotten, one that failed left the layer the key's
  /// older value, which the invalidation did not reach (untagged). One in flight that the layer
  /// takes is removed there by the invalidation, which follows it. Those to layer `origin`, which
  /// heard of the invalidation from elsewhere (it holds what came since), are forgotten.
  void erase_behind_tagged(const std::string& ns, const std::string& tag, std::size_t origin = no_layer);

  // --- writes ------------------------------------------------------------------------------

  /// Records a write to `id`, so that lookups and loads in flight do not copy an older value.
  /// `replaces_behind`: false for an EXPIRE's write-back, which writes what it found, and must
  /// see a write behind of the key not taken yet (`put_behind`).
  void note_write(const std::string& id, bool replaces_behind = true);

  /// Load `it` fills nothing when it returns (it still answers its waiters), and no later miss
  /// waits for it: out of `loads`, it is left to its load in hand.
  void supersede(std::unordered_map<std::string, pending_load_ptr>::iterator it);

  /// Marks `id` written now, so that a lookup of it in flight does not promote what it read.
  void advance_write_epoch(const std::string& id);

  static constexpr std::size_t max_tagged_namespaces = 4096;

  /// The epoch of the last tag invalidation that may have touched namespace `ns`.
  std::uint64_t tag_epoch(const std::string& ns) const;

  /// A tag invalidation of `ns` came: what the lookups of that namespace in flight read may
  /// have been removed since, and its loads may carry what the host changed before it.
  void note_tag_invalidation(const std::string& ns);

  // A conditional write (put_condition, expire) looks its key up through the chain, then writes or
  // not. Meanwhile the key is guarded: later writes to it wait in order, so that none comes
  // between the check and the write. Reads are not held: they see the old or the new value.

  void put(put_request& request);

  void erase(erase_request& request);

  /// Writes, or starts the check of a conditional write on a guarded key; true when a check
  /// started (the key stays guarded until `release`).
  bool start_put(put_request& request);

  /// Looks the key of `pending` up from slot i on (no promotion, no loader), then decides.
  void check(const std::shared_ptr<put_request>& pending, std::size_t i, status failure);

  /// `found` is the entry the check found, or null; `failure` what a failing layer answered.
  void decide(const std::shared_ptr<put_request>& pending, const layer_hit* found, status failure);

  static constexpr unsigned max_rechecks = 8;

  /// Whether `found`, the entry the check of `request` found, may have been removed since the
  /// check started: its key dropped (the check is a reader of it), or a tag invalidation of its
  /// namespace came and it has tags.
  bool removed_since_check(const put_request& request, const std::string& id, const layer_hit& found) const;

  /// Runs the writes that waited for the check of `id`, until one starts a check of its own.
  void release(const std::string& id);

  void write_put(put_request& request);

  /// The request sent last, if one was sent since `sent_before` and is not answered yet; null when
  /// none was (answered at once: the layer had no instance).
  awaited_reply* sent_since(std::uint64_t sent_before);

  /// `awaited` is a put's write to a layer (its put, or the erase of an around layer's copy).
  /// Answered as a timeout, it is not undone: the layer is taken to apply it later. If it fails
  /// then, or its instance is replaced first (whose retired mailbox applies nothing), the others
  /// may hold the new value and it the old: the key goes from every layer.
  void undo_if_lost(awaited_reply& awaited, const undo_ticket& ticket, const put_payload& data);

  /// Whether a put sent now reaches every layer in order after what was sent before, each layer
  /// answering it (so that it is undone if one fails it): not when a layer is restarting (no
  /// instance), has an instance started beside a call that has not returned (that call may still
  /// write after it), or is `write: behind` (its answer is not waited for).
  bool reaches_every_layer() const;

  /// `awaited` is a put to slot i: if its instance is replaced as hung and the put applied when the
  /// hung call returns, the key is erased from slot i (its next instance, if it has none yet), for
  /// later writes went there first.
  void erase_if_applied_late(awaited_reply& awaited, std::size_t i, const put_payload& data);

  /// Erases (ns, key) from slot i's instance, for a put its replaced instance applied late. Not
  /// awaited: numbered 0, which no request is, its answer is dropped.
  void erase_late_put(std::size_t i, const std::string& ns, const std::string& key);

  /// A put of `id` reached every layer: an undo of a put sent before it is not needed.
  void note_replacing_write(const std::string& id);

  /// A write-through layer that could not take a put may still hold the key's old value, which it
  /// would serve once the layers that took the new one let it go: so the key is erased from every
  /// layer, and the failed put leaves at most the old value where it was, never both; unless a put
  /// of the key was sent to every layer after it (`undo_watch`). `then` runs once every layer has
  /// answered the erase, so that the caller's next read cannot see the value.
  void undo_put(const undo_ticket& ticket, const put_data& data, std::function<void(status)> then);

  void write_erase(erase_request& request);

  void invalidate_tag(tag_request& request);

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
  void drop(std::size_t origin, bool tag, const std::string& ns, const std::string& what);

  /// Runs `answer` once the drops that layer `i` asked of the others are done (at once when none
  /// is in flight). An operation or a command that changed what a get of some key answers (a
  /// semantic update, the global layer's `put` or `reject`) had the layer drop that key from the
  /// others first; its caller is answered once they have, so that its next read cannot find the
  /// old copy.
  void answer_after_drops(std::size_t i, std::function<void()> answer);

  void command(command_request& request);

  /// A semantic or vector operation for the one layer the runtime chose.
  void call(call_request& request);

  // --- prefetch ----------------------------------------------------------------------------

  /// Layer `asking` wants `key` loaded ahead of a request: the layers below it, then the loader;
  /// what is found is written into `asking` alone, under the guard of a lookup, then of its load
  /// (a write or tag invalidation that arrives meanwhile cancels the write). A key already being
  /// loaded is left to that load, which fills the layers anyway; a miss of the key while the
  /// prefetch loads it waits for that load.
  void prefetch(std::size_t asking, std::string& ns, std::string& key);

  void prefetch_walk(const lookup_ptr& l, std::size_t asking, std::size_t i);

  /// The walk found nothing: the key is loaded as a miss's would be, into `loads`, so that a miss
  /// meanwhile waits for it, and a write supersedes it; the lookup's guard ends there.
  void prefetch_load(const lookup_ptr& l, std::size_t asking);

  /// A layer below held the key: copied into the asking layer, as a promotion would be (with the
  /// time since it was asked taken off its TTL: a prefetched copy outlived the entry by up to 1 ms,
  /// audit), unless that leaves none.
  void prefetched(const lookup_ptr& l, std::size_t asking, const std::string& value,
                  const std::optional<entry_options>& options);

  /// A prefetch's load answered or timed out: it counts against max_prefetches_in_flight no more.
  void end_prefetch_wait(pending_load& load);

private:
  coordinator_actor* self_;
  coordinator_state& st_;
};

} // namespace strata::detail::coordination

#pragma GCC visibility pop
