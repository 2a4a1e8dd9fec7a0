// The listening sockets of `strata serve` queue a burst of new connections: their backlog is the
// one configured, not the HTTP library's 5 (whose overflow the kernel answered with resets).
// Bound without a runtime: `bind` needs none.

#include "http_server.hpp"
#include "listen_backlog.hpp"
#include "resp_server.hpp"
#include "support/own_sockets.hpp"

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

namespace {

/// The port of "host:port".
int port_of(const std::string& address) { return std::stoi(address.substr(address.rfind(':') + 1)); }

/// The backlog of this process's socket listening on the IPv4 TCP `port`, or -1 for none: Linux's
/// TCP_INFO of a listening socket carries it in `tcpi_sacked` (as `ss -ltn` shows it in Send-Q).
int backlog_of_listener_on(int port) {
  int backlog = -1;
  strata::test::for_each_own_socket_on(port, [&](int fd, bool listening) {
    tcp_info info{};
    socklen_t info_length = sizeof info;
    if (listening && getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &info_length) == 0)
      backlog = static_cast<int>(info.tcpi_sacked);
  });
  return backlog;
}

/// The kernel's cap on a backlog.
int somaxconn() {
  std::ifstream in("/proc/sys/net/core/somaxconn");
  int n = 0;
  in >> n;
  return n;
}

} // namespace

TEST_CASE("the HTTP and Redis listeners have the backlog of Redis (511), as far as net.core.somaxconn allows",
          "[server][listen]") {
  const int cap = somaxconn();
  // At or below the HTTP library's own backlog the two would not differ.
  REQUIRE(cap > 5);
  CHECK(strata::server::listen_backlog == 511);

  SECTION("HTTP") {
    strata::http_settings settings;
    settings.address = "127.0.0.1:0";
    strata::server::http_server server(settings);
    const auto bound = server.bind();
    REQUIRE(bound);
    CHECK(backlog_of_listener_on(port_of(*bound)) == std::min(strata::server::listen_backlog, cap));
    server.stop();
    CHECK(backlog_of_listener_on(port_of(*bound)) == -1); // a socket bound, never served, is closed
  }
  SECTION("RESP") {
    strata::resp_settings settings;
    settings.address = "127.0.0.1:0";
    strata::resp::resp_server server(settings);
    const auto bound = server.bind();
    REQUIRE(bound);
    CHECK(backlog_of_listener_on(port_of(*bound)) == std::min(strata::server::listen_backlog, cap));
    server.stop();
    CHECK(backlog_of_listener_on(port_of(*bound)) == -1);
  }
}
