// The three formats read from plain files, and their malformed input.
#include "reader_support.hpp"

#include <catch2/catch.hpp>

using namespace strata::replay;
using namespace strata::replay::testing;

namespace {

/// The message `open_trace` + reading to the end throws.
std::string error_of(const std::string& path, trace_format format) {
  try {
    read_all(path, format);
  } catch (const trace_error& e) {
    return e.what();
  }
  return "no error";
}

} // namespace

TEST_CASE("formats are named as the command line spells them", "[replay][readers]") {
  for (auto format : {trace_format::oracle_general, trace_format::lirs, trace_format::int32be})
    CHECK(parse_format(name_of(format)) == format);
  CHECK(name_of(trace_format::oracle_general) == "oracle-general");
  CHECK_FALSE(parse_format("oracleGeneral").has_value());
}

TEST_CASE("oracle-general: id and size of each little-endian 24-byte record", "[replay][readers]") {
  const auto path = write_file("two.bin", oracle_record(1, 42, 4096, 2) + oracle_record(2, 0x0102030405060708ull,
                                                                                          0xfffffffful, -1));
  CHECK(read_all(path, trace_format::oracle_general) ==
        requests{{42, 4096}, {0x0102030405060708ull, 0xfffffffful}});
  CHECK(read_all(write_file("empty.bin", ""), trace_format::oracle_general).empty());
}

TEST_CASE("oracle-general: records of size 0 are skipped and counted, as libCacheSim skips them",
          "[replay][readers]") {
  const auto path =
    write_file("zero.bin", oracle_record(1, 1, 512, -1) + oracle_record(2, 2, 0, -1) + oracle_record(3, 3, 8, -1));
  auto reader = open_trace(path, trace_format::oracle_general);
  request r;
  REQUIRE(reader->next(r));
  CHECK(r.key == 1);
  REQUIRE(reader->next(r));
  CHECK(r.key == 3);
  CHECK_FALSE(reader->next(r));
  CHECK(reader->skipped() == 1);
}

TEST_CASE("oracle-general: a truncated last record is an error at its byte offset", "[replay][readers]") {
  const auto path = write_file("truncated.bin", oracle_record(1, 1, 512, -1) + oracle_record(2, 2, 512, -1) +
                                                  oracle_record(3, 3, 512, -1).substr(0, 7));
  CHECK(error_of(path, trace_format::oracle_general) ==
        path + ": byte offset 48: truncated record: 7 of 24 bytes");
}

TEST_CASE("oracle-general: a record whose next access is not later is refused: another format read as it",
          "[replay][readers]") {
  // Text read as 24-byte records replayed as meaningless keys, with exit 0.
  const auto path = write_file("not_later.bin", oracle_record(1, 1, 512, 5) + oracle_record(2, 2, 512, 1));
  CHECK(error_of(path, trace_format::oracle_general) ==
        path + ": byte offset 24: record 1 (request 2) says its object is next asked for at request 1, not a later "
               "one: not an oracle-general trace?");
  // Requests count from 1, as in libCacheSim's files (cloudPhysicsIO's record 6 points to 19, and
  // record 18 holds its object): a record that points to itself is no later request either.
  const auto itself = write_file("itself.bin", oracle_record(1, 5, 100, 1) + oracle_record(2, 6, 100, -1));
  CHECK(error_of(itself, trace_format::oracle_general) ==
        itself + ": byte offset 0: record 0 (request 1) says its object is next asked for at request 1, not a later "
                 "one: not an oracle-general trace?");
  // A later request, but past what a trace holds: not "not a later one".
  const auto far = write_file("far.bin", oracle_record(1, 5, 100, std::int64_t{1} << 50));
  CHECK(error_of(far, trace_format::oracle_general) ==
        far + ": byte offset 0: record 0 (request 1) says its object is next asked for at request 1125899906842624, "
              "beyond 2^48 requests: not an oracle-general trace?");
  CHECK(read_all(write_file("next.bin", oracle_record(1, 5, 100, 2) + oracle_record(2, 5, 100, -1)),
                 trace_format::oracle_general) == requests{{5, 100}, {5, 100}});
  std::string text;
  for (int i = 1000; i < 1012; ++i)
    text += std::to_string(i) + "\n"; // `seq 1000 1011`: 60 bytes, two records and a part
  CHECK_THAT(error_of(write_file("text.bin", text.substr(0, 48)), trace_format::oracle_general),
             Catch::Contains("not an oracle-general trace?"));
}

TEST_CASE("lirs: one key per line, '*' lines, blank lines, CRLF and surrounding blanks are accepted",
          "[replay][readers]") {
  const auto path = write_file("keys.trace", "1\n*\n-2\r\n\n  3 \t\n*\r\n9223372036854775807\n4");
  CHECK(read_all(path, trace_format::lirs) ==
        requests{{1, 1}, {static_cast<std::uint64_t>(-2), 1}, {3, 1}, {9223372036854775807ull, 1}, {4, 1}});
}

TEST_CASE("lirs: a line that is not an integer key is an error at its line", "[replay][readers]") {
  const auto path = write_file("bad.trace", "1\n2\n\n3x\n4\n");
  CHECK(error_of(path, trace_format::lirs) == path + ":4: '3x' is not an integer key");
  const auto huge = write_file("huge.trace", "99999999999999999999\n");
  CHECK(error_of(huge, trace_format::lirs) ==
        huge + ":1: '99999999999999999999' is not an integer key (out of the 64-bit range)");
  const auto star = write_file("stars.trace", "**\n");
  CHECK(error_of(star, trace_format::lirs) == star + ":1: '**' is not an integer key");
}

TEST_CASE("lirs: a byte that is not printable is quoted in hex after a backslash", "[replay][readers]") {
  // A binary trace read as lirs: its NUL must not cut the message short.
  const auto path = write_file("binary.trace", std::string("7\nj\0\xff\\\n", 7));
  CHECK(error_of(path, trace_format::lirs) == path + ":2: 'j\\x00\\xff\\x5c' is not an integer key");
}

TEST_CASE("lirs: a very long line is quoted shortened", "[replay][readers]") {
  const auto path = write_file("long.trace", "7\n" + std::string(100000, '1') + "\n");
  CHECK(error_of(path, trace_format::lirs) == path + ":2: '" + std::string(40, '1') + "...' is not an integer key");
}

TEST_CASE("int32be: big-endian signed 32-bit keys, size 1", "[replay][readers]") {
  const auto path = write_file("keys.int32", big_endian32(5) + big_endian32(0x01020304) + big_endian32(-2));
  CHECK(read_all(path, trace_format::int32be) ==
        requests{{5, 1}, {0x01020304, 1}, {static_cast<std::uint64_t>(-2), 1}});
}

TEST_CASE("int32be: a truncated last key is an error at its byte offset", "[replay][readers]") {
  const auto path = write_file("truncated.int32", big_endian32(5) + big_endian32(6).substr(0, 3));
  CHECK(error_of(path, trace_format::int32be) == path + ": byte offset 4: truncated key: 3 of 4 bytes");
}

TEST_CASE("a missing file or a directory is refused with its name", "[replay][readers]") {
  const auto missing = (temp_dir() / "missing.bin").string();
  CHECK(error_of(missing, trace_format::oracle_general) == missing + ": cannot open: No such file or directory");
  CHECK(error_of(temp_dir().string(), trace_format::lirs) == temp_dir().string() + ": cannot open: it is a directory");
}
