#include "served_defaults.hpp"

#include <strata/runtime.hpp>

namespace strata::server {

std::string refused_as_served(const config& cfg) {
  if (cfg.positions.count("server") != 0)
    return {};
  config served = cfg;
  served.positions["server"] = {}; // what validate() takes for a file that names its front ends
  const auto report = validate(std::move(served));
  if (report.ok())
    return {};
  return "without a server section, strata serve listens on server.http.address " + cfg.server.http.address +
         " and server.resp.address " + cfg.server.resp.address + ", the defaults:\n" + report.message();
}

} // namespace strata::server
