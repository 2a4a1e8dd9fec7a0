// The LIRS paper's traces: text, one integer key per line. Lines that are `*` (markers between
// phases) and blank lines are skipped, as the simulators that publish figures on them do; CRLF
// line ends and surrounding blanks are accepted.
#include "readers.hpp"

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace strata::replay::detail {

namespace {

/// Longer than any 64-bit integer with its sign: what is kept of a line for parsing and messages.
constexpr std::size_t kept_length = 40;

bool is_blank(char c) noexcept { return c == ' ' || c == '\t' || c == '\r'; }

/// `text` as it can be quoted in a message: a byte that is not printable ASCII (a binary file
/// given as `lirs`, say) is written \xNN, so that a NUL does not end the message.
std::string quoted(std::string_view text) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte < 0x7f && byte != '\\') {
      out.push_back(c);
    } else {
      out += "\\x";
      out.push_back(digits[byte >> 4]);
      out.push_back(digits[byte & 0xf]);
    }
  }
  return out;
}

class lirs_reader : public trace_reader {
public:
  explicit lirs_reader(std::unique_ptr<input> in) : in_(std::move(in)) {}

  bool next(request& out) override {
    while (read_line()) {
      std::size_t begin = 0, end = line_.size();
      while (begin < end && is_blank(line_[begin])) ++begin;
      while (end > begin && is_blank(line_[end - 1])) --end;
      if (begin == end || (end - begin == 1 && line_[begin] == '*'))
        continue;
      std::int64_t key = 0;
      const char* first = line_.data() + begin;
      const char* last = line_.data() + end;
      const auto [stop, ec] = std::from_chars(first, last, key);
      if (truncated_ || ec != std::errc() || stop != last)
        throw trace_error(in_->path() + ":" + std::to_string(line_number_) + ": '" +
                          quoted(std::string_view(first, static_cast<std::size_t>(last - first))) +
                          (truncated_ ? "...'" : "'") + " is not an integer key" +
                          (!truncated_ && ec == std::errc::result_out_of_range ? " (out of the 64-bit range)" : ""));
      out.key = static_cast<std::uint64_t>(key);
      out.size = 1;
      return true;
    }
    return false;
  }

private:
  /// The next line, without its '\n', into `line_` (at most `kept_length` bytes of it); false at the
  /// end of the data.
  bool read_line() {
    line_.clear();
    truncated_ = false;
    int c = in_->get();
    if (c < 0)
      return false;
    ++line_number_;
    for (; c >= 0 && c != '\n'; c = in_->get()) {
      if (line_.size() < kept_length)
        line_.push_back(static_cast<char>(c));
      else
        truncated_ = true;
    }
    return true;
  }

  std::unique_ptr<input> in_;
  std::string line_;
  bool truncated_ = false;
  std::uint64_t line_number_ = 0;
};

} // namespace

std::unique_ptr<trace_reader> make_lirs_reader(std::unique_ptr<input> in) {
  return std::make_unique<lirs_reader>(std::move(in));
}

} // namespace strata::replay::detail
