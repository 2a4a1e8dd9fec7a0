#pragma once
/// @file datagrams.hpp
/// Packing StatsD lines into datagrams.

#include <cstddef>
#include <string>
#include <vector>

namespace strata::exporters::statsd {

/// `units` in order, joined by '\n' into datagrams of at most `max_size` bytes. A unit (one line,
/// or lines that must travel together) is never split; one longer than `max_size` travels alone.
std::vector<std::string> pack(const std::vector<std::string>& units, std::size_t max_size);

} // namespace strata::exporters::statsd
