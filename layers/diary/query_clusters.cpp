#include "query_clusters.hpp"

#include <engine.hpp>
#include <lexical_hash.hpp>

#include <algorithm>
#include <numeric>
#include <stdexcept>

namespace strata::diary {

namespace {

/// Union-find over the indexes of the queries.
class components {
public:
  explicit components(std::size_t n) : parent_(n) { std::iota(parent_.begin(), parent_.end(), std::size_t{0}); }

  std::size_t find(std::size_t i) {
    while (parent_[i] != i)
      i = parent_[i] = parent_[parent_[i]];
    return i;
  }

  void join(std::size_t a, std::size_t b) {
    a = find(a);
    b = find(b);
    if (a != b)
      parent_[std::max(a, b)] = std::min(a, b);
  }

private:
  std::vector<std::size_t> parent_;
};

constexpr std::size_t max_neighbours = 64;

bool more_frequent(const query_count& a, const query_count& b) {
  return a.count != b.count ? a.count > b.count : a.query < b.query;
}

/// The embedder the clusters compare with: letters of any script where glibc's C.UTF-8 classes
/// are, else ASCII ones (the clusters are made anew each time: no model id to keep).
lexical::embedder cluster_embedder() {
  try {
    return lexical::embedder{lexical::options{}};
  } catch (const std::invalid_argument&) {
    lexical::options ascii;
    ascii.words = lexical::word_rules::ascii;
    return lexical::embedder{ascii};
  }
}

} // namespace

std::vector<query_cluster> cluster_queries(const std::vector<query_count>& queries, double threshold) {
  if (!(threshold > 0.0 && threshold <= 1.0))
    throw std::invalid_argument("'threshold' must be in (0, 1]");
  if (queries.empty())
    return {};
  const auto embedder = cluster_embedder();
  const auto dim = embedder.dimension();
  const std::string ns = "queries";
  vector_index::index_config config;
  config.dimension = dim;
  config.kind = vector_index::index_kind::flat;
  config.metric = vector_index::metric_kind::inner_product;
  vector_index::engine index{config};
  std::vector<float> vectors;
  vectors.reserve(queries.size() * dim);
  std::vector<vector_index::record> records;
  records.reserve(queries.size());
  for (std::size_t i = 0; i < queries.size(); ++i) {
    auto v = embedder.embed(queries[i].query);
    vectors.insert(vectors.end(), v.begin(), v.end());
    records.push_back({i, ns, {}, std::move(v)});
  }
  index.add(records);
  // Each text's `max_neighbours` nearest, closest first; those at or above the threshold are
  // linked. A text with more near-duplicates than that still joins them through their own links.
  // A text without words embeds to zero and links to nothing.
  components groups{queries.size()};
  const auto k = std::min(queries.size(), max_neighbours);
  const auto neighbours = index.search(vectors.data(), queries.size(), k, {ns, {}});
  const auto min_score = static_cast<float>(threshold) - 1e-6f;
  for (std::size_t i = 0; i < neighbours.size(); ++i)
    for (const auto& h : neighbours[i]) {
      if (h.score < min_score || h.score <= 0.0f) // nothing in common links nothing, however low the threshold
        break;
      if (h.id != i)
        groups.join(i, static_cast<std::size_t>(h.id));
    }

  std::vector<query_cluster> out;
  std::vector<std::size_t> cluster_of(queries.size(), queries.size());
  for (std::size_t i = 0; i < queries.size(); ++i) {
    auto root = groups.find(i);
    if (cluster_of[root] == queries.size()) {
      cluster_of[root] = out.size();
      out.emplace_back();
    }
    auto& c = out[cluster_of[root]];
    c.members.push_back(queries[i]);
    c.total += queries[i].count;
  }
  for (auto& c : out) {
    std::sort(c.members.begin(), c.members.end(), more_frequent);
    c.representative = c.members.front().query;
  }
  std::sort(out.begin(), out.end(), [](const query_cluster& a, const query_cluster& b) {
    return a.total != b.total ? a.total > b.total : a.representative < b.representative;
  });
  return out;
}

} // namespace strata::diary
