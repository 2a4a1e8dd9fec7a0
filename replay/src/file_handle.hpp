#pragma once
// An open file, read in chunks; what every byte source reads from.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

namespace strata::replay::detail {

class file_handle {
public:
  /// Throws trace_error naming the file and the reason when it cannot be opened.
  explicit file_handle(std::string path);
  ~file_handle();
  file_handle(const file_handle&) = delete;
  file_handle& operator=(const file_handle&) = delete;

  /// Up to `size` bytes; fewer only at the end of the file. Throws trace_error on a read error.
  std::size_t read(char* buffer, std::size_t size);
  /// Bytes of the file read so far.
  std::uint64_t offset() const noexcept { return offset_; }
  const std::string& path() const noexcept { return path_; }

private:
  std::string path_;
  std::FILE* file_;
  std::uint64_t offset_ = 0;
};

} // namespace strata::replay::detail
