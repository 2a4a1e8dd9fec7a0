#pragma once
// One epoll loop of the RESP server, on a thread of its own: reads what its connections send,
// parses every complete request of a read, runs them, and writes all their replies in one send.
// Replies computed by the runtime's actors come back through a mailbox and an eventfd.

#include "resp_commands.hpp"
#include "resp_connection.hpp"
#include "resp_parser.hpp"

#include <strata/config.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace strata {
class runtime;
}

namespace strata::resp {

class event_loop : public std::enable_shared_from_this<event_loop> {
public:
  /// `listen_fd` >= 0 makes this the loop that accepts, handing every `loops`'th connection to
  /// each of `peers` in turn (itself included).
  event_loop(runtime& rt, const resp_settings& settings, server_counters& counters);
  ~event_loop();
  event_loop(const event_loop&) = delete;
  event_loop& operator=(const event_loop&) = delete;

  void start(int listen_fd, std::vector<event_loop*> peers);

  /// Stops accepting (the accepting loop closes its listener) and reading requests; the replies
  /// still owed are written as they come. Thread-safe.
  void drain();
  /// Ends the thread after writing what can be written at once; closes every connection.
  void stop();

  /// Serves `fd` from this loop; thread-safe.
  void adopt(int fd);

  /// A deferred reply; thread-safe. Called on this loop's own thread it is applied at once.
  void complete(std::uint32_t connection, std::uint32_t sequence, std::string reply);

  /// Reserves the next reply of `conn` (this loop's thread only). With `hold_later`, the
  /// connection's later requests wait until this reply is ready: a command that sends its
  /// requests a part at a time, so that a later write cannot overtake the last of them.
  reply_ticket defer(connection& conn, bool hold_later = false, std::size_t keys = 1);

  /// Runs `task` on this loop's thread at its next wake-up (never at once, even from there: a task
  /// that sends requests whose answers post the next task would recurse), then writes what
  /// connection `connection` has ready (the task may answer it); thread-safe. The task is told
  /// whether the connection is still open: a closed one's work need not go on.
  void post(std::uint32_t connection, std::function<void(bool open)> task);

  /// Replies awaited from the runtime, over every connection of this loop.
  std::int64_t awaited() const { return awaited_.load(); }

private:
  struct mail {
    int new_fd = -1; ///< a connection to adopt, or -1 for a reply (see resp_event_loop.cpp)
    std::uint32_t connection = 0;
    std::uint32_t sequence = 0;
    std::string reply;
    std::function<void(bool)> task; ///< what post() asked for
  };

  void run();
  void accept_all();
  void add_connection(int fd);
  void on_readable(connection& conn);
  void process_input(connection& conn);
  /// Runs one request now, or parks it behind the requests in flight it must follow.
  void run_or_park(connection& conn, const std::vector<std::string_view>& args);
  void run(connection& conn, const command_spec* spec, const std::vector<std::string_view>& args);
  /// Runs the parked requests whose turn came.
  void run_parked(connection& conn);
  void flush_ready(connection& conn);
  void apply(std::uint32_t connection, std::uint32_t sequence, std::string reply, bool from_mailbox);
  void drain_mailbox();
  /// Writes the replies of the connections this round of events touched.
  void flush_touched();
  /// Writes what `conn` has to send; false when the connection was closed.
  /// Stops accepting for 100 ms after accept failed with `error` (no descriptor left), saying so.
  void pause_accepting(int error);
  void resume_accepting();
  /// Whether the first parked request may run now (its turn came, and half the reply bound is free).
  bool may_run_parked(const connection& conn) const;
  /// Whether input held back by the bounds may be parsed now (replies came back, or went out).
  bool may_parse_held(const connection& conn) const;
  bool write_out(connection& conn);
  void update_interest(connection& conn);
  void close_connection(connection& conn);
  void protocol_error(connection& conn, const std::string& message);

  runtime& rt_;
  const resp_settings& settings_;
  server_counters& counters_;
  parser_limits limits_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  int listen_fd_ = -1;
  /// Accepting is paused until then: the process had no file descriptor left (EMFILE), and the
  /// listener, level-triggered, would wake the loop at once for ever.
  std::optional<std::chrono::steady_clock::time_point> accept_paused_until_;
  std::chrono::steady_clock::time_point last_accept_warning_{};
  std::vector<event_loop*> peers_;
  std::size_t next_peer_ = 0;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  bool draining_ = false; ///< this loop's thread only
  std::atomic<std::int64_t> awaited_{0};
  std::uint32_t next_id_ = 1;
  std::unordered_map<std::uint32_t, std::unique_ptr<connection>> connections_;
  std::vector<std::uint32_t> touched_; ///< connections with replies to write once this round of events is handled
  std::vector<std::string_view> args_;
  std::string later_;               ///< an immediate reply that must wait for an earlier one
  bool current_is_write_ = false;   ///< the request being run changes entries

  std::mutex mail_mutex_;
  std::vector<mail> mailbox_;
  std::vector<mail> mail_batch_;
};

} // namespace strata::resp
