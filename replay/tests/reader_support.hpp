#pragma once
// What the reader tests share: files written to a fresh directory per process (removed at exit),
// records built byte by byte, and a trace read to its end.

#include <strata/replay/trace_reader.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

namespace strata::replay::testing {

inline const std::filesystem::path& temp_dir() {
  struct holder {
    std::filesystem::path path;
    holder() {
      path = std::filesystem::temp_directory_path() / ("strata_replay_test_" + std::to_string(::getpid()));
      std::filesystem::create_directories(path);
    }
    ~holder() {
      std::error_code ec;
      std::filesystem::remove_all(path, ec);
    }
  };
  static const holder dir;
  return dir.path;
}

/// Writes `bytes` to `name` in the temporary directory; returns its path.
inline std::string write_file(const std::string& name, const std::string& bytes) {
  const auto path = temp_dir() / name;
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path.string();
}

/// `value` as `count` little-endian bytes.
inline std::string little_endian(std::uint64_t value, int count) {
  std::string out;
  for (int i = 0; i < count; ++i)
    out += static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}

/// One oracleGeneral record.
inline std::string oracle_record(std::uint32_t time, std::uint64_t id, std::uint32_t size, std::int64_t next) {
  return little_endian(time, 4) + little_endian(id, 8) + little_endian(size, 4) +
         little_endian(static_cast<std::uint64_t>(next), 8);
}

/// `value` as 4 big-endian bytes.
inline std::string big_endian32(std::int32_t value) {
  const auto v = static_cast<std::uint32_t>(value);
  return {static_cast<char>(v >> 24), static_cast<char>((v >> 16) & 0xff), static_cast<char>((v >> 8) & 0xff),
          static_cast<char>(v & 0xff)};
}

/// Requests as (key, size) pairs, which Catch can print.
using requests = std::vector<std::pair<std::uint64_t, std::uint64_t>>;

/// Every request of the trace.
inline requests read_all(const std::string& path, trace_format format) {
  auto reader = open_trace(path, format);
  requests out;
  request r;
  while (reader->next(r))
    out.emplace_back(r.key, r.size);
  return out;
}

} // namespace strata::replay::testing
