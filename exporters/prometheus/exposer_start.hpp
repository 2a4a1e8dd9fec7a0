#pragma once
/// @file exposer_start.hpp
/// Starts prometheus-cpp's HTTP server and, when it cannot, says why.

#include <prometheus/exposer.h>

#include <memory>
#include <string>

namespace strata::exporters {

/// An Exposer listening on `address` ("127.0.0.1:9464", port 0 for any free port; the exporter's
/// check refuses civetweb's other forms, and IPv6, which Debian's civetweb is built without). Throws std::runtime_error naming the address and civetweb's reason, such
/// as "Address already in use".
std::unique_ptr<prometheus::Exposer> start_exposer(const std::string& address);

} // namespace strata::exporters
