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

namespace {

json hit_list(const std::vector<vector_hit>& hits) {
  json list = json::array();
  for (const auto& hit : hits)
    list.push_back({{"id", hit.id}, {"score", number(hit.score)}, {"metadata", hit.metadata}, {"tags", hit.tags}});
  return list;
}

} // namespace

std::string semantic_lookup_json(const semantic_result& result) {
  const auto& m = result.match;
  if (result.code == status::ok)
    return text({{"hit", true},
                 {"id", m.id},
                 {"score", number(m.score)},
                 {"query", m.query},
                 {"answer", m.answer},
                 {"metadata", m.metadata},
                 {"tags", m.tags},
                 {"model", m.model},
                 {"layer", result.layer}});
  const bool candidate = !m.rejected_by.empty();
  return text({{"hit", false},
               {"best_score", candidate ? number(m.score) : json(nullptr)},
               {"rejected_by", candidate ? json(m.rejected_by) : json(nullptr)},
               {"layer", result.layer}});
}

std::string id_json(std::uint64_t id, std::string_view layer) { return text({{"id", id}, {"layer", layer}}); }

std::string ids_json(const std::vector<std::uint64_t>& ids, std::string_view layer) {
  return text({{"ids", ids}, {"layer", layer}});
}

std::string hits_json(const std::vector<vector_hit>& hits, std::string_view layer) {
  return text({{"hits", hit_list(hits)}, {"layer", layer}});
}

std::string batch_hits_json(const std::vector<std::vector<vector_hit>>& results, std::string_view layer) {
  json list = json::array();
  for (const auto& hits : results)
    list.push_back({{"hits", hit_list(hits)}});
  return text({{"results", std::move(list)}, {"layer", layer}});
}

std::string id_done_json(const char* verb, std::uint64_t id) { return text({{verb, id}}); }

} // namespace strata::server
