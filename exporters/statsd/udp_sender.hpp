#pragma once
/// @file udp_sender.hpp
/// A UDP socket connected to one StatsD server.

#include <cstdint>
#include <string>
#include <string_view>

namespace strata::exporters::statsd {

/// Connected rather than sending to an address each time: the name is resolved once, and a
/// server that is not listening ("port unreachable") shows up as an error on a later send instead
/// of datagrams vanishing without a trace.
class udp_sender {
public:
  /// Throws std::runtime_error naming `host` when it does not resolve or cannot be connected to.
  udp_sender(const std::string& host, std::uint16_t port);
  ~udp_sender();
  udp_sender(const udp_sender&) = delete;
  udp_sender& operator=(const udp_sender&) = delete;

  /// Sends one datagram; 0, or the errno of the failure.
  int send(std::string_view datagram) noexcept;

private:
  int fd_ = -1;
};

} // namespace strata::exporters::statsd
