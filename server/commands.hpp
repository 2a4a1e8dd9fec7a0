#pragma once
// The subcommands of the `strata` executable; each returns the process exit code.

#include <optional>
#include <string>
#include <vector>

namespace strata::server {

/// Prints the effective configuration of `path`, or every error; non-zero on error.
int check_config(const std::string& path);

/// Runs the deployment in `path`, with its HTTP API and its Redis protocol unless their
/// `server.*.enabled` is false, until SIGINT or SIGTERM; then stops accepting, drains the
/// requests in flight and returns 0. SIGHUP reloads the alert rules and the log level from `path`.
int serve(const std::string& path);

/// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread and the threads it starts, so that
/// only `serve`'s sigwait takes them: `main` calls it first thing for `strata serve`, so that a
/// SIGHUP sent while the server starts waits for it rather than killing it (one sent before `main`,
/// while the dynamic loader maps the libraries, still ends the process, as README.md says).
void block_serve_signals();

/// Renders the JSON snapshot in `snapshot_path` (as the json exporter writes it) as an HTML page,
/// to `output_path`, or to stdout when it is empty; 1, naming the file, if it cannot be read.
int dashboard(const std::string& snapshot_path, const std::string& output_path);

/// What `strata replay` was given.
struct replay_options {
  std::string trace;                   ///< the trace file (.gz and .xz are decompressed)
  std::string format;                  ///< oracle-general, lirs or int32be
  std::vector<std::string> capacities; ///< each replayed in the same pass over the trace
  std::string policy = "lru";          ///< lru, predictive or predictive-tinylfu
};

/// Replays a trace through the predictive layer at each capacity; prints one line per capacity
/// and ends with `RESULT miss_ratio` lines. 2 on a bad argument, 1 on unreadable or malformed
/// input or a layer that cannot be built.
int replay_trace(const replay_options& options);

/// Prints, as Markdown, the configuration schema of every plugin in `directories` (the default
/// plugin path when empty); 1 if a plugin file there was refused (after printing why).
int config_reference(const std::vector<std::string>& directories);

/// The snapshot file that the json exporter of the deployment in `path` writes (the first one in
/// snapshot mode with a file path); nullopt after printing why there is none.
std::optional<std::string> snapshot_file_of(const std::string& path);

} // namespace strata::server
