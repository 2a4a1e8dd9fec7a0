#include "http_server.hpp"

#include "http_api.hpp"
#include "listen_backlog.hpp"

#include <strata/units.hpp>

#include <httplib.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace strata::server {
namespace {

/// "host:port", with the host in brackets when it is an IPv6 address.
std::string address_text(const std::string& host, int port) {
  const bool ipv6 = host.find(':') != std::string::npos;
  return (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

/// Whether `fd` is a socket listening on `port`.
bool listening_on(int fd, int port) {
  int accepting = 0;
  socklen_t size = sizeof accepting;
  sockaddr_storage address{};
  socklen_t address_size = sizeof address;
  if (fd < 0 || ::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &size) != 0 || accepting != 1 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &address_size) != 0)
    return false;
  if (address.ss_family == AF_INET)
    return ntohs(reinterpret_cast<const sockaddr_in&>(address).sin_port) == port;
  if (address.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6&>(address).sin6_port) == port;
  return false;
}

} // namespace

http_server::http_server(const http_settings& settings)
  : settings_(settings), server_(std::make_unique<httplib::Server>()) {
  server_->new_task_queue = [] { return new httplib::ThreadPool(worker_threads); };
  server_->set_keep_alive_timeout(keep_alive_idle.count());
  // A reply goes out in two writes (headers, then body): with Nagle's algorithm the body waited for
  // the client's delayed ACK of the headers, ~40 ms for every request after a connection's first
  // (soak audit: 42-48 ms per kept-alive GET, 0.7 ms for the first). Set on the listening socket,
  // which the accepted ones inherit.
  server_->set_tcp_nodelay(true);
  // cpp-httplib's default sets SO_REUSEPORT, with which a second server binds a port another
  // already listens on and the two split its connections: SO_REUSEADDR alone refuses that (and
  // still lets a restart bind while old connections linger in TIME_WAIT).
  server_->set_socket_options([this](socket_t sock) {
    const int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    // The library keeps its socket to itself: `bind` sets its backlog, `stop` closes it if never served.
    last_socket_ = sock;
  });
}

http_server::~http_server() { stop(); }

expected<std::string> http_server::bind() {
  const auto address = units::parse_host_port(settings_.address);
  if (!address)
    return error{status::invalid, "server.http.address: expected host:port, got '" + settings_.address + "'"};
  errno = 0;
  int port = address->port;
  bool bound = false;
  if (port == 0) {
    port = server_->bind_to_any_port(address->host);
    bound = port > 0;
  } else {
    bound = server_->bind_to_port(address->host, port);
  }
  if (!bound) {
    // The library does not say why; errno is what its last socket call left.
    const int reason = errno;
    return error{status::unavailable, "server.http.address: cannot listen on " + settings_.address +
                                        (reason != 0 ? std::string(": ") + std::strerror(reason) : std::string())};
  }
  listening_fd_ = last_socket_;
  // The library listens with the backlog it was compiled with (Debian's shared library: 5); Linux
  // takes a second listen on a listening socket as a new backlog. The socket is the last one the
  // library gave its options to: checked to be the one listening on the port, in case a version
  // of the library made others after it.
  if (!listening_on(listening_fd_, port)) {
    listening_fd_ = -1;
    return error{status::internal, "server.http.address: the HTTP library's listening socket for " + settings_.address +
                                     " was not found, to set its backlog"};
  }
  if (::listen(listening_fd_, listen_backlog) != 0) {
    const int reason = errno;
    ::close(listening_fd_);
    listening_fd_ = -1;
    return error{status::unavailable,
                 "server.http.address: cannot listen on " + settings_.address + ": " + std::strerror(reason)};
  }
  bound_ = address_text(address->host, port);
  return bound_;
}

expected<std::string> http_server::serve(runtime& rt) {
  if (listening_fd_ < 0 || listener_.joinable())
    return error{status::internal, "the HTTP server on " + settings_.address + " serves only once, after a bind"};
  install_http_api(*server_, rt, settings_);
  listener_ = std::thread([this] {
    server_->listen_after_bind();
    listener_done_ = true;
  });
  // stop() only acts on a server that is running: wait until it is, so that a signal arriving
  // at once still stops it.
  while (!server_->is_running() && !listener_done_)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (listener_done_) {
    listener_.join();
    listening_fd_ = -1; // the library's now, closed or not
    return error{status::unavailable, "the HTTP server on " + settings_.address + " stopped as soon as it started"};
  }
  return bound_;
}

void http_server::stop() {
  if (listener_.joinable()) {
    server_->stop(); // closes the listening socket
    listener_.join();
  } else if (listening_fd_ >= 0) {
    // Bound, never served: the library closes its socket only in a stop of a running server.
    ::close(listening_fd_);
  }
  listening_fd_ = -1;
}

} // namespace strata::server
