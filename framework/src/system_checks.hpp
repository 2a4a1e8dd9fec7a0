#pragma once
// The process and machine checks of `runtime::health`: resident memory against a limit, free disk
// where data is kept. Each reads the kernel (a /proc file, statvfs) and costs a few microseconds.

#include <strata/config.hpp>
#include <strata/health.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace strata::detail {

/// The process's resident set size in bytes; nullopt when /proc is unreadable.
std::optional<std::uint64_t> resident_bytes();

/// Bytes available to an unprivileged user on the file system holding `path`.
std::optional<std::uint64_t> free_disk_bytes(const std::string& path);

/// The checks `settings` enables, in a fixed order (rss, disk).
std::vector<system_check> run_system_checks(const health_settings& settings);

} // namespace strata::detail
