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

/// Creates and removes a temporary file next to `path`, as `replace_file` does: whether its
/// directory takes new files. Asked, not reasoned from the mode bits: access() says yes to root
/// in a directory chattr +i made immutable, or on a file system mounted read-only.
void check_can_create_beside(const std::string& path);

/// Opens the file at `path` for appending, writing nothing, and closes it: whether
/// `append_to_file` may write to it. The file must exist.
void check_can_append(const std::string& path);

/// What the file at `path` begins with, when that is not what the exporter writes (JSON: `{`, after
/// blanks), quoted with its first bytes (up to 16, others as \xNN); empty when the file is not there,
/// is empty, begins with `{`, or is no regular file (a link, a device). So that no other program's file, nor another part of the deployment's
/// (a SQLite database: audit), is replaced or appended to.
std::string foreign_content(const std::string& path);

/// Writes `content` to standard output and flushes it.
void write_to_stdout(std::string_view content);

} // namespace strata::exporters
