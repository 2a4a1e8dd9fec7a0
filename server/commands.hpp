#pragma once
// The subcommands of the `strata` executable; each returns the process exit code.

#include <string>

namespace strata::server {

/// Prints the effective configuration of `path`, or every error; non-zero on error.
int check_config(const std::string& path);

/// Runs the deployment in `path` until SIGINT or SIGTERM, then drains and exits 0.
int serve(const std::string& path);

/// Renders the JSON snapshot in `snapshot_path` (as the json exporter writes it) as an HTML page,
/// to `output_path`, or to stdout when it is empty; 1, naming the file, if it cannot be read.
int dashboard(const std::string& snapshot_path, const std::string& output_path);

} // namespace strata::server
