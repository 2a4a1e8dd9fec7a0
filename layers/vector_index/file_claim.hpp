#pragma once
// One process at a time on a layer's persistence file. The semantic and vector layers keep their
// entries in memory and write them through to the file: two servers on one file would each serve
// their own entries and overwrite or delete each other's rows, and a restart would load a mix.

#include <memory>
#include <string>

namespace strata::vector_index {

/// An exclusive flock on `<path>.lock`, `path` with its symbolic links resolved (a file of its
/// own: closing any descriptor of the database file would drop SQLite's POSIX locks on it), held
/// while any claim of this process on `path` lives. Claims of one holder (a layer's name) share
/// it, since supervision opens a replaced layer instance's file again before the old instance is
/// gone (so do two runtimes of one process whose layers have the same name: a layer cannot tell
/// them from a replacement); another holder in this process is refused, as another process is.
class file_claim {
public:
  /// Throws std::runtime_error when another process, or another holder in this one, holds the
  /// file (saying `consequence`: what two on one file would do), or the lock file cannot be created.
  static std::shared_ptr<const file_claim> take(const std::string& path, const std::string& holder,
                                                const std::string& consequence = entries_apart);

  /// The consequence for layers that keep their entries in memory and write them through.
  static constexpr const char* entries_apart =
    "two on one file would each serve their own entries and overwrite each other's; give each its own sqlite_path";

  ~file_claim();
  file_claim(const file_claim&) = delete;
  file_claim& operator=(const file_claim&) = delete;

private:
  file_claim(int fd, std::string key, std::string holder)
    : fd_(fd), key_(std::move(key)), holder_(std::move(holder)) {}

  int fd_;
  std::string key_;    ///< the lock file's absolute path
  std::string holder_; ///< who took it: the layer's name
};

} // namespace strata::vector_index
