#include "file_output.hpp"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace strata::exporters {

namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

/// Closes on destruction; `close` also reports the error that a deferred write (NFS, quota) may
/// only reveal there, so a file counts as written only after it.
class descriptor {
public:
  explicit descriptor(int fd) : fd_(fd) {}
  descriptor(const descriptor&) = delete;
  descriptor& operator=(const descriptor&) = delete;
  ~descriptor() {
    if (fd_ >= 0)
      ::close(fd_);
  }
  int get() const noexcept { return fd_; }
  void close(const std::string& path) {
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0)
      throw_errno("cannot close " + path);
  }

private:
  int fd_;
};

void write_all(int fd, std::string_view content, const std::string& path) {
  while (!content.empty()) {
    const ssize_t n = ::write(fd, content.data(), content.size());
    if (n < 0) {
      if (errno == EINTR)
        continue;
      throw_errno("cannot write " + path);
    }
    content.remove_prefix(static_cast<std::size_t>(n));
  }
}

/// "dir/.name.XXXXXX" next to `path`: hidden, so that a reader globbing the directory skips it.
std::string temporary_template(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir + "." + name + ".XXXXXX";
}

/// Creates a temporary file next to `path` (`temporary_template`), open for writing: its
/// descriptor, and its name in `name`.
int create_temporary_beside(const std::string& path, std::string& name) {
  const std::string pattern = temporary_template(path);
  std::vector<char> chars(pattern.begin(), pattern.end());
  chars.push_back('\0');
  const int fd = ::mkostemp(chars.data(), O_CLOEXEC);
  if (fd < 0)
    throw_errno("cannot create a temporary file for " + path);
  name = chars.data();
  return fd;
}

} // namespace

void replace_file(const std::string& path, std::string_view content) {
  std::string temporary;
  descriptor file(create_temporary_beside(path, temporary));
  try {
    // mkostemp creates the file rw-------; the snapshot is meant for other readers.
    if (::fchmod(file.get(), 0644) != 0)
      throw_errno("cannot set the mode of " + temporary);
    write_all(file.get(), content, temporary);
    // Without fsync a crash just after the rename could leave an empty file under the final name.
    if (::fsync(file.get()) != 0)
      throw_errno("cannot flush " + temporary);
    file.close(temporary);
    if (std::rename(temporary.c_str(), path.c_str()) != 0)
      throw_errno("cannot rename " + temporary + " to " + path);
  } catch (...) {
    ::unlink(temporary.c_str());
    throw;
  }
}

void check_can_create_beside(const std::string& path) {
  std::string temporary;
  descriptor file(create_temporary_beside(path, temporary));
  const int removed = ::unlink(temporary.c_str());
  const int unlink_error = errno;
  file.close(temporary);
  if (removed != 0) {
    errno = unlink_error;
    throw_errno("cannot remove " + temporary);
  }
}

void check_can_append(const std::string& path) {
  descriptor file(::open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC));
  if (file.get() < 0)
    throw_errno("cannot open " + path);
  file.close(path);
}

void append_to_file(const std::string& path, std::string_view content) {
  descriptor file(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644));
  if (file.get() < 0)
    throw_errno("cannot open " + path);
  write_all(file.get(), content, path);
  file.close(path);
}

std::string foreign_content(const std::string& path) {
  // Only a regular file named as such: a link (/dev/stderr onto a log file) or a device is where
  // lines are meant to go as they are (a snapshot refuses them at start).
  descriptor file(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW));
  struct stat status {};
  if (file.get() < 0 || ::fstat(file.get(), &status) != 0 || !S_ISREG(status.st_mode))
    return {}; // not there (a snapshot not written yet), or not readable: the write says so
  char head[256];
  const auto got = ::read(file.get(), head, sizeof head);
  if (got <= 0)
    return {};
  std::size_t first = 0;
  while (first < static_cast<std::size_t>(got) && std::isspace(static_cast<unsigned char>(head[first])))
    ++first;
  if (first == static_cast<std::size_t>(got) || head[first] == '{')
    return {};
  std::string shown;
  for (std::size_t i = first; i < static_cast<std::size_t>(got) && i < first + 16; ++i) {
    const auto c = static_cast<unsigned char>(head[i]);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      shown += static_cast<char>(c);
    } else {
      static const char digits[] = "0123456789abcdef";
      shown += std::string("\\x") + digits[c >> 4] + digits[c & 15];
    }
  }
  return "'" + shown + "'";
}

void write_to_stdout(std::string_view content) {
  if (std::fwrite(content.data(), 1, content.size(), stdout) != content.size() || std::fflush(stdout) != 0)
    throw_errno("cannot write to standard output");
}

} // namespace strata::exporters
