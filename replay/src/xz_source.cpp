// An xz-compressed trace file, decoded by liblzma. Data that is not xz, corrupt or truncated is
// an error, never a silently shorter trace.
#include "byte_source.hpp"
#include "file_handle.hpp"

#include <strata/replay/trace_reader.hpp>

#include <lzma.h>

#include <cstdint>
#include <memory>

namespace strata::replay::detail {

namespace {

constexpr std::size_t chunk = 64 * 1024;

const char* reason(lzma_ret rc) noexcept {
  switch (rc) {
  case LZMA_FORMAT_ERROR: return "not xz data";
  case LZMA_DATA_ERROR: return "the compressed data is corrupt";
  case LZMA_BUF_ERROR: return "truncated xz data";
  case LZMA_MEM_ERROR: return "out of memory";
  case LZMA_OPTIONS_ERROR: return "unsupported xz options";
  default: return "liblzma failed";
  }
}

class xz_source : public byte_source {
public:
  explicit xz_source(std::unique_ptr<file_handle> file) : file_(std::move(file)), input_(new std::uint8_t[chunk]) {
    // Concatenated: several .xz streams in one file are one trace, as xz(1) reads them.
    const lzma_ret rc = lzma_stream_decoder(&stream_, UINT64_MAX, LZMA_CONCATENATED);
    if (rc != LZMA_OK)
      throw trace_error(file_->path() + ": liblzma cannot start: " + reason(rc));
  }
  ~xz_source() override { lzma_end(&stream_); }

  std::size_t read(char* buffer, std::size_t size) override {
    stream_.next_out = reinterpret_cast<std::uint8_t*>(buffer);
    stream_.avail_out = size;
    while (stream_.avail_out > 0 && !finished_) {
      if (stream_.avail_in == 0 && !at_end_of_file_)
        refill();
      const lzma_ret rc = lzma_code(&stream_, at_end_of_file_ ? LZMA_FINISH : LZMA_RUN);
      if (rc == LZMA_STREAM_END)
        finished_ = true;
      else if (rc != LZMA_OK)
        throw trace_error(file_->path() + ": corrupt xz data near compressed byte offset " +
                          std::to_string(file_->offset() - stream_.avail_in) + ": " + reason(rc));
    }
    return size - stream_.avail_out;
  }
  bool decompresses() const noexcept override { return true; }

private:
  void refill() {
    const std::size_t n = file_->read(reinterpret_cast<char*>(input_.get()), chunk);
    stream_.next_in = input_.get();
    stream_.avail_in = n;
    at_end_of_file_ = n == 0;
  }

  std::unique_ptr<file_handle> file_;
  std::unique_ptr<std::uint8_t[]> input_;
  lzma_stream stream_ = LZMA_STREAM_INIT;
  bool at_end_of_file_ = false;
  bool finished_ = false;
};

} // namespace

std::unique_ptr<byte_source> open_xz(std::unique_ptr<file_handle> file) {
  return std::make_unique<xz_source>(std::move(file));
}

} // namespace strata::replay::detail
