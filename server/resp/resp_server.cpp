#include "resp_server.hpp"

#include "resp_event_loop.hpp"

#include "../listen_backlog.hpp"

#include <strata/units.hpp>

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <thread>

namespace strata::resp {
namespace {

std::string address_text(const sockaddr_storage& address) {
  char host[INET6_ADDRSTRLEN] = {};
  int port = 0;
  if (address.ss_family == AF_INET6) {
    const auto& a = reinterpret_cast<const sockaddr_in6&>(address);
    inet_ntop(AF_INET6, &a.sin6_addr, host, sizeof host);
    port = ntohs(a.sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  const auto& a = reinterpret_cast<const sockaddr_in&>(address);
  inet_ntop(AF_INET, &a.sin_addr, host, sizeof host);
  port = ntohs(a.sin_port);
  return std::string(host) + ":" + std::to_string(port);
}

/// A non-blocking listening socket on `host:port`, or why not.
expected<int> listen_on(const std::string& text) {
  const auto parsed = units::parse_host_port(text);
  if (!parsed)
    return error{status::invalid, "server.resp.address: expected host:port, got '" + text + "'"};
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* found = nullptr;
  const auto port = std::to_string(parsed->port);
  if (const int rc = getaddrinfo(parsed->host.c_str(), port.c_str(), &hints, &found); rc != 0)
    return error{status::invalid, "server.resp.address '" + text + "': " + gai_strerror(rc)};
  std::string why = "no address";
  for (auto* a = found; a; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      why = std::strerror(errno);
      continue;
    }
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && listen(fd, server::listen_backlog) == 0) {
      freeaddrinfo(found);
      return fd;
    }
    why = std::strerror(errno);
    ::close(fd);
  }
  freeaddrinfo(found);
  return error{status::unavailable, "server.resp.address: cannot listen on " + text + ": " + why};
}

} // namespace

resp_server::resp_server(const resp_settings& settings)
  : settings_(settings), counters_(std::make_unique<server_counters>()) {}

resp_server::~resp_server() { stop(); }

expected<std::string> resp_server::bind() {
  auto fd = listen_on(settings_.address);
  if (!fd)
    return fd.err();
  listening_fd_ = *fd;
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  getsockname(listening_fd_, reinterpret_cast<sockaddr*>(&bound), &length);
  counters_->address = address_text(bound);
  return counters_->address;
}

expected<std::string> resp_server::serve(runtime& rt) {
  if (listening_fd_ < 0 || !loops_.empty())
    return error{status::internal, "the RESP server on " + settings_.address + " serves only once, after a bind"};
  std::vector<event_loop*> peers;
  try {
    for (int i = 0; i < settings_.threads; ++i) {
      loops_.push_back(std::make_shared<event_loop>(rt, settings_, *counters_));
      peers.push_back(loops_.back().get());
    }
  } catch (const std::exception& e) {
    ::close(listening_fd_);
    listening_fd_ = -1;
    loops_.clear();
    return error{status::unavailable, std::string("the RESP server cannot start: ") + e.what()};
  }
  for (std::size_t i = 0; i < loops_.size(); ++i)
    loops_[i]->start(i == 0 ? listening_fd_ : -1, i == 0 ? peers : std::vector<event_loop*>{});
  listening_fd_ = -1; // the first loop's now
  return counters_->address;
}

void resp_server::stop(std::chrono::milliseconds drain) {
  if (listening_fd_ >= 0) { // bound, never served
    ::close(listening_fd_);
    listening_fd_ = -1;
  }
  if (loops_.empty())
    return;
  for (auto& loop : loops_)
    loop->drain();
  const auto deadline = std::chrono::steady_clock::now() + drain;
  const auto awaited = [this] {
    std::int64_t n = 0;
    for (const auto& loop : loops_)
      n += loop->awaited();
    return n;
  };
  while (awaited() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  for (auto& loop : loops_)
    loop->stop();
  loops_.clear();
}

} // namespace strata::resp
