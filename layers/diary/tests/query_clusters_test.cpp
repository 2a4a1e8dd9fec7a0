#include "query_clusters.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using strata::diary::cluster_queries;
using strata::diary::query_cluster;
using strata::diary::query_count;

namespace {

const query_cluster* cluster_with(const std::vector<query_cluster>& clusters, const std::string& query) {
  for (const auto& c : clusters)
    for (const auto& m : c.members)
      if (m.query == query)
        return &c;
  return nullptr;
}

} // namespace

TEST_CASE("paraphrases of one query cluster, unrelated queries stay apart", "[diary][clusters]") {
  const std::vector<query_count> queries{
    {"how do I reset my password", 5},
    {"how to reset my password", 3},
    {"how can I reset the password", 2},
    {"weather forecast for paris tomorrow", 4},
    {"paris weather forecast tomorrow", 1},
    {"best pizza recipe with mozzarella", 2},
  };
  const auto clusters = cluster_queries(queries, 0.75); // the diary's default
  REQUIRE(clusters.size() == 3);
  CHECK(clusters[0].representative == "how do I reset my password");
  CHECK(clusters[0].total == 10);
  REQUIRE(clusters[0].members.size() == 3);
  CHECK(clusters[0].members[1].query == "how to reset my password");
  CHECK(clusters[0].members[2].query == "how can I reset the password");
  CHECK(clusters[1].representative == "weather forecast for paris tomorrow");
  CHECK(clusters[1].total == 5);
  CHECK(clusters[1].members.size() == 2);
  CHECK(clusters[2].representative == "best pizza recipe with mozzarella");
  CHECK(clusters[2].members.size() == 1);
  CHECK(cluster_with(clusters, "how to reset my password") != cluster_with(clusters, "paris weather forecast tomorrow"));
}

TEST_CASE("the threshold decides how close texts must be", "[diary][clusters]") {
  const std::vector<query_count> queries{{"reset my password", 2}, {"reset my password now", 1}, {"weather in paris", 1}};
  // 1.0: only identical texts link; distinct texts are clusters of one each.
  CHECK(cluster_queries(queries, 1.0).size() == 3);
  // 0.6 links the two password texts (cosine 0.85), never texts with little in common.
  const auto loose = cluster_queries(queries, 0.6);
  REQUIRE(loose.size() == 2);
  CHECK(loose[0].total == 3);
  CHECK(loose[1].representative == "weather in paris");
}

TEST_CASE("clustering edge cases and bad thresholds", "[diary][clusters]") {
  CHECK(cluster_queries({}, 0.8).empty());
  // A text without words embeds to zero and joins nothing.
  const auto c = cluster_queries({{"???", 3}, {"!!!", 2}}, 0.5);
  CHECK(c.size() == 2);
  CHECK(c[0].representative == "???");
  // Nor does a text share anything with one it has no word in common with, at the lowest threshold
  // (within the rounding allowance of 1e-6 of 0, a score of 0 linked them all).
  CHECK(cluster_queries({{"a", 1}, {"b", 1}, {"!!!", 1}, {"apples", 1}}, 1e-7).size() == 4);
  CHECK_THROWS_AS(cluster_queries({{"a", 1}}, 0.0), std::invalid_argument);
  CHECK_THROWS_AS(cluster_queries({{"a", 1}}, 1.5), std::invalid_argument);
  CHECK_THROWS_AS(cluster_queries({{"a", 1}}, -0.1), std::invalid_argument);
}
