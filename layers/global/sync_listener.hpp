#pragma once
// The thread that hears what other instances changed (LISTEN on the layer's channel) and has the
// runtime drop the stale copies in the layers above; it reconnects with backoff by itself, and
// then replays from the database's log of changes what it could not hear meanwhile.

#include "database_clock.hpp"

#include <strata/backoff.hpp>

#include <strata/plugin_host.hpp>
#include <strata/store.hpp>

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace strata::global {

struct listener_settings {
  std::string channel;
  std::string origin; ///< this instance: its own changes are ignored
  std::chrono::milliseconds retry_min{100}, retry_max{5000};
  /// How much earlier than the last change heard a replay starts: the longest a change logged
  /// before it can take to commit.
  std::chrono::milliseconds replay_allowance;
  /// The longest a listening connection that works may deliver nothing: the layer sends a mark at
  /// each maintenance when it heard nothing for `mark_every`, unless its thread is held (by a
  /// statement on a connection that stopped answering, with no request to time out) or in its
  /// backoff. Nothing heard for this long, not even a mark, the connection is taken as lost too.
  std::chrono::milliseconds silence_limit;
  /// The database's clock up to which the instance this one replaces had heard every change (0:
  /// none, the layer's first instance): its first listen replays from there, not from its own
  /// start (the layers above keep what they held across a replacement).
  std::int64_t predecessor_heard_us = 0;
  /// The layer's reading of the database's clock, by which senders stamp their changes: the
  /// latency is measured by it (none: this host's clock).
  const database_clock* clock = nullptr;
};

/// What the listener records; registered by the layer, so that they exist on every backend.
struct listener_metrics {
  instruments::histogram& latency;
  instruments::counter& received;
  instruments::counter& errors;
  instruments::counter& replayed; ///< changes replayed from the log after a lost connection
  /// How far it has heard (the database's clock, Unix seconds): kept by the runtime across the
  /// instances of the layer, which is how a replacement finds its predecessor's.
  instruments::gauge& heard_until;
};

class sync_listener {
public:
  /// `on_state(ok, detail)` is called from the thread when the connection comes or goes.
  sync_listener(storage::store& db, listener_settings settings, plugin_host host, listener_metrics metrics,
                std::function<void(bool, const std::string&)> on_state);
  ~sync_listener(); ///< stops and joins the thread (within one wait, 200 ms)

  /// Waits up to `limit` for the thread's first connection attempt; true when it listens. When it
  /// has not ended by then, the layer serves meanwhile, so its first listen replays from the start.
  bool await_first_attempt(std::chrono::milliseconds limit);

  /// Whether the listening connection delivered anything (a change, a mark) within `d`: if not,
  /// the layer sends a mark (`mark`), once every `mark_every`.
  bool heard_within(std::chrono::steady_clock::duration d) const;
  /// Sends a mark by `send` (a statement on the layer's connection): unheard for `deaf_after`, the
  /// listening connection is taken as lost (a server process that stopped answering is never
  /// found otherwise). Awaited from before `send` runs: the listening connection may deliver the
  /// mark before the statement returns.
  void send_mark(const std::function<void()>& send);
  /// Whether a mark this instance sent has not been heard yet.
  bool awaiting_mark() const;
  /// How often the layer may send a mark on a quiet channel.
  static constexpr std::chrono::seconds mark_every{5};
  /// How long a mark this instance sent may go unheard before the listening connection is taken as
  /// lost: a notification committed arrives within milliseconds, seconds on a loaded host.
  static constexpr std::chrono::seconds deaf_after{15};
  sync_listener(const sync_listener&) = delete;
  sync_listener& operator=(const sync_listener&) = delete;

private:
  void run();
  void attempted(bool listening);
  void deliver(const storage::notification& n);
  /// Throws, as a lost connection, when a mark this instance sent `deaf_after` ago or more was not
  /// heard, nor any of its marks since, or nothing was heard for `silence_limit`.
  void check_deaf() const;
  /// Listening (again) from `database_us`, the database's clock just read: everything before is
  /// heard or replayed; also the clock `plausible` counts on from.
  void hears_from(std::int64_t database_us);
  /// Everything up to `database_us` is heard (or replayed).
  void heard_up_to(std::int64_t database_us);
  /// Whether a time heard is no further ahead of the database's clock than reads and elapsed time
  /// allow.
  bool plausible(std::int64_t logged_us) const;
  /// After listening: when it may have `missed` changes (it listens again, or the layer served
  /// before its first listen), has the runtime drop what the others changed while this instance
  /// was not listening (from the log); and starts hearing from now.
  void replay_missed(bool missed);
  /// Sleeps up to `d`; false when stopping.
  bool pause(std::chrono::milliseconds d);

  storage::store& db_;
  listener_settings settings_;
  plugin_host host_;
  std::function<void(bool, const std::string&)> on_state_;
  listener_metrics metrics_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool first_attempt_done_ = false;
  bool listening_ = false;
  bool served_before_listening_ = false; ///< the layer stopped waiting for the first attempt
  /// The database's clock up to which every change is heard: when listening began, or the last
  /// change heard since (0: never listened; the predecessor's at first). The listener's thread
  /// alone uses it, as the next.
  std::int64_t heard_us_ = 0;
  /// When the connection was last lost (first: when the thread began).
  std::chrono::steady_clock::time_point not_listening_since_ = std::chrono::steady_clock::now();
  std::atomic<std::int64_t> heard_at_ns_{0};   ///< steady clock: the last notification heard
  /// Steady clock: when the first of this instance's marks not heard yet was sent (0: none is).
  std::atomic<std::int64_t> unheard_mark_sent_at_ns_{0};
  /// The database's clock when listening last began, and the steady clock then.
  std::int64_t clock_us_ = 0;
  std::chrono::steady_clock::time_point clock_read_at_ = std::chrono::steady_clock::now();
  std::thread thread_;
};

} // namespace strata::global
