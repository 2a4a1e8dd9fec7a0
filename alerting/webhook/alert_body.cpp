#include "alert_body.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <ctime>

namespace strata::webhook {

std::string rfc3339_utc(std::chrono::system_clock::time_point at) {
  using namespace std::chrono;
  const auto seconds = floor<std::chrono::seconds>(at);
  const auto millis = duration_cast<milliseconds>(at - seconds).count();
  const std::time_t t = system_clock::to_time_t(seconds);
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  char date[32];
  std::strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", &utc);
  char text[48];
  std::snprintf(text, sizeof text, "%s.%03dZ", date, static_cast<int>(millis));
  return text;
}

std::string alert_body(const alert_event& event) {
  const nlohmann::json body = {
    {"rule", event.rule},
    {"transition", to_string(event.transition)},
    {"severity", to_string(event.severity)},
    {"subject", event.subject},
    {"value_name", event.value_name},
    {"value", event.value},
    {"comparison", event.comparison},
    {"threshold", event.threshold},
    {"at", rfc3339_utc(event.at)},
    {"summary", event.summary},
  };
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

} // namespace strata::webhook
