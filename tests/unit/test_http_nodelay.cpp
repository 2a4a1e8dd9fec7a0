// The HTTP API's connections send each write at once: with Nagle's algorithm, a reply's body (its
// second write, after the headers) waited for the client's delayed ACK, ~40 ms for every request
// of a kept-alive connection after the first. Checked on the socket the server accepted, in this
// process, rather than by timing.

#include "http_server.hpp"
#include "support/own_sockets.hpp"

#include <strata/runtime.hpp>

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <thread>

namespace {

/// TCP_NODELAY of the socket the server accepted on `port` (1 or 0), or -1 for none.
int nodelay_of_accepted_on(int port) {
  int nodelay = -1;
  strata::test::for_each_own_socket_on(port, [&](int fd, bool listening) {
    int flag = 0;
    socklen_t size = sizeof flag;
    if (!listening && getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &flag, &size) == 0)
      nodelay = flag != 0 ? 1 : 0;
  });
  return nodelay;
}

} // namespace

TEST_CASE("the HTTP API's accepted connections have TCP_NODELAY (a kept-alive request waited ~40 ms)",
          "[server][http]") {
  auto parsed = strata::parse_config("layers: [{name: hot, plugin: test_map}]\n", "t.yaml");
  REQUIRE(parsed.effective);
  auto rt = strata::runtime::from_config(*parsed.effective);
  REQUIRE(rt);
  strata::http_settings settings;
  settings.address = "127.0.0.1:0";
  strata::server::http_server server(settings);
  const auto bound = server.bind();
  REQUIRE(bound);
  REQUIRE(server.serve(**rt));
  const int port = std::stoi(bound->substr(bound->rfind(':') + 1));

  const int client = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(client >= 0);
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<std::uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(connect(client, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0);
  // Half a request: the server holds the accepted socket while it waits for the rest (5 s), however
  // slow this machine (after a reply it keeps it 2 s only).
  const std::string head = "GET /v1/health HTTP/1.1\r\nHost: x\r\n";
  REQUIRE(send(client, head.data(), head.size(), 0) == static_cast<ssize_t>(head.size()));
  int nodelay = -1;
  for (int tries = 0; tries < 100 && nodelay == -1; ++tries) { // accepted by the server's thread
    nodelay = nodelay_of_accepted_on(port);
    if (nodelay == -1)
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  CHECK(nodelay == 1);
  REQUIRE(send(client, "\r\n", 2, 0) == 2);
  char reply[64];
  CHECK(recv(client, reply, sizeof reply, 0) > 0);
  close(client);
  server.stop();
}
