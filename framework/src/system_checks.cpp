#include "system_checks.hpp"

#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdio>

namespace strata::detail {

namespace {

std::string mebibytes(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", bytes / (1024.0 * 1024.0));
  return text;
}

} // namespace

std::optional<std::uint64_t> resident_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr)
    return std::nullopt;
  unsigned long long size = 0, resident = 0;
  const int read = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  if (read != 2)
    return std::nullopt;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

std::optional<std::uint64_t> free_disk_bytes(const std::string& path) {
  struct statvfs fs {};
  if (statvfs(path.c_str(), &fs) != 0)
    return std::nullopt;
  return static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
}

std::vector<system_check> run_system_checks(const health_settings& settings) {
  std::vector<system_check> checks;
  if (settings.max_rss > 0) {
    system_check c{"rss", health_level::healthy, "", 0, static_cast<double>(settings.max_rss)};
    if (const auto rss = resident_bytes()) {
      c.value = static_cast<double>(*rss);
      if (c.value > c.limit)
        c.level = health_level::critical;
      else if (c.value > 0.9 * c.limit)
        c.level = health_level::warning;
      c.detail = "resident memory " + mebibytes(c.value) + " of a " + mebibytes(c.limit) + " limit";
    } else {
      c.level = health_level::warning;
      c.detail = "cannot read /proc/self/statm";
    }
    checks.push_back(std::move(c));
  }
  if (!settings.data_dir.empty()) { // without a minimum, only a data_dir gone away is critical
    system_check c{"disk", health_level::healthy, "", 0, static_cast<double>(settings.min_free_disk)};
    if (const auto free = free_disk_bytes(settings.data_dir)) {
      c.value = static_cast<double>(*free);
      if (c.value < c.limit)
        c.level = health_level::critical;
      else if (c.value < 2 * c.limit)
        c.level = health_level::warning;
      c.detail = mebibytes(c.value) + " free in " + settings.data_dir +
                 (c.limit > 0 ? ", minimum " + mebibytes(c.limit) : std::string(", no minimum set"));
    } else {
      c.level = health_level::critical;
      c.detail = "cannot read the file system of " + settings.data_dir;
    }
    checks.push_back(std::move(c));
  }
  return checks;
}

} // namespace strata::detail
