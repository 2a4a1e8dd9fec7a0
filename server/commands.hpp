#pragma once
// The subcommands of the `strata` executable; each returns the process exit code.

#include <string>

namespace strata::server {

/// Prints the effective configuration of `path`, or every error; non-zero on error.
int check_config(const std::string& path);

/// Runs the deployment in `path` until SIGINT or SIGTERM, then drains and exits 0.
int serve(const std::string& path);

} // namespace strata::server
