// The RESP2 request parser alone: frames, inline commands, limits and malformed input.
#include "resp_parser.hpp"
#include "resp_reply.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using strata::resp::parse_request;
using strata::resp::parse_status;
using strata::resp::parser_limits;

namespace {

using words = std::vector<std::string>;

std::vector<std::string> copy(const std::vector<std::string_view>& args) { return {args.begin(), args.end()}; }

/// Every request of `stream`, parsed as a server would: what the buffer holds after each chunk.
/// The stream arrives in pieces cut at `cuts` (byte offsets, increasing).
std::vector<words> parse_stream(const std::string& stream, const std::vector<std::size_t>& cuts,
                                const parser_limits& limits = {}) {
  std::vector<words> out;
  std::string buffer;
  std::vector<std::string_view> args;
  std::size_t from = 0;
  auto cuts_and_end = cuts;
  cuts_and_end.push_back(stream.size());
  for (const auto cut : cuts_and_end) {
    buffer.append(stream, from, cut - from);
    from = cut;
    for (;;) {
      const auto r = parse_request(buffer, limits, args);
      REQUIRE(r.status != parse_status::error);
      if (r.status == parse_status::incomplete)
        break;
      if (!args.empty())
        out.push_back(copy(args));
      buffer.erase(0, r.consumed);
    }
  }
  CHECK(buffer.empty());
  return out;
}

std::string error_of(const std::string& input, const parser_limits& limits = {}) {
  std::vector<std::string_view> args;
  const auto r = parse_request(input, limits, args);
  return r.status == parse_status::error ? r.error : "(no error)";
}

parse_status status_of(const std::string& input, const parser_limits& limits = {}) {
  std::vector<std::string_view> args;
  return parse_request(input, limits, args).status;
}

} // namespace

TEST_CASE("a RESP array of bulk strings is one request, its arguments views into the buffer", "[resp][unit]") {
  const std::string input = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n*1\r\n$4\r\nPING\r\n";
  std::vector<std::string_view> args;
  const auto r = parse_request(input, {}, args);
  REQUIRE(r.status == parse_status::complete);
  CHECK(r.consumed == input.find("*1"));
  CHECK(copy(args) == words{"SET", "k", "value"});
  CHECK(args[2].data() == input.data() + input.find("value"));
}

TEST_CASE("bulk strings are binary-safe and may be empty", "[resp][unit]") {
  const std::string value("a\r\nb\0c", 6);
  const std::string input = "*3\r\n$3\r\nSET\r\n$0\r\n\r\n$6\r\n" + value + "\r\n";
  CHECK(parse_stream(input, {}) == std::vector<words>{{"SET", "", value}});
}

TEST_CASE("inline commands are split on whitespace, with or without CR", "[resp][unit]") {
  CHECK(parse_stream("PING\r\nGET  key\t\r\nSET k v\n\r\n\n", {}) ==
        std::vector<words>{{"PING"}, {"GET", "key"}, {"SET", "k", "v"}});
}

TEST_CASE("a pipeline split at every byte boundary parses to the same requests", "[resp][unit]") {
  const std::string stream = "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$10\r\n0123456789\r\n"
                             "PING\r\n*0\r\n*-1\r\n*1\r\n$4\r\nINFO\r\n";
  const std::vector<words> expected{{"GET", "key"}, {"SET", "key", "0123456789"}, {"PING"}, {"INFO"}};
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    INFO("cut at " << cut);
    CHECK(parse_stream(stream, {cut}) == expected);
  }
  std::vector<std::size_t> every_byte;
  for (std::size_t i = 1; i < stream.size(); ++i)
    every_byte.push_back(i);
  CHECK(parse_stream(stream, every_byte) == expected);
}

TEST_CASE("a request cut short is incomplete at every prefix", "[resp][unit]") {
  const std::string frame = "*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n";
  for (std::size_t n = 0; n < frame.size(); ++n) {
    INFO("prefix of " << n << " bytes");
    CHECK(status_of(frame.substr(0, n)) == parse_status::incomplete);
  }
  CHECK(status_of(frame) == parse_status::complete);
}

TEST_CASE("an empty or null array asks for nothing and is skipped, as Redis does", "[resp][unit]") {
  std::vector<std::string_view> args{"stale"};
  const auto r = parse_request("*0\r\nPING\r\n", {}, args);
  CHECK(r.status == parse_status::complete);
  CHECK(r.consumed == 4);
  CHECK(args.empty());
  CHECK(parse_stream("*-1\r\n*0\r\n", {}).empty());
  CHECK(parse_stream("*-10\r\n*-2\r\n", {}).empty()); // any length below 0, as Redis's own test sends
}

