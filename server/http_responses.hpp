#pragma once
// The JSON bodies the HTTP API answers with on success (stats and health come from
// telemetry/src/snapshot_json.hpp, in the shape the json exporter writes).

#include <strata/alerts.hpp>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace strata::server {

/// `{"key", "value", "layer"}`: a hit, and the layer that answered it.
std::string hit_json(std::string_view key, std::string_view value, std::string_view layer);

/// `{"deleted": key}`.
std::string deleted_json(std::string_view key);

/// `{"removed": n}`: entries an invalidation removed, summed over the layers.
std::string removed_json(std::size_t removed);

/// `{"alerts": [{"rule", "severity", "subject", "value_name", "value", "comparison", "threshold",
/// "since", "acknowledged", "summary"}, ...]}`; times in RFC 3339, UTC.
std::string alerts_json(const std::vector<active_alert>& alerts);

/// `{"acknowledged": rule}`.
std::string acknowledged_json(std::string_view rule);

} // namespace strata::server
