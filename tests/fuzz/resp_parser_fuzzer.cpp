// libFuzzer target for the RESP request parser: any bytes, parsed as a server reads them. Checks
// that the parser never reads outside its input, that a complete request consumes bytes and its
// arguments lie inside what it consumed, and that the same stream cut in two anywhere parses to
// the same requests and the same error (the parser keeps no state between calls).
#include "resp_parser.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace {

using strata::resp::parse_request;
using strata::resp::parse_status;

struct outcome {
  std::vector<std::vector<std::string>> requests;
  std::string error;
  bool operator==(const outcome& o) const { return requests == o.requests && error == o.error; }
};

void check(bool condition) {
  if (!condition)
    __builtin_trap();
}

/// Parses `stream` as it arrives in two pieces, the first `cut` bytes long.
outcome parse_stream(std::string_view stream, std::size_t cut, const strata::resp::parser_limits& limits) {
  outcome out;
  std::string buffer;
  std::vector<std::string_view> args;
  for (const auto piece : {stream.substr(0, cut), stream.substr(cut)}) {
    buffer.append(piece);
    for (;;) {
      const auto r = parse_request(buffer, limits, args);
      if (r.status == parse_status::error) {
        check(!r.error.empty());
        out.error = r.error;
        return out;
      }
      if (r.status == parse_status::incomplete)
        break;
      check(r.consumed > 0 && r.consumed <= buffer.size());
      check(args.size() <= limits.max_args);
      std::vector<std::string> copied;
      for (const auto a : args) {
        check(a.data() >= buffer.data() && a.data() + a.size() <= buffer.data() + r.consumed);
        check(a.size() <= limits.max_bulk || a.size() <= limits.max_inline);
        copied.emplace_back(a);
      }
      if (!copied.empty())
        out.requests.push_back(std::move(copied));
      buffer.erase(0, r.consumed);
    }
  }
  return out;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  strata::resp::parser_limits limits;
  limits.max_bulk = 4096;
  limits.max_inline = 512;
  limits.max_args = 64;
  const std::string_view stream(reinterpret_cast<const char*>(data), size);
  const auto whole = parse_stream(stream, size, limits);
  // A cut somewhere inside, chosen by the input itself.
  const std::size_t cut = size == 0 ? 0 : (data[0] * 131u + data[size - 1]) % (size + 1);
  const auto split = parse_stream(stream, cut, limits);
  // An error may be found earlier with less input (an oversize header, say), but never a different
  // set of requests before it.
  check(whole.requests == split.requests || (!whole.error.empty() && !split.error.empty()));
  check(whole.error.empty() == split.error.empty());
  return 0;
}
