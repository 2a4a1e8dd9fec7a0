/// @file json_exporter.cpp
/// The `json` exporter plugin: writes each telemetry snapshot as JSON (format: snapshot_json.hpp)
/// to a file that is replaced atomically, to a file of JSON lines, or to standard output.

#include "file_output.hpp"
#include "snapshot_json.hpp"

#include <strata/paced_lines.hpp>
#include <strata/sdk.hpp>

#include <chrono>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>

namespace strata::exporters {
namespace {

enum class output_mode { snapshot, lines };

output_mode mode_of(const std::string& text) {
  if (text == "snapshot")
    return output_mode::snapshot;
  if (text == "lines")
    return output_mode::lines;
  throw std::invalid_argument("mode: '" + text + "' is not one of snapshot, lines");
}

/// Refuses a file at `path` that holds something other than JSON (`foreign_content`): a snapshot
/// replaced the global layer's SQLite database given the same path, and lines appended to it
/// (audit). At start (invalid_argument), and before each publish (runtime_error: counted, logged,
/// the file left as it is): such a file may come after the start.
template <class Error = std::runtime_error>
void refuse_foreign(const std::string& path, output_mode mode) {
  if (const auto begins = foreign_content(path); !begins.empty())
    throw Error("path: '" + path + "' holds something other than JSON (it begins " + begins + "), which " +
                (mode == output_mode::snapshot ? "a snapshot would replace" : "lines would be appended to") +
                ": name another file, or remove it if it is an old output");
}

/// Refuses at start-up what would make every publish fail, so that a typo, or a directory the
/// process may not write, is seen at once rather than as an error at every publish.
void check_target(const std::string& path, output_mode mode) {
  namespace fs = std::filesystem;
  const fs::path target(path);
  const fs::path directory = target.has_parent_path() ? target.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(directory, ec))
    throw std::invalid_argument("path: the directory of '" + path + "' (" + directory.string() +
                                ") does not exist");
  if (fs::is_directory(target, ec))
    throw std::invalid_argument("path: '" + path + "' is a directory; name a file in it");
  // A snapshot is renamed over the path: a link (/dev/stdout) or a device would be replaced by a
  // regular file, not written to (audit: /dev/stdout, run as root, became a file in /dev).
  const auto status = fs::symlink_status(target, ec);
  if (mode == output_mode::snapshot && fs::exists(status) && !fs::is_regular_file(status))
    throw std::invalid_argument("path: '" + path + "' is not a regular file (" +
                                (fs::is_symlink(status) ? "a symbolic link" : "a device, pipe or socket") +
                                "), and a snapshot replaces the file at each publish: name a regular file, write '-' "
                                "for standard output, or use mode: lines to append to it");
  refuse_foreign<std::invalid_argument>(path, mode);
  // Lines append to the file itself, which may be writable in a directory that is not; a
  // snapshot, or a file not there yet, needs a new file in the directory.
  if (mode == output_mode::lines && fs::exists(target, ec)) {
    try {
      check_can_append(path);
    } catch (const std::system_error& e) {
      throw std::invalid_argument("path: '" + path + "' cannot be appended to: " + e.code().message());
    }
    return;
  }
  try {
    check_can_create_beside(path);
  } catch (const std::system_error& e) {
    throw std::invalid_argument("path: the directory of '" + path + "' (" + directory.string() +
                                ") is not writable: " + e.code().message());
  }
}

class json_exporter : public exporter {
public:
  /// What the schema cannot say: the mode's name. (Whether the path's directory exists and is
  /// writable is checked at start: it may not exist, or be another, where the file is checked.)
  static void check_config(const plugin_config& config) {
    if (config.get_string("path").empty())
      throw std::invalid_argument("path: empty; name a file, or '-' for standard output");
    mode_of(config.get_string("mode"));
  }

  /// A JSON line must stay on one line: `pretty` is for snapshots only (ABI 1.8).
  static constexpr strata_key_condition key_conditions[] = {{"pretty", "mode", "snapshot"}};

