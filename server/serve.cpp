#include "commands.hpp"

#include <strata/runtime.hpp>

#include <csignal>
#include <iostream>

namespace strata::server {

int serve(const std::string& path) {
  // Block the signals before the runtime starts its threads, so that only sigwait sees them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  auto rt = runtime::from_file(path);
  if (!rt) {
    std::cerr << rt.err().message;
    return 1;
  }
  std::cout << "strata: serving " << path << " with " << (*rt)->effective_config().layers.size()
            << " layer(s); the network API arrives with the server issue. Ctrl-C stops." << std::endl;
  int received = 0;
  sigwait(&signals, &received);
  std::cout << "strata: " << (received == SIGINT ? "SIGINT" : "SIGTERM") << ", draining" << std::endl;
  (*rt)->shutdown();
  std::cout << "strata: stopped" << std::endl;
  return 0;
}

} // namespace strata::server
