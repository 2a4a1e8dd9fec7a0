#include "http_responses.hpp"

#include "time_format.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

namespace strata::server {
namespace {

using json = nlohmann::ordered_json;

/// replace: values written through the embedding API may be any bytes, not UTF-8.
std::string text(const json& body) { return body.dump(-1, ' ', false, json::error_handler_t::replace); }

/// JSON has no NaN or infinity: null stands for them.
json number(double value) { return std::isfinite(value) ? json(value) : json(nullptr); }

} // namespace

std::string hit_json(std::string_view key, std::string_view value, std::string_view layer) {
  return text({{"key", key}, {"value", value}, {"layer", layer}});
}

std::string deleted_json(std::string_view key) { return text({{"deleted", key}}); }

std::string removed_json(std::size_t removed) { return text({{"removed", removed}}); }

std::string alerts_json(const std::vector<active_alert>& alerts) {
  json list = json::array();
  for (const auto& alert : alerts) {
    const auto& event = alert.last;
    list.push_back({{"rule", event.rule},
                    {"severity", to_string(event.severity)},
                    {"subject", event.subject},
                    {"value_name", event.value_name},
                    {"value", number(event.value)},
                    {"comparison", event.comparison},
                    {"threshold", number(event.threshold)},
                    {"since", telemetry::to_rfc3339(alert.since)},
                    {"acknowledged", alert.acknowledged},
                    {"summary", event.summary}});
  }
  return text({{"alerts", std::move(list)}});
}

std::string acknowledged_json(std::string_view rule) { return text({{"acknowledged", rule}}); }

} // namespace strata::server
