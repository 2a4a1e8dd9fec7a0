#pragma once
// This process's TCP sockets on an IPv4 port, found among its descriptors: the servers under test
// keep their sockets (listening or accepted) to themselves.

#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstdlib>
#include <stdexcept>

namespace strata::test {

/// Calls `f(fd, listening)` for each socket of this process whose own address is the IPv4 TCP
/// `port`: the one listening there, and those it accepted.
template <class F>
void for_each_own_socket_on(int port, F f) {
  DIR* fds = opendir("/proc/self/fd");
  if (fds == nullptr)
    throw std::runtime_error("cannot read /proc/self/fd");
  while (const dirent* entry = readdir(fds)) {
    const int fd = std::atoi(entry->d_name);
    if (entry->d_name[0] == '.' || fd == dirfd(fds))
      continue;
    sockaddr_in address{};
    socklen_t length = sizeof address;
    int listening = 0;
    socklen_t flag_length = sizeof listening;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 || address.sin_family != AF_INET ||
        ntohs(address.sin_port) != port || getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &flag_length) != 0)
      continue;
    f(fd, listening != 0);
  }
  closedir(fds);
}

} // namespace strata::test