  explicit json_exporter(const exporter_context& context)
      : path_(context.config.get_string("path")),
        mode_(mode_of(context.config.get_string("mode"))),
        pretty_(context.config.get_bool("pretty")),
        interval_(std::chrono::ceil<std::chrono::milliseconds>(context.config.get_duration("interval"))),
        host_(context.host),
        // The host adds the `exporter` label naming this instance.
        errors_(host_.counter("strata_exporter_errors_total", "Exports that failed.")) {
    check_config(context.config);
    if (path_ != "-")
      check_target(path_, mode_);
    host_.log(log_level::info, where() + " every " + std::to_string(interval_.count()) + " ms");
  }

  /// The failed publishes held back since the last line: no line comes after the stop.
  ~json_exporter() override {
    if (const auto untold = lines_logged_.untold(); untold > 0)
      host_.log(log_level::warn, std::to_string(untold) + " more failed publishes to " + target() +
                                   " since the last line, not logged before the stop");
  }

  std::chrono::milliseconds push_interval() const override { return interval_; }

  /// Safe to call concurrently with itself (schedule and export_now): see file_output.hpp.
  void publish(const telemetry_snapshot& snapshot) override {
    try {
      write(telemetry::to_json_text(snapshot, pretty_) + '\n');
    } catch (const std::exception& e) {
      // A full disk or a removed directory must not stop the runtime: tell, count, try next time.
      errors_.inc();
      failed(e.what());
      return;
    }
    succeeded();
  }

private:
  /// Logs a failed publish, one line a second at most, the next saying how many were not logged,
  /// as the runtime logs an exporter that throws: a short interval would otherwise log a line per
  /// publish for as long as the fault lasts.
  void failed(const std::string& why) {
    std::lock_guard<std::mutex> guard(log_mutex_);
    if (const auto held = lines_logged_.failure())
      host_.log(log_level::error, "publish failed: " + why +
                                    (*held > 0 ? "; " + std::to_string(*held) + " more failed publishes since the last line" : ""));
  }

  /// A success after failures says so, with the failures held back since the last line (without
  /// it, those were never told when no later failure came).
  void succeeded() {
    std::lock_guard<std::mutex> guard(log_mutex_);
    if (const auto held = lines_logged_.success())
      host_.log(log_level::info,
                "writing " + target() + " again" +
                  (*held > 0 ? " (" + std::to_string(*held) + " more failed publishes since the last line)" : ""));
  }

  /// Where each publish goes, for the start's log line: an operator looks there for the file.
  std::string where() const {
    if (path_ == "-")
      return "writing snapshots to standard output";
    if (mode_ == output_mode::snapshot)
      return "replacing " + path_ + " with a snapshot";
    return "appending a JSON line to " + path_;
  }

  std::string target() const { return path_ == "-" ? std::string("standard output") : path_; }

  void write(const std::string& text) const {
    if (path_ == "-")
      return write_to_stdout(text);
    refuse_foreign(path_, mode_);
    if (mode_ == output_mode::snapshot)
      replace_file(path_, text);
    else
      append_to_file(path_, text);
  }

  std::string path_;
  output_mode mode_;
  bool pretty_;
  std::chrono::milliseconds interval_;
  plugin_host host_;
  instruments::counter& errors_;
  std::mutex log_mutex_; ///< guards the one below: publishes may overlap
  paced_lines lines_logged_; ///< of failed publishes
};

const strata_config_key schema[] = {
    {"path", STRATA_VALUE_FILE, "-", "file to write; - is standard output", 0, 0, 0, 0},
    {"interval", STRATA_VALUE_DURATION, "10s", "how often a snapshot is published", 1, 10, 0, 0},
    {"mode", STRATA_VALUE_STRING, "snapshot",
     "snapshot: each publish replaces the file atomically; lines: each publish appends one JSON line", 0, 0, 0, 0},
    {"pretty", STRATA_VALUE_BOOL, "false", "indent the JSON (mode snapshot only)", 0, 0, 0, 0},
};

} // namespace
} // namespace strata::exporters

STRATA_EXPORTER_PLUGIN("json", "0.1.0", strata::exporters::json_exporter, strata::exporters::schema)
