// cache2k's traces: big-endian int32 keys, 4 bytes each, nothing else.
#include "readers.hpp"

#include <cstdint>

namespace strata::replay::detail {

namespace {

constexpr std::size_t key_size = 4;

class int32be_reader : public trace_reader {
public:
  explicit int32be_reader(std::unique_ptr<input> in) : in_(std::move(in)) {}

  bool next(request& out) override {
    unsigned char bytes[key_size];
    const std::uint64_t at = in_->offset();
    const std::size_t n = in_->read(reinterpret_cast<char*>(bytes), key_size);
    if (n == 0)
      return false;
    if (n < key_size)
      throw trace_error(in_->where(at) + ": truncated key: " + std::to_string(n) + " of " +
                        std::to_string(key_size) + " bytes");
    const std::uint32_t raw = std::uint32_t{bytes[0]} << 24 | std::uint32_t{bytes[1]} << 16 |
                              std::uint32_t{bytes[2]} << 8 | std::uint32_t{bytes[3]};
    out.key = static_cast<std::uint64_t>(static_cast<std::int64_t>(static_cast<std::int32_t>(raw)));
    out.size = 1;
    return true;
  }

private:
  std::unique_ptr<input> in_;
};

} // namespace

std::unique_ptr<trace_reader> make_int32be_reader(std::unique_ptr<input> in) {
  return std::make_unique<int32be_reader>(std::move(in));
}

} // namespace strata::replay::detail
