// A trace file read as it is.
#include "byte_source.hpp"
#include "file_handle.hpp"

namespace strata::replay::detail {

namespace {

class plain_source : public byte_source {
public:
  explicit plain_source(const std::string& path) : file_(path) {}

  std::size_t read(char* buffer, std::size_t size) override { return file_.read(buffer, size); }

private:
  file_handle file_;
};

} // namespace

std::unique_ptr<byte_source> open_plain(const std::string& path) { return std::make_unique<plain_source>(path); }

} // namespace strata::replay::detail
