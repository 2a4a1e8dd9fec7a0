#pragma once
// Clusters of near-duplicate query texts: each distinct text embedded with the lexical hashing
// embedder, put in a flat inner-product FAISS index, linked to the texts whose cosine reaches a
// threshold, and grouped as the connected components of those links.

#include <cstdint>
#include <string>
#include <vector>

namespace strata::diary {

/// A distinct query text and how often it was asked.
struct query_count {
  std::string query;
  std::int64_t count = 0;
};

/// A group of near-duplicate queries.
struct query_cluster {
  std::string representative;       ///< the most frequent member (ties: the smallest text)
  std::int64_t total = 0;           ///< the members' counts summed
  std::vector<query_count> members; ///< most frequent first (ties: by text)
};

/// Groups `queries` (distinct texts) whose lexical cosine similarity is at least `threshold`,
/// transitively. Every query lands in exactly one cluster (a lone text is a cluster of one).
/// Clusters come sorted by total count, largest first (ties: by representative).
/// Throws std::invalid_argument when `threshold` is not in (0, 1].
std::vector<query_cluster> cluster_queries(const std::vector<query_count>& queries, double threshold);

} // namespace strata::diary
