// strata: run and check Strata deployments.
#include "commands.hpp"

#include <strata/fatal_signal.hpp>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>

namespace {

/// `code`, or 1 when what the command printed could not all be written (a full disk, an I/O
/// error): a report or a RESULT line lost must not pass for a success. (A reader that closed the
/// pipe ends the process by SIGPIPE, which a shell sees as a failure too.)
int with_output_written(int code, const std::string& command) {
  errno = 0;
  const bool flushed = std::fflush(stdout) == 0;
  if (flushed && !std::ferror(stdout))
    return code;
  std::cerr << "strata " << command << ": cannot write its output"
            << (!flushed && errno != 0 ? std::string(": ") + std::strerror(errno) : std::string()) << "\n";
  return code == 0 ? 1 : code;
}

} // namespace

int main(int argc, char** argv) {
  strata::install_fatal_signal_report(); // a plugin runs in this process: say which one faulted
  if (argc > 1 && std::string(argv[1]) == "serve")
    strata::server::block_serve_signals();
  CLI::App app{"strata: a multi-layer cache runtime"};
  app.require_subcommand(1);

  std::string check_path;
  auto* check = app.add_subcommand("check-config", "Validate a deployment and print its effective configuration");
  check->add_option("file", check_path, "deployment YAML")->required();

  std::string serve_path = "configs/default.yaml";
  auto* serve = app.add_subcommand("serve", "Run a deployment, its HTTP API and its Redis protocol until SIGINT or SIGTERM (SIGHUP reloads alert rules and log level)");
  serve->add_option("-c,--config", serve_path, "deployment YAML")->capture_default_str();

  std::string snapshot_path, deployment_path, output_path;
  auto* dashboard = app.add_subcommand("dashboard", "Render a JSON snapshot (from the json exporter) as an HTML page");
  auto* snapshot_option = dashboard->add_option("--snapshot", snapshot_path, "snapshot JSON file");
  dashboard->add_option("-c,--config", deployment_path,
                        "a deployment: its json exporter's snapshot file is read")->excludes(snapshot_option);
  dashboard->add_option("-o,--output", output_path, "HTML file to write (default: stdout)");

  strata::server::replay_options replay_options;
  auto* replay = app.add_subcommand("replay", "Replay a cache trace through the predictive layer and print its miss ratios");
  replay->add_option("--trace", replay_options.trace, "trace file; .gz and .xz are decompressed")->required();
  replay->add_option("--format", replay_options.format, "oracle-general, lirs or int32be")->required();
  replay->add_option("--capacity", replay_options.capacities,
                     "N[B|KB|MB|GB|TB|KiB|MiB|GiB|TiB] bytes (object sizes honoured) or Nentries; a comma-separated list "
                     "replays each in one pass")
    ->required(); // split by replay_trace, which refuses an empty item (CLI11's delimiter drops it)
  replay->add_option("--policy", replay_options.policy,
                     "lru (exact), predictive (the layer's defaults: follows a GreedyDual-Size or a W-TinyLFU "
                     "shadow, whichever has hit more; prefetch off), or predictive-tinylfu (W-TinyLFU alone: "
                     "adaptive_window false)")
    ->check(CLI::IsMember({"lru", "predictive", "predictive-tinylfu"}))
    ->capture_default_str();

  std::vector<std::string> reference_dirs;
  auto* reference = app.add_subcommand("config-reference",
                                       "Print the configuration keys every installed plugin declares (Markdown)");
  reference->add_option("--plugin-dir", reference_dirs,
                        "directories to list instead of the default plugin path (repeatable)")
    ->check(CLI::ExistingDirectory);

  // CLI11 answers an unknown command with "A subcommand is required", which does not name it.
  const auto known = [&app](const std::string& name) {
    for (const auto* command : app.get_subcommands({}))
      if (command->get_name() == name)
        return true;
    return false;
  };
  const std::string first = argc > 1 ? argv[1] : "";
  if (argc > 1 && first != "-h" && first != "--help" && !known(first)) {
    std::cerr << "strata: unknown " << (first[0] == '-' ? "option" : "command") << " '" << first << "'; commands:";
    for (const auto* command : app.get_subcommands({}))
      std::cerr << ' ' << command->get_name();
    std::cerr << " (strata --help)\n";
    return 2;
  }
  // CLI11 exits with codes of its own (105-120) that a script cannot tell from a failed run: a bad
  // command line exits 2, as the other refusals of the command line do.
  // The help to read is the command's: `strata replay --help` lists replay's options.
  const std::string help = known(first) ? "strata " + first + " --help" : "strata --help";
  app.failure_message([help](const CLI::App*, const CLI::Error& e) {
    return "strata: " + std::string(e.what()) + " (" + help + ")\n";
  });
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e); // prints the help for --help, the error otherwise
    return code == 0 ? 0 : 2;
  }
  if (reference->parsed())
    return with_output_written(strata::server::config_reference(reference_dirs), "config-reference");
  if (check->parsed())
    return with_output_written(strata::server::check_config(check_path), "check-config");
  if (replay->parsed())
    return with_output_written(strata::server::replay_trace(replay_options), "replay");
  if (dashboard->parsed()) {
    if (!deployment_path.empty()) {
      const auto found = strata::server::snapshot_file_of(deployment_path);
      if (!found)
        return 1;
      snapshot_path = *found;
    }
    if (snapshot_path.empty()) {
      std::cerr << "strata dashboard: give --snapshot FILE or -c DEPLOYMENT\n";
      return 2;
    }
    return with_output_written(strata::server::dashboard(snapshot_path, output_path), "dashboard");
  }
  if (serve->count("--config") == 0 && !std::filesystem::exists(serve_path)) {
    // An installed strata run outside the source tree: say where the installed copy is.
    std::error_code ec;
    const auto installed =
      std::filesystem::canonical("/proc/self/exe", ec).parent_path().parent_path() / "share/strata/configs/default.yaml";
    std::cerr << "strata serve: no " << serve_path << " under the working directory; give -c FILE";
    if (!ec && std::filesystem::exists(installed))
      std::cerr << " (the installed default: -c " << installed.string() << ")";
    std::cerr << "\n";
    return 1;
  }
  return strata::server::serve(serve_path);
}
