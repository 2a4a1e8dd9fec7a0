#pragma once
// The Redis protocol (RESP2) of `strata serve`: a listening socket and `settings.threads` epoll
// loops, serving the runtime's exact-match API to redis-cli, redis-benchmark and Redis clients.

#include <strata/config.hpp>
#include <strata/expected.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace strata {
class runtime;
}

namespace strata::resp {

class event_loop;
struct server_counters;

class resp_server {
public:
  /// Nothing listens before `bind`, nothing is served before `serve`.
  explicit resp_server(const resp_settings& settings);
  ~resp_server(); ///< stops (see `stop`)
  resp_server(const resp_server&) = delete;
  resp_server& operator=(const resp_server&) = delete;

  /// Binds the address and listens, without accepting: connections wait in the backlog until
  /// `serve`. Needs no runtime, so that `strata serve` finds its port taken before it starts one.
  /// Returns the address as bound ("127.0.0.1:40123" when port 0 was asked for), or why it could
  /// not listen.
  expected<std::string> bind();

  /// Starts the loops, serving `rt`; after a `bind` that succeeded. `rt` must outlive this
  /// object. Returns the address as bound, or why the loops could not start (the socket is then
  /// closed).
  expected<std::string> serve(runtime& rt);

  /// Closes the listening socket and reads no more requests, waits up to `drain` for the replies
  /// the runtime still owes to the requests already read, writes them, and closes every
  /// connection. Idempotent.
  void stop(std::chrono::milliseconds drain = std::chrono::seconds(5));

private:
  resp_settings settings_;
  /// The listening socket from a `bind` that succeeded until `serve` hands it to the first loop.
  int listening_fd_ = -1;
  std::unique_ptr<server_counters> counters_;
  /// Shared with the tickets of the requests the runtime still owes a reply: a reply that comes
  /// after `stop` (past the drain) finds its loop gone, not freed.
  std::vector<std::shared_ptr<event_loop>> loops_;
};

} // namespace strata::resp
