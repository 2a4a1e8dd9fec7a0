#pragma once
// The bytes of a trace file, decompressed when the file is: what the trace readers parse.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace strata::replay::detail {

class file_handle;

/// A file's (decompressed) bytes, read front to back.
class byte_source {
public:
  virtual ~byte_source() = default;

  /// Reads up to `size` bytes into `buffer` and returns how many; fewer than `size` only at the
  /// end of the data. Throws trace_error when the file cannot be read or its compressed data is
  /// corrupt or truncated.
  virtual std::size_t read(char* buffer, std::size_t size) = 0;
  /// Whether the bytes are decompressed: offsets in messages then count decompressed bytes.
  virtual bool decompresses() const noexcept = 0;
};

/// The file read as it is.
std::unique_ptr<byte_source> open_plain(std::unique_ptr<file_handle> file);
/// The file decompressed by zlib; data that is not gzip is an error.
std::unique_ptr<byte_source> open_gzip(std::unique_ptr<file_handle> file);
/// The file decompressed by liblzma (xz format, concatenated streams allowed).
std::unique_ptr<byte_source> open_xz(std::unique_ptr<file_handle> file);

/// By `path`'s extension, `.gz` gzip, `.xz` xz; otherwise by its first bytes (gzip's or xz's
/// magic), else plain. The file is opened once, so a pipe or a FIFO is read whole. Throws
/// trace_error when the file cannot be opened, or is compressed in a format not read here.
std::unique_ptr<byte_source> open_bytes(const std::string& path);

/// Reads bytes through a buffer and counts them: the readers' view of a byte source.
class input {
public:
  input(std::string path, std::unique_ptr<byte_source> source);

  /// Reads up to `size` bytes into `out`, fewer only at the end of the data; returns how many.
  std::size_t read(char* out, std::size_t size);
  /// The next byte, or -1 at the end of the data.
  int get();
  /// Bytes consumed so far: the offset of the next byte.
  std::uint64_t offset() const noexcept { return offset_; }
  const std::string& path() const noexcept { return path_; }
  /// "FILE: byte offset N" (", of the decompressed data" for a compressed file): where a problem at
  /// offset `at` is.
  std::string where(std::uint64_t at) const;

private:
  bool fill();

  std::string path_;
  std::unique_ptr<byte_source> source_;
  std::unique_ptr<char[]> buffer_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  bool exhausted_ = false;
  std::uint64_t offset_ = 0;
};

} // namespace strata::replay::detail
