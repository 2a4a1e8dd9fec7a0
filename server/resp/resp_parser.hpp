#pragma once
// The RESP2 request parser: one request at the start of a buffer, as an array of bulk strings
// (what clients send) or an inline line (what telnet and redis-cli's inline mode send). No
// allocation beyond the argument list, no state between calls: the arguments are views into the
// caller's buffer, and an incomplete request is parsed again once more bytes have arrived.
// Depends on nothing but the standard library, so that the fuzzer builds it alone.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace strata::resp {

/// Bounds a request must respect; the defaults are Redis's own.
struct parser_limits {
  std::size_t max_bulk = 512 * 1024 * 1024; ///< bytes of one bulk string
  std::size_t max_inline = 64 * 1024;       ///< bytes of an inline request, or of a `*`/`$` header line
  std::size_t max_args = 1024 * 1024;       ///< arguments of one request
};

enum class parse_status {
  complete,   ///< a request of `consumed` bytes is in `args` (empty for a blank line or `*0`)
  incomplete, ///< more bytes are needed; nothing was consumed
  error,      ///< the stream is malformed at this point and cannot be resynchronised
};

struct parse_result {
  parse_status status = parse_status::incomplete;
  std::size_t consumed = 0; ///< bytes of the request when complete
  std::string error;        ///< when status is error: what is wrong, as Redis words it ("Protocol error: ...")
};

/// Parses the request at the start of `input`. On `complete`, `args` holds its arguments as
/// views into `input` (valid while `input` is); otherwise `args` is unspecified.
parse_result parse_request(std::string_view input, const parser_limits& limits, std::vector<std::string_view>& args);

} // namespace strata::resp
