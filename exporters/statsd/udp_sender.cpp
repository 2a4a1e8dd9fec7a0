#include "udp_sender.hpp"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <stdexcept>
#include <system_error>

namespace strata::exporters::statsd {

udp_sender::udp_sender(const std::string& host, std::uint16_t port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* found = nullptr;
  if (const int rc = getaddrinfo(host.c_str(), std::to_string(port).c_str(), &hints, &found); rc != 0)
    throw std::runtime_error("host: cannot resolve StatsD host '" + host + "': " + gai_strerror(rc));
  const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> addresses(found, &freeaddrinfo);

  int last_error = 0;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last_error = errno;
      continue;
    }
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      fd_ = fd;
      return;
    }
    last_error = errno;
    close(fd);
  }
  throw std::runtime_error("host: cannot reach StatsD host '" + host + "' port " + std::to_string(port) + ": " +
                           std::system_category().message(last_error));
}

udp_sender::~udp_sender() { close(fd_); }

int udp_sender::send(std::string_view datagram) noexcept {
  return ::send(fd_, datagram.data(), datagram.size(), 0) < 0 ? errno : 0;
}

} // namespace strata::exporters::statsd
