#pragma once
// The three ways the json exporter writes a text. Each throws std::system_error naming the file
// and the system's reason; the exporter turns that into a log line and a counted error.

#include <string>
#include <string_view>

namespace strata::exporters {

/// Replaces the file at `path` with `content` so that a reader sees the old file or the new one,
/// never a part of either: writes a temporary file in the same directory (a rename is atomic only
/// within one file system), flushes it to disk, then renames it over `path`. Concurrent calls do
/// not collide: each has a temporary file of its own. The file is created rw-r--r--.
void replace_file(const std::string& path, std::string_view content);

/// Appends `content` to the file at `path`, created rw-r--r-- if missing. One write in append
/// mode, so that texts from concurrent calls (or processes) do not interleave.
void append_to_file(const std::string& path, std::string_view content);

/// Writes `content` to standard output and flushes it.
void write_to_stdout(std::string_view content);

} // namespace strata::exporters
