#pragma once
// RESP2 replies, appended to an output buffer.

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::resp {

/// `+text\r\n`; `text` must not contain CR or LF.
inline void append_simple(std::string& out, std::string_view text) {
  out.push_back('+');
  out.append(text);
  out.append("\r\n");
}

/// `-text\r\n`, such as "ERR unknown command 'FOO'"; CR and LF in `text` become spaces, since
/// an error is one line.
inline void append_error(std::string& out, std::string_view text) {
  out.push_back('-');
  for (const char c : text)
    out.push_back(c == '\r' || c == '\n' ? ' ' : c);
  out.append("\r\n");
}

inline void append_number(std::string& out, char type, std::int64_t value) {
  char digits[24];
  digits[0] = type;
  const auto end = std::to_chars(digits + 1, digits + sizeof digits - 2, value).ptr;
  end[0] = '\r';
  end[1] = '\n';
  out.append(digits, static_cast<std::size_t>(end + 2 - digits));
}

/// `:value\r\n`
inline void append_integer(std::string& out, std::int64_t value) { append_number(out, ':', value); }

/// `$length\r\ndata\r\n`
inline void append_bulk(std::string& out, std::string_view data) {
  append_number(out, '$', static_cast<std::int64_t>(data.size()));
  out.append(data);
  out.append("\r\n");
}

/// `$-1\r\n`: a key that does not exist.
inline void append_null(std::string& out) { out.append("$-1\r\n"); }

/// `*-1\r\n`: no such entry (COMMAND INFO of an unknown command).
inline void append_null_array(std::string& out) { out.append("*-1\r\n"); }

/// `*count\r\n`, followed by `count` replies.
inline void append_array_header(std::string& out, std::size_t count) {
  append_number(out, '*', static_cast<std::int64_t>(count));
}

} // namespace strata::resp
