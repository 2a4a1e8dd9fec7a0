#pragma once
/// @file statsd_text.hpp
/// The pieces of a StatsD line: names and tags made safe for the protocol, and numbers.

#include <string>
#include <string_view>

namespace strata::exporters::statsd {

/// `text` with every character the protocol gives a meaning to (':', '|', '@', '#', ','), every
/// space and every control character (newline included) replaced by '_'.
std::string sanitise(std::string_view text);

/// As `sanitise`, and '.' replaced too: a label value folded into a dotted name must stay one
/// segment of it.
std::string name_segment(std::string_view text);

/// The shortest decimal text that reads back as `value`: "30", "0.5", "1e-06".
std::string format_number(double value);

/// `name` without `suffix` when it ends with it.
std::string_view without_suffix(std::string_view name, std::string_view suffix);

} // namespace strata::exporters::statsd
