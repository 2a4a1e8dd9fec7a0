// A trace file read as it is.
#include "byte_source.hpp"
#include "file_handle.hpp"

namespace strata::replay::detail {

namespace {

class plain_source : public byte_source {
public:
  explicit plain_source(std::unique_ptr<file_handle> file) : file_(std::move(file)) {}

  std::size_t read(char* buffer, std::size_t size) override { return file_->read(buffer, size); }
  bool decompresses() const noexcept override { return false; }

private:
  std::unique_ptr<file_handle> file_;
};

} // namespace

std::unique_ptr<byte_source> open_plain(std::unique_ptr<file_handle> file) {
  return std::make_unique<plain_source>(std::move(file));
}

} // namespace strata::replay::detail
