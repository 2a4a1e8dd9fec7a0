#pragma once
// The HTTP API's lifecycle in `strata serve`: bind (before the runtime starts), serve a runtime on
// a small thread pool, stop.

#include <strata/config.hpp>
#include <strata/expected.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace httplib {
class Server;
}

namespace strata {
class runtime;
}

namespace strata::server {

/// The API of one runtime on the address of `settings`.
class http_server {
public:
  /// Worker threads. The HTTP library gives each connection a worker for as long as it is kept
  /// alive, so this is also how many clients are served at once; the rest wait their turn (with
  /// 8, eight idle connections kept /v1/health from answering for seconds). A waiting thread
  /// costs its stack's address space, not memory.
  static constexpr int worker_threads = 32;
  /// How long a kept-alive connection may sit idle before its worker serves another.
  static constexpr std::chrono::seconds keep_alive_idle{2};

  /// Nothing listens before `bind`, nothing is served before `serve`.
  explicit http_server(const http_settings& settings);
  ~http_server(); ///< stops (see `stop`)
  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;

  /// Binds the address and listens, without accepting: connections wait in the backlog until
  /// `serve`. Needs no runtime, so that `strata serve` finds its port taken before it starts one.
  /// Returns the address as bound, such as "127.0.0.1:43117" when port 0 was asked for, or why
  /// it could not bind.
  expected<std::string> bind();

  /// Registers the routes of `rt` and accepts connections from a thread of its own; after a
  /// `bind` that succeeded. `rt` must outlive this object. Returns the address as bound.
  expected<std::string> serve(runtime& rt);

  /// Stops accepting connections and waits for the requests being served (idle kept-alive
  /// connections are closed); closes a socket bound but not served. Idempotent.
  void stop();

private:
  http_settings settings_;
  std::unique_ptr<httplib::Server> server_;
  /// The socket the HTTP library created last: in `bind`, the listening one once it succeeded.
  int last_socket_ = -1;
  /// The listening socket, from a `bind` that succeeded until `stop`.
  int listening_fd_ = -1;
  /// The address as `bind` bound it.
  std::string bound_;
  std::thread listener_;
  std::atomic<bool> listener_done_{false};
};

} // namespace strata::server
