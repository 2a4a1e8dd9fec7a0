#pragma once
// What `strata serve` refuses beyond what check_config_file does: the front ends' default
// addresses, for a file without a server section.

#include <strata/config.hpp>

#include <string>

namespace strata::server {

/// The errors, one a line and each with its position, that `cfg` has once served: a file without
/// a server section may be embedded, where the front ends do not run, so check_config_file does
/// not count their default addresses (an exporter on 127.0.0.1:8080 is no clash there); served,
/// they are taken. Led by a line saying so; empty when `cfg` has a server section or nothing more.
std::string refused_as_served(const config& cfg);

} // namespace strata::server
