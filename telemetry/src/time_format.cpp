#include "time_format.hpp"

#include <cstdio>
#include <ctime>

namespace strata::telemetry {

std::string to_rfc3339(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  // floor, not duration_cast: a time before 1970 must not round up into the next second.
  const auto ms = floor<milliseconds>(t.time_since_epoch());
  const auto s = floor<seconds>(ms);
  const std::time_t whole = static_cast<std::time_t>(s.count());
  std::tm utc{};
  gmtime_r(&whole, &utc);
  char text[64];
  std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>((ms - s).count()));
  return text;
}

} // namespace strata::telemetry
