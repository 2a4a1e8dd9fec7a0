// libCacheSim's oracleGeneral binary format: packed little-endian 24-byte records
// `u32 time, u64 obj_id, u32 obj_size, i64 next_access_vtime`. Only the id and size are replayed.
#include "readers.hpp"

#include <cstdint>

namespace strata::replay::detail {

namespace {

constexpr std::size_t record_size = 24;

/// Little-endian, whatever the host's byte order.
std::uint64_t little_endian(const unsigned char* bytes, int count) noexcept {
  std::uint64_t value = 0;
  for (int i = count - 1; i >= 0; --i)
    value = value << 8 | bytes[i];
  return value;
}

class oracle_general_reader : public trace_reader {
public:
  explicit oracle_general_reader(std::unique_ptr<input> in) : in_(std::move(in)) {}

  bool next(request& out) override {
    unsigned char record[record_size];
    for (;;) {
      const std::uint64_t at = in_->offset();
      const std::size_t n = in_->read(reinterpret_cast<char*>(record), record_size);
      if (n == 0)
        return false;
      if (n < record_size)
        throw trace_error(in_->where(at) + ": truncated record: " + std::to_string(n) + " of " +
                          std::to_string(record_size) + " bytes");
      // The next access is -1 (none) or a later request, within 2^48 of them: a file of another
      // format read as this one breaks that within a record or two (eight ASCII bytes are some
      // 10^18), where it would otherwise replay as meaningless keys. Requests count from 1 there
      // (libCacheSim's virtual time): record i is request i + 1.
      const auto next_access = static_cast<std::int64_t>(little_endian(record + 16, 8));
      const auto request = static_cast<std::int64_t>(index_) + 1;
      if (next_access != -1 && (next_access <= request || next_access >= std::int64_t{1} << 48))
        throw trace_error(in_->where(at) + ": record " + std::to_string(index_) + " (request " + std::to_string(request) +
                          ") says its object is next asked for at request " + std::to_string(next_access) +
                          (next_access <= request ? ", not a later one" : ", beyond 2^48 requests") +
                          ": not an oracle-general trace?");
      ++index_;
      const std::uint64_t size = little_endian(record + 12, 4);
      if (size == 0) { // libCacheSim's reader skips these by default: nothing to cache
        ++skipped_;
        continue;
      }
      out.key = little_endian(record + 4, 8);
      out.size = size;
      return true;
    }
  }

  std::uint64_t skipped() const noexcept override { return skipped_; }

private:
  std::unique_ptr<input> in_;
  std::uint64_t skipped_ = 0;
  std::uint64_t index_ = 0; ///< of the record read next, size 0 ones included
};

} // namespace

std::unique_ptr<trace_reader> make_oracle_general_reader(std::unique_ptr<input> in) {
  return std::make_unique<oracle_general_reader>(std::move(in));
}

} // namespace strata::replay::detail
