#include "byte_source.hpp"

#include "file_handle.hpp"

#include <strata/replay/trace_reader.hpp>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <utility>

namespace strata::replay::detail {

namespace {

constexpr std::size_t buffer_size = 64 * 1024;

bool ends_with(const std::string& text, const char* suffix) {
  const std::size_t n = std::strlen(suffix);
  return text.size() >= n && text.compare(text.size() - n, n, suffix) == 0;
}

enum class compression { none, gzip, xz };

/// By the name's extension, else by the first bytes: a compressed trace renamed (or named by a
/// download) was otherwise read as raw bytes, an int32be one as meaningless keys, without a word.
/// A compression read by neither zlib nor liblzma (zstd, bzip2, ...) is refused, by name or magic.
compression compression_of(const std::string& path, file_handle& file) {
  if (ends_with(path, ".gz"))
    return compression::gzip;
  if (ends_with(path, ".xz"))
    return compression::xz;
  for (const char* other : {".zst", ".bz2", ".lz4", ".lzma", ".zip", ".7z"})
    if (ends_with(path, other))
      throw trace_error(path + ": a '" + std::string(other) + "' file: this compression is not read here; "
                        "decompress it first, or recompress it with gzip or xz");
  const std::string_view start = file.peek(6);
  if (start.substr(0, 3) == std::string_view("\x1f\x8b\x08", 3)) // gzip, deflate
    return compression::gzip;
  if (start == std::string_view("\xfd" "7zXZ\0", 6))
    return compression::xz;
  const std::pair<std::string_view, const char*> others[] = {
    {std::string_view("\x28\xb5\x2f\xfd", 4), "zstd"},
    {std::string_view("\x04\x22\x4d\x18", 4), "lz4"}, {std::string_view("PK\x03\x04", 4), "zip"},
    {std::string_view("7z\xbc\xaf\x27\x1c", 6), "7z"}};
  const bool bzip2 = start.size() >= 4 && start.substr(0, 3) == "BZh" && start[3] >= '1' && start[3] <= '9';
  if (bzip2)
    throw trace_error(path + ": starts as bzip2 data: this compression is not read here; decompress it first, or "
                      "recompress it with gzip or xz");
  for (const auto& [magic, name] : others)
    if (start.substr(0, magic.size()) == magic)
      throw trace_error(path + ": starts as " + name + " data: this compression is not read here; decompress it "
                        "first, or recompress it with gzip or xz");
  return compression::none;
}

} // namespace

std::unique_ptr<byte_source> open_bytes(const std::string& path) {
  auto file = std::make_unique<file_handle>(path);
  switch (compression_of(path, *file)) {
  case compression::gzip: return open_gzip(std::move(file));
  case compression::xz: return open_xz(std::move(file));
  default: return open_plain(std::move(file));
  }
}

input::input(std::string path, std::unique_ptr<byte_source> source)
  : path_(std::move(path)), source_(std::move(source)), buffer_(new char[buffer_size]) {}

bool input::fill() {
  if (exhausted_)
    return false;
  begin_ = 0;
  end_ = source_->read(buffer_.get(), buffer_size);
  exhausted_ = end_ < buffer_size;
  return end_ > 0;
}

std::size_t input::read(char* out, std::size_t size) {
  std::size_t done = 0;
  while (done < size && (begin_ < end_ || fill())) {
    const std::size_t n = std::min(size - done, end_ - begin_);
    std::memcpy(out + done, buffer_.get() + begin_, n);
    begin_ += n;
    done += n;
  }
  offset_ += done;
  return done;
}

int input::get() {
  if (begin_ == end_ && !fill())
    return -1;
  ++offset_;
  return static_cast<unsigned char>(buffer_[begin_++]);
}

std::string input::where(std::uint64_t at) const {
  return path_ + ": byte offset " + std::to_string(at) + (source_->decompresses() ? " of the decompressed data" : "");
}

} // namespace strata::replay::detail
