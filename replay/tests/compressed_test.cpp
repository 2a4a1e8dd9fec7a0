// Every format may be compressed: .gz through zlib, .xz through liblzma. Corrupt, truncated or
// foreign data is an error naming the file, never a silently shorter trace.
#include "reader_support.hpp"

#include <catch2/catch.hpp>

#include <lzma.h>
#include <zlib.h>

#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

using namespace strata::replay;
using namespace strata::replay::testing;

namespace {

std::string gzip_of(const std::string& bytes) {
  z_stream s{};
  if (deflateInit2(&s, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  std::string out(deflateBound(&s, bytes.size()) + 64, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
  s.avail_in = static_cast<uInt>(bytes.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  if (deflate(&s, Z_FINISH) != Z_STREAM_END)
    throw std::runtime_error("deflate");
  out.resize(s.total_out);
  deflateEnd(&s);
  return out;
}

std::string xz_of(const std::string& bytes) {
  std::string out(lzma_stream_buffer_bound(bytes.size()), '\0');
  std::size_t written = 0;
  if (lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, nullptr, reinterpret_cast<const std::uint8_t*>(bytes.data()),
                              bytes.size(), reinterpret_cast<std::uint8_t*>(out.data()), &written,
                              out.size()) != LZMA_OK)
    throw std::runtime_error("lzma_easy_buffer_encode");
  out.resize(written);
  return out;
}

std::string error_of(const std::string& path, trace_format format) {
  try {
    read_all(path, format);
  } catch (const trace_error& e) {
    return e.what();
  }
  return "no error";
}

/// Many lines, so that the data spans several of the readers' 64 KiB buffers.
std::string many_keys(int n) {
  std::string text;
  for (int i = 0; i < n; ++i)
    text += std::to_string(i % 1000) + "\n";
  return text;
}

/// Writes `bytes` into a pipe from another thread; `path()` names its reading end as
/// `<(command)` does in a shell.
class pipe_feed {
public:
  explicit pipe_feed(std::string bytes) {
    if (::pipe(fds_) != 0)
      throw std::runtime_error("pipe");
    writer_ = std::thread([this, bytes = std::move(bytes)] {
      // A reader that stops early (a failed test) closes the pipe: the write then fails with
      // EPIPE rather than SIGPIPE ending the process.
      sigset_t pipe_signal;
      sigemptyset(&pipe_signal);
      sigaddset(&pipe_signal, SIGPIPE);
      pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
      for (std::size_t at = 0; at < bytes.size();) {
        const auto n = ::write(fds_[1], bytes.data() + at, bytes.size() - at);
        if (n <= 0)
          break;
        at += static_cast<std::size_t>(n);
      }
      ::close(fds_[1]);
    });
  }
  ~pipe_feed() {
    ::close(fds_[0]); // first: a writer with more to write than the pipe holds would wait for ever
    writer_.join();
  }
  std::string path() const { return "/dev/fd/" + std::to_string(fds_[0]); }

private:
  int fds_[2] = {-1, -1};
  std::thread writer_;
};

} // namespace

TEST_CASE(".gz: lirs text through zlib, across buffers and concatenated members", "[replay][readers]") {
  const std::string text = many_keys(100000);
  const auto keys = read_all(write_file("plain.trace", text), trace_format::lirs);
  REQUIRE(keys.size() == 100000);
  CHECK(read_all(write_file("one.trace.gz", gzip_of(text)), trace_format::lirs) == keys);
  const auto split = text.size() / 2 + 1; // in the middle of a line: the members are one stream
  CHECK(read_all(write_file("two.trace.gz", gzip_of(text.substr(0, split)) + gzip_of(text.substr(split))),
                 trace_format::lirs) == keys);
}

TEST_CASE("a compressed trace named neither .gz nor .xz is decompressed by its magic bytes", "[replay][readers]") {
  const std::string text = many_keys(1000);
  const auto keys = read_all(write_file("plain.trace", text), trace_format::lirs); // read as it is
  REQUIRE(keys.size() == 1000);
  // Read as raw bytes, they were not lirs text at all ("not an integer" at byte 0).
  CHECK(read_all(write_file("renamed-gzip.trace", gzip_of(text)), trace_format::lirs) == keys);
  CHECK(read_all(write_file("renamed-xz.trace", xz_of(text)), trace_format::lirs) == keys);
}

TEST_CASE("a trace read from a pipe is read whole whether compressed or not", "[replay][readers]") {
  // Its first bytes, read to tell its compression, were lost with a first opening of the file.
  const std::string text = many_keys(20000);
  const auto keys = read_all(write_file("piped.trace", text), trace_format::lirs);
  REQUIRE(keys.size() == 20000);
  {
    pipe_feed feed(text);
    CHECK(read_all(feed.path(), trace_format::lirs) == keys);
  }
  {
    pipe_feed feed(gzip_of(text));
    CHECK(read_all(feed.path(), trace_format::lirs) == keys);
  }
  {
    pipe_feed feed(xz_of(text));
    CHECK(read_all(feed.path(), trace_format::lirs) == keys);
  }
}

TEST_CASE("a trace read from a FIFO is read whole", "[replay][readers]") {
  // A first opening to tell its compression left the writer without a reader: the second waited
  // for ever.
  const std::string text = many_keys(20000);
  const auto fifo = (temp_dir() / "trace.fifo").string();
  std::filesystem::remove(fifo);
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::thread writer([&] {
    std::ofstream out(fifo, std::ios::binary);
    out << text;
  });
  const auto keys = read_all(fifo, trace_format::lirs);
  writer.join();
  CHECK(keys == read_all(write_file("fifo.trace", text), trace_format::lirs));
}

TEST_CASE("a compression read by neither zlib nor liblzma is refused, by its name or its magic bytes",
          "[replay][readers]") {
  // A zstd file read as int32be replayed as keys, with exit 0.
  const std::string zstd_frame("\x28\xb5\x2f\xfd\x24\x04\x21\x00\x00\x00\x00\x00", 12);
  const auto zstd = write_file("keys.int32", zstd_frame);
  CHECK_THROWS_WITH(read_all(zstd, trace_format::int32be),
                    zstd + ": starts as zstd data: this compression is not read here; decompress it first, or "
                           "recompress it with gzip or xz");
  const auto bzip2 = write_file("keys.trace", "BZh91AY&SY....");
  CHECK_THROWS_WITH(read_all(bzip2, trace_format::lirs), Catch::StartsWith(bzip2 + ": starts as bzip2 data"));
  const auto named = write_file("keys.trace.zst", many_keys(10));
  CHECK_THROWS_WITH(read_all(named, trace_format::lirs),
                    named + ": a '.zst' file: this compression is not read here; decompress it first, or recompress "
                            "it with gzip or xz");
  // "BZh" and a key after it is lirs text of no compression: still refused as not an integer.
  CHECK_THROWS_WITH(read_all(write_file("bz.trace", "BZhx\n"), trace_format::lirs), Catch::Contains("not an integer"));
}

TEST_CASE(".gz: truncated, corrupt, empty or not gzip at all is an error", "[replay][readers]") {
  const std::string packed = gzip_of(many_keys(20000));
  const auto truncated = write_file("truncated.trace.gz", packed.substr(0, packed.size() / 2));
  CHECK_THAT(error_of(truncated, trace_format::lirs),
             Catch::StartsWith(truncated + ": corrupt gzip data near compressed byte offset") &&
               Catch::EndsWith(": truncated gzip data"));
  std::string corrupt = packed;
  corrupt[packed.size() / 2] ^= 0x55;
  corrupt[packed.size() / 2 + 1] ^= 0x55;
  const auto corrupt_path = write_file("corrupt.trace.gz", corrupt);
  CHECK_THAT(error_of(corrupt_path, trace_format::lirs),
             Catch::StartsWith(corrupt_path + ": corrupt gzip data near compressed byte offset"));
  const auto text = write_file("text.trace.gz", "1\n2\n3\n");
  // zlib reads a few bytes before it knows: the offset is where it stopped.
  CHECK_THAT(error_of(text, trace_format::lirs),
             Catch::StartsWith(text + ": corrupt gzip data near compressed byte offset") &&
               Catch::EndsWith(": incorrect header check"));
  const auto empty = write_file("empty.trace.gz", "");
  CHECK(error_of(empty, trace_format::lirs) == empty + ": corrupt gzip data near compressed byte offset 0: the file is empty");
  const auto garbage = write_file("garbage.trace.gz", gzip_of("1\n") + "junk");
  CHECK_THAT(error_of(garbage, trace_format::lirs), Catch::Contains("incorrect header check"));
}

TEST_CASE(".xz: int32be keys and oracle-general records through liblzma", "[replay][readers]") {
  std::string keys;
  requests expected;
  for (int i = 0; i < 50000; ++i) {
    keys += big_endian32(i * 7 - 1000);
    expected.emplace_back(static_cast<std::uint64_t>(static_cast<std::int64_t>(i * 7 - 1000)), 1);
  }
  CHECK(read_all(write_file("keys.int32.xz", xz_of(keys)), trace_format::int32be) == expected);
  CHECK(read_all(write_file("two.int32.xz", xz_of(keys.substr(0, 4000)) + xz_of(keys.substr(4000))),
                 trace_format::int32be) == expected);
  const auto records = write_file("records.bin.xz", xz_of(oracle_record(1, 9, 100, -1) + oracle_record(2, 8, 200, -1)));
  CHECK(read_all(records, trace_format::oracle_general) == requests{{9, 100}, {8, 200}});
}

TEST_CASE(".xz: an offset in a message counts decompressed bytes", "[replay][readers]") {
  const auto path = write_file("truncated.bin.xz", xz_of(oracle_record(1, 9, 100, -1) + "12345"));
  CHECK(error_of(path, trace_format::oracle_general) ==
        path + ": byte offset 24 of the decompressed data: truncated record: 5 of 24 bytes");
}

TEST_CASE(".xz: truncated, corrupt or not xz at all is an error", "[replay][readers]") {
  std::string keys;
  for (int i = 0; i < 50000; ++i)
    keys += big_endian32(i);
  const std::string packed = xz_of(keys);
  const auto truncated = write_file("truncated.int32.xz", packed.substr(0, packed.size() - 10));
  CHECK_THAT(error_of(truncated, trace_format::int32be),
             Catch::StartsWith(truncated + ": corrupt xz data near compressed byte offset") &&
               Catch::EndsWith(": truncated xz data"));
  std::string corrupt = packed;
  corrupt[packed.size() / 2] ^= 0x55;
  const auto corrupt_path = write_file("corrupt.int32.xz", corrupt);
  CHECK_THAT(error_of(corrupt_path, trace_format::int32be),
             Catch::StartsWith(corrupt_path + ": corrupt xz data near compressed byte offset"));
  const auto foreign = write_file("foreign.int32.xz", keys.substr(0, 400));
  CHECK_THAT(error_of(foreign, trace_format::int32be),
             Catch::StartsWith(foreign + ": corrupt xz data near compressed byte offset") &&
               Catch::EndsWith(": not xz data"));
}
