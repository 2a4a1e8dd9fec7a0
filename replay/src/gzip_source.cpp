// A gzip-compressed trace file, inflated by zlib. Strict where gzip(1) is lenient: data that is
// not gzip, a truncated member or trailing garbage is an error, never a silently shorter trace.
#include "byte_source.hpp"
#include "file_handle.hpp"

#include <strata/replay/trace_reader.hpp>

#include <zlib.h>

#include <memory>

namespace strata::replay::detail {

namespace {

constexpr std::size_t chunk = 64 * 1024;

class gzip_source : public byte_source {
public:
  explicit gzip_source(std::unique_ptr<file_handle> file) : file_(std::move(file)), input_(new unsigned char[chunk]) {
    // 16 + MAX_WBITS: a gzip wrapper and nothing else (no zlib header, no raw deflate).
    if (inflateInit2(&stream_, 16 + MAX_WBITS) != Z_OK)
      throw trace_error(file_->path() + ": zlib cannot start: " + (stream_.msg ? stream_.msg : "no memory"));
  }
  ~gzip_source() override { inflateEnd(&stream_); }

  std::size_t read(char* buffer, std::size_t size) override {
    stream_.next_out = reinterpret_cast<Bytef*>(buffer);
    stream_.avail_out = static_cast<uInt>(size);
    while (stream_.avail_out > 0 && !finished_) {
      if (stream_.avail_in == 0 && !refill())
        break;
      if (between_members_) { // another member follows: concatenated .gz files are one stream
        inflateReset(&stream_);
        between_members_ = false;
      }
      const int rc = inflate(&stream_, Z_NO_FLUSH);
      if (rc == Z_STREAM_END)
        between_members_ = true;
      else if (rc != Z_OK && rc != Z_BUF_ERROR)
        fail(stream_.msg ? stream_.msg : "inflate failed");
    }
    return size - stream_.avail_out;
  }
  bool decompresses() const noexcept override { return true; }

private:
  /// More compressed input; false at the end of the file, which must come right after a member.
  bool refill() {
    const std::size_t n = file_->read(reinterpret_cast<char*>(input_.get()), chunk);
    if (n == 0) {
      if (!between_members_)
        fail(file_->offset() == 0 ? "the file is empty" : "truncated gzip data");
      finished_ = true;
      return false;
    }
    stream_.next_in = input_.get();
    stream_.avail_in = static_cast<uInt>(n);
    return true;
  }

  [[noreturn]] void fail(const std::string& why) const {
    throw trace_error(file_->path() + ": corrupt gzip data near compressed byte offset " +
                      std::to_string(file_->offset() - stream_.avail_in) + ": " + why);
  }

  std::unique_ptr<file_handle> file_;
  std::unique_ptr<unsigned char[]> input_;
  z_stream stream_{};
  bool between_members_ = false; ///< a member ended and no byte of the next one was read
  bool finished_ = false;
};

} // namespace

std::unique_ptr<byte_source> open_gzip(std::unique_ptr<file_handle> file) {
  return std::make_unique<gzip_source>(std::move(file));
}

} // namespace strata::replay::detail
