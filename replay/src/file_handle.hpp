#pragma once
// An open file, read in chunks; what every byte source reads from.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

namespace strata::replay::detail {

class file_handle {
public:
  /// Throws trace_error naming the file and the reason when it cannot be opened.
  explicit file_handle(std::string path);
  ~file_handle();
  file_handle(const file_handle&) = delete;
  file_handle& operator=(const file_handle&) = delete;

  /// The first `size` bytes (fewer if the file is shorter), which `read` then returns as if not
  /// read yet: how a file's first bytes are looked at when it is a pipe or a FIFO, which can be
  /// neither rewound nor opened again for the same data. Only before the first `read`.
  std::string_view peek(std::size_t size);
  /// Up to `size` bytes; fewer only at the end of the file. Throws trace_error on a read error.
  std::size_t read(char* buffer, std::size_t size);
  /// Bytes of the file read so far.
  std::uint64_t offset() const noexcept { return offset_; }
  const std::string& path() const noexcept { return path_; }

private:
  std::size_t read_file(char* buffer, std::size_t size);

  std::string path_;
  std::FILE* file_;
  std::string peeked_;           ///< what `peek` read, returned by `read` first
  std::size_t peeked_given_ = 0; ///< of which `read` has returned this much
  std::uint64_t offset_ = 0;
  std::uint64_t read_from_file_ = 0; ///< `offset_` and what was peeked and not returned yet
};

} // namespace strata::replay::detail
