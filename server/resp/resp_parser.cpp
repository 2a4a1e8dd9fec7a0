#include "resp_parser.hpp"

#include <algorithm>
#include <cstdint>

namespace strata::resp {
namespace {

parse_result fail(std::string why) { return {parse_status::error, 0, "Protocol error: " + std::move(why)}; }

parse_result incomplete() { return {}; }

/// Where the line that starts at `from` ends (the index of its '\r'), or npos while it is
/// incomplete; `bad` is set when a '\r' is followed by something other than '\n'.
std::size_t line_end(std::string_view input, std::size_t from, bool& bad) {
  const auto cr = input.find('\r', from);
  if (cr == std::string_view::npos || cr + 1 >= input.size())
    return std::string_view::npos;
  bad = input[cr + 1] != '\n';
  return cr;
}

/// A decimal integer with an optional '-': the whole of `text`, or false. As Redis reads one: no
/// leading zero ("$04"), no "-0" (which it refuses, and this took for 0).
bool parse_length(std::string_view text, std::int64_t& out) {
  bool negative = false;
  if (!text.empty() && text.front() == '-') {
    negative = true;
    text.remove_prefix(1);
  }
  if (text.empty() || text.size() > 18 || (text.front() == '0' && (text.size() > 1 || negative)))
    return false;
  std::int64_t value = 0;
  for (const char c : text) {
    if (c < '0' || c > '9')
      return false;
    value = value * 10 + (c - '0');
  }
  out = negative ? -value : value;
  return true;
}

/// Whitespace-separated words of one line; quotes are not interpreted.
parse_result parse_inline(std::string_view input, const parser_limits& limits, std::vector<std::string_view>& args) {
  const auto newline = input.find('\n');
  if (newline == std::string_view::npos) {
    if (input.size() > limits.max_inline)
      return fail("too big inline request");
    return incomplete();
  }
  if (newline > limits.max_inline)
    return fail("too big inline request");
  auto line = input.substr(0, newline);
  if (!line.empty() && line.back() == '\r')
    line.remove_suffix(1);
  const auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; };
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && space(line[i]))
      ++i;
    const auto start = i;
    while (i < line.size() && !space(line[i]))
      ++i;
    if (i > start) {
      if (args.size() == limits.max_args)
        return fail("too many arguments in inline request");
      args.push_back(line.substr(start, i - start));
    }
  }
  return {parse_status::complete, newline + 1, {}};
}

} // namespace

parse_result parse_request(std::string_view input, const parser_limits& limits, std::vector<std::string_view>& args) {
  args.clear();
  if (input.empty())
    return incomplete();
  if (input.front() != '*')
    return parse_inline(input, limits, args);

  bool bad = false;
  auto end = line_end(input, 1, bad);
  if (end == std::string_view::npos) {
    if (input.size() > limits.max_inline)
      return fail("too big mbulk count string");
    return incomplete();
  }
  if (bad)
    return fail("expected '\\n' after '\\r' in the multibulk count");
  std::int64_t count = 0;
  if (end - 1 > limits.max_inline || !parse_length(input.substr(1, end - 1), count))
    return fail("invalid multibulk length");
  std::size_t at = end + 2;
  // A null, empty or negative array asks for nothing; Redis skips it without a reply.
  if (count <= 0)
    return {parse_status::complete, at, {}};
  if (static_cast<std::uint64_t>(count) > limits.max_args)
    return fail("invalid multibulk length");
  args.reserve(std::min<std::size_t>(static_cast<std::size_t>(count), 64));
  for (std::int64_t n = 0; n < count; ++n) {
    if (at >= input.size())
      return incomplete();
    if (input[at] != '$')
      return fail(std::string("expected '$', got '") + input[at] + "'");
    end = line_end(input, at + 1, bad);
    if (end == std::string_view::npos) {
      if (input.size() - at > limits.max_inline)
        return fail("too big bulk count string");
      return incomplete();
    }
    if (bad)
      return fail("expected '\\n' after '\\r' in a bulk length");
    std::int64_t length = 0;
    if (end - at - 1 > limits.max_inline || !parse_length(input.substr(at + 1, end - at - 1), length) || length < 0 ||
        static_cast<std::uint64_t>(length) > limits.max_bulk)
      return fail("invalid bulk length");
    at = end + 2;
    const auto size = static_cast<std::size_t>(length);
    if (input.size() - at < size + 2)
      return incomplete();
    if (input[at + size] != '\r' || input[at + size + 1] != '\n')
      return fail("expected '\\r\\n' after a bulk string of " + std::to_string(size) + " bytes");
    args.push_back(input.substr(at, size));
    at += size + 2;
  }
  return {parse_status::complete, at, {}};
}

} // namespace strata::resp
