#pragma once
// The JSON bodies the HTTP API answers with on success (stats and health come from
// telemetry/src/snapshot_json.hpp, in the shape the json exporter writes).

#include <strata/alerts.hpp>
#include <strata/semantic.hpp>
#include <strata/vectors.hpp>

#include <cstddef>
#include <cstdint>
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

// ---- semantic and vector answers; ids are JSON integers (see max_entry_id) ----

/// A lookup's answer, 200 either way. A hit: `{"hit": true, "id", "score", "query", "answer",
/// "metadata", "tags", "model", "layer"}`. A miss: `{"hit": false, "best_score", "rejected_by",
/// "layer"}`, the best candidate's score and why it was not served ("threshold", "margin",
/// "numbers", "negation", "verifier"); both null when the namespace holds no entry of the model.
std::string semantic_lookup_json(const semantic_result& result);

/// `{"id": n, "layer"}`: what a store or an add created.
std::string id_json(std::uint64_t id, std::string_view layer);

/// `{"ids": [n, ...], "layer"}`: a batch add, in the order of its items.
std::string ids_json(const std::vector<std::uint64_t>& ids, std::string_view layer);

/// `{"hits": [{"id", "score", "metadata", "tags"}, ...], "layer"}`, best first.
std::string hits_json(const std::vector<vector_hit>& hits, std::string_view layer);

/// `{"results": [{"hits": [...]}, ...], "layer"}`: one list of hits per query, in order.
std::string batch_hits_json(const std::vector<std::vector<vector_hit>>& results, std::string_view layer);

/// `{"<verb>": id}`: `{"updated": 7}`, `{"deleted": 7}`.
std::string id_done_json(const char* verb, std::uint64_t id);

} // namespace strata::server
