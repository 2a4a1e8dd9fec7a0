#include <strata/replay/trace_reader.hpp>

#include "readers.hpp"

namespace strata::replay {

std::string_view name_of(trace_format format) noexcept {
  switch (format) {
  case trace_format::oracle_general: return "oracle-general";
  case trace_format::lirs: return "lirs";
  case trace_format::int32be: return "int32be";
  }
  return "unknown";
}

std::optional<trace_format> parse_format(std::string_view name) noexcept {
  for (auto format : {trace_format::oracle_general, trace_format::lirs, trace_format::int32be})
    if (name == name_of(format))
      return format;
  return std::nullopt;
}

std::unique_ptr<trace_reader> open_trace(const std::string& path, trace_format format) {
  auto in = std::make_unique<detail::input>(path, detail::open_bytes(path));
  switch (format) {
  case trace_format::oracle_general: return detail::make_oracle_general_reader(std::move(in));
  case trace_format::lirs: return detail::make_lirs_reader(std::move(in));
  case trace_format::int32be: return detail::make_int32be_reader(std::move(in));
  }
  throw trace_error(path + ": unknown trace format");
}

} // namespace strata::replay
