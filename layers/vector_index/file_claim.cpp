#include "file_claim.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <map>
#include <mutex>
#include <stdexcept>
#include <sys/file.h>
#include <thread>
#include <unistd.h>

namespace strata::vector_index {

namespace {

std::mutex claims_mutex;
std::map<std::string, std::weak_ptr<const file_claim>> claims; ///< by lock file

} // namespace

std::shared_ptr<const file_claim> file_claim::take(const std::string& path, const std::string& holder,
                                                   const std::string& consequence) {
  // Beside the file as its links lead to it: a second layer given the same file through a symbolic
  // link (of the file or of a folder on its path) took a lock of its own, and both served.
  std::error_code ec;
  auto file = std::filesystem::absolute(path, ec).lexically_normal();
  if (ec)
    file = path;
  else if (auto resolved = std::filesystem::weakly_canonical(file, ec); !ec)
    file = std::move(resolved); // else (a folder on the path that cannot be read) as written
  const auto key = file.string() + ".lock";
  std::lock_guard<std::mutex> guard{claims_mutex};
  // Listed but expired: this process's last claim is being released, and its descriptor may not
  // be closed yet (a replaced instance ending while its successor opens the file). Only a claim
  // lists itself, and its destructor unlists it.
  bool releasing = false;
  if (const auto known = claims.find(key); known != claims.end()) {
    if (auto held = known->second.lock()) {
      if (held->holder_ == holder)
        return held;
      throw std::runtime_error("in use by the layer '" + held->holder_ + "' of this process: " + consequence);
    }
    releasing = true;
  }
  const int fd = ::open(key.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    throw std::runtime_error("cannot create the lock file " + key + ": " + std::strerror(errno));
  // ~2 s for this process's own release to close its descriptor, rather than a false "in use".
  int error = 0;
  for (int tries = releasing ? 200 : 1; tries > 0; --tries) {
    error = ::flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : errno;
    if (error != EWOULDBLOCK)
      break;
    if (tries > 1)
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (error != 0) {
    ::close(fd);
    if (error == EWOULDBLOCK)
      throw std::runtime_error("in use by another process, or by another plugin's layer of this one (it holds " +
                               key + "): " + consequence);
    throw std::runtime_error("cannot lock " + key + ": " + std::strerror(error));
  }
  std::shared_ptr<const file_claim> claim{new file_claim(fd, key, holder)};
  claims[key] = claim;
  return claim;
}

file_claim::~file_claim() {
  ::close(fd_); // releases the flock; first, so that a take() waiting for it is not kept long
  std::lock_guard<std::mutex> guard{claims_mutex};
  if (auto it = claims.find(key_); it != claims.end() && it->second.expired())
    claims.erase(it);
}

} // namespace strata::vector_index