TEST_CASE("negative bulk and malformed lengths are protocol errors", "[resp][unit]") {
  CHECK(error_of("*abc\r\n") == "Protocol error: invalid multibulk length");
  CHECK(error_of("*\r\n") == "Protocol error: invalid multibulk length");
  CHECK(error_of("*1\r\n$-1\r\n") == "Protocol error: invalid bulk length");
  CHECK(error_of("*1\r\n$-5\r\n") == "Protocol error: invalid bulk length");
  CHECK(error_of("*1\r\n$3x\r\n") == "Protocol error: invalid bulk length");
  // Numbers as Redis reads them: no leading zero, no "-0" (these were read as 4, 1 and 0).
  CHECK(error_of("*1\r\n$04\r\nPING\r\n") == "Protocol error: invalid bulk length");
  CHECK(error_of("*01\r\n$4\r\nPING\r\n") == "Protocol error: invalid multibulk length");
  CHECK(error_of("*1\r\n$-0\r\n\r\n") == "Protocol error: invalid bulk length");
  CHECK(error_of("*1\r\n$99999999999999999999\r\n") == "Protocol error: invalid bulk length");
}

TEST_CASE("nested arrays and other types inside a request are refused", "[resp][unit]") {
  CHECK(error_of("*1\r\n*1\r\n$1\r\na\r\n") == "Protocol error: expected '$', got '*'");
  CHECK(error_of("*2\r\n$1\r\na\r\n:5\r\n") == "Protocol error: expected '$', got ':'");
  CHECK(error_of("*1\r\n+OK\r\n") == "Protocol error: expected '$', got '+'");
}

TEST_CASE("a missing or misplaced CRLF is a protocol error", "[resp][unit]") {
  CHECK(error_of("*1\r\n$3\r\nabcX\r\n") == "Protocol error: expected '\\r\\n' after a bulk string of 3 bytes");
  CHECK(error_of("*1\r\n$3\r\nabc\rX") == "Protocol error: expected '\\r\\n' after a bulk string of 3 bytes");
  CHECK(error_of("*1\rX") == "Protocol error: expected '\\n' after '\\r' in the multibulk count");
  CHECK(error_of("*1\r\n$3\rX") == "Protocol error: expected '\\n' after '\\r' in a bulk length");
  // A CR at the very end may still be followed by LF.
  CHECK(status_of("*1\r") == parse_status::incomplete);
  CHECK(status_of("*1\r\n$3\r\nabc\r") == parse_status::incomplete);
}

TEST_CASE("a bulk string longer than max_bulk is refused from its header, before its data arrives", "[resp][unit]") {
  parser_limits limits;
  limits.max_bulk = 16;
  CHECK(status_of("*1\r\n$16\r\n0123456789abcdef\r\n", limits) == parse_status::complete);
  CHECK(error_of("*1\r\n$17\r\n", limits) == "Protocol error: invalid bulk length");
}

TEST_CASE("inline requests and header lines longer than max_inline are refused", "[resp][unit]") {
  parser_limits limits;
  limits.max_inline = 32;
  CHECK(status_of(std::string(32, 'a'), limits) == parse_status::incomplete);
  CHECK(error_of(std::string(33, 'a'), limits) == "Protocol error: too big inline request");
  CHECK(error_of(std::string(40, 'a') + "\n", limits) == "Protocol error: too big inline request");
  CHECK(error_of("*" + std::string(40, '1'), limits) == "Protocol error: too big mbulk count string");
  CHECK(error_of("*1\r\n$" + std::string(40, '1'), limits) == "Protocol error: too big bulk count string");
}

TEST_CASE("a request with more arguments than max_args is refused", "[resp][unit]") {
  parser_limits limits;
  limits.max_args = 2;
  CHECK(status_of("*2\r\n$1\r\na\r\n$1\r\nb\r\n", limits) == parse_status::complete);
  CHECK(error_of("*3\r\n", limits) == "Protocol error: invalid multibulk length");
  CHECK(error_of("a b c\r\n", limits) == "Protocol error: too many arguments in inline request");
}

TEST_CASE("replies are written in RESP2", "[resp][unit]") {
  std::string out;
  strata::resp::append_simple(out, "OK");
  strata::resp::append_error(out, "ERR bad\r\nthing");
  strata::resp::append_integer(out, -42);
  strata::resp::append_bulk(out, std::string("a\0b", 3));
  strata::resp::append_null(out);
  strata::resp::append_array_header(out, 2);
  CHECK(out == std::string("+OK\r\n-ERR bad  thing\r\n:-42\r\n$3\r\na\0b\r\n$-1\r\n*2\r\n", 46));
}
