#pragma once
/// @file trace_reader.hpp
/// Streaming readers of cache access traces: one request at a time, in order, in bounded memory.
/// A path ending in `.gz` is read through zlib and one ending in `.xz` through liblzma, whatever
/// the format; any other path is read as it is.

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace strata::replay {

/// One request of a trace.
struct request {
  /// The object's identifier. Signed keys (lirs, int32be) are kept as their two's complement, so
  /// that distinct keys stay distinct.
  std::uint64_t key = 0;
  /// Its size in bytes: the record's size (oracle-general) or 1 (formats without sizes); never 0.
  std::uint64_t size = 1;
};

enum class trace_format {
  /// libCacheSim's oracleGeneral: packed little-endian 24-byte records
  /// `u32 time, u64 obj_id, u32 obj_size, i64 next_access_vtime`.
  oracle_general,
  /// The LIRS traces: text, one integer key per line; lines that are `*`, and blank lines, skipped.
  lirs,
  /// cache2k's traces: big-endian int32 keys, 4 bytes each.
  int32be,
};

/// `oracle-general`, `lirs` or `int32be`: the name a user gives.
std::string_view name_of(trace_format format) noexcept;

/// The format named `name` (as `name_of` spells it), or nullopt.
std::optional<trace_format> parse_format(std::string_view name) noexcept;

/// Input that cannot be read or is malformed. The message names the file and where: the line, or
/// the byte offset (in the decompressed data for a compressed file).
class trace_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// The requests of one trace, in order.
class trace_reader {
public:
  virtual ~trace_reader() = default;

  /// Stores the next request in `out` and returns true, or returns false at the end of the trace.
  /// Throws `trace_error` on malformed input.
  virtual bool next(request& out) = 0;

  /// Records read but not replayed. oracle-general: requests of size 0, which libCacheSim skips
  /// too (a cache cannot charge nothing for an object). Zero for the other formats.
  virtual std::uint64_t skipped() const noexcept { return 0; }
};

/// Opens `path` as a trace of `format`. Throws `trace_error` when it cannot be opened.
std::unique_ptr<trace_reader> open_trace(const std::string& path, trace_format format);

} // namespace strata::replay
