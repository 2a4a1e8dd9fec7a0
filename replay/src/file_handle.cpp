#include "file_handle.hpp"

#include <strata/replay/trace_reader.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace strata::replay::detail {

file_handle::file_handle(std::string path) : path_(std::move(path)), file_(nullptr) {
  // fopen succeeds on a directory; its first read fails with a less helpful message.
  std::error_code ec;
  if (std::filesystem::is_directory(path_, ec))
    throw trace_error(path_ + ": cannot open: it is a directory");
  file_ = std::fopen(path_.c_str(), "rb");
  if (file_ == nullptr)
    throw trace_error(path_ + ": cannot open: " + std::strerror(errno));
}

file_handle::~file_handle() { std::fclose(file_); }

std::string_view file_handle::peek(std::size_t size) {
  peeked_.resize(size);
  peeked_.resize(read_file(peeked_.data(), size));
  return peeked_;
}

std::size_t file_handle::read(char* buffer, std::size_t size) {
  std::size_t n = std::min(size, peeked_.size() - peeked_given_);
  std::memcpy(buffer, peeked_.data() + peeked_given_, n);
  peeked_given_ += n;
  if (n < size)
    n += read_file(buffer + n, size - n);
  offset_ += n;
  return n;
}

std::size_t file_handle::read_file(char* buffer, std::size_t size) {
  const std::size_t n = std::fread(buffer, 1, size, file_);
  if (n < size && std::ferror(file_))
    throw trace_error(path_ + ": read error at byte offset " + std::to_string(read_from_file_ + n) + ": " +
                      std::strerror(errno));
  read_from_file_ += n;
  return n;
}

} // namespace strata::replay::detail
