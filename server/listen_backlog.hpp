#pragma once

namespace strata::server {

/// The backlog of the HTTP and Redis listening sockets (Redis's tcp-backlog; the kernel caps it
/// at net.core.somaxconn). cpp-httplib's own, 5, reset connections of a burst of new clients
/// ("Possible SYN flooding").
constexpr int listen_backlog = 511;

} // namespace strata::server
