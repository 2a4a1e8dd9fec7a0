#pragma once
// Where two deployments differ, by key path: what a reload reports as needing a restart.

#include <strata/config.hpp>

#include <string>
#include <vector>

namespace strata::detail {

/// The key paths (`server.resp.address`, `layers`) whose values differ between `a` and `b`, as
/// `to_yaml` writes them; maps are compared key by key, sequences as a whole.
std::vector<std::string> config_differences(const config& a, const config& b);

} // namespace strata::detail
