// A floor on quality: the default deployment's semantic layer (configs/default.yaml) on a slice of
// the shared paraphrase data, through a real runtime and the real plugins. A change to the
// embedder, the layer or the second-stage check that loses precision or lets more false hits
// through fails here; `strata-bench semantic-quality` gives the full figures.

#include <quality.hpp>

#include <catch2/catch.hpp>

#include <string>

namespace q = strata::semantic_quality;

namespace {

const std::string data_dir = STRATA_DATA_DIR;

strata::config deployed() {
  return q::semantic_deployment(std::string(STRATA_SOURCE_DIR) + "/configs/default.yaml", STRATA_PLUGIN_DIR);
}

std::unique_ptr<strata::runtime> start(const strata::config& cfg) {
  auto rt = strata::runtime::from_config(cfg);
  if (!rt)
    FAIL("runtime did not start: " << rt.err().message);
  return std::move(*rt);
}

} // namespace

TEST_CASE("the default semantic layer keeps its precision on GPTCache's mock data", "[semantic][quality]") {
  const auto cfg = deployed();
  REQUIRE(q::second_stage_on(cfg));
  const auto mock = q::load_mock(data_dir + "/semantic/mock_data.json", 400);
  auto rt = start(cfg);
  const auto at = q::tally(q::run_mock(*rt, mock, "mock"), {0.70, 0.80});
  INFO("0.70: " << at[0].correct << " correct, " << at[0].wrong << " wrong, " << at[0].misses << " misses");
  INFO("0.80: " << at[1].correct << " correct, " << at[1].wrong << " wrong, " << at[1].misses << " misses");
  CHECK(at[0].precision() >= 0.96);
  CHECK(at[0].hit_rate() >= 0.45);
  CHECK(at[1].precision() >= 0.96);
  CHECK(at[1].hit_rate() >= 0.22);
  // The second stage earns its place: without it, more wrong hits at the same threshold.
  auto bare = start(q::without_second_stage(cfg));
  const auto unchecked = q::tally(q::run_mock(*bare, mock, "mock"), {0.70});
  CHECK(unchecked[0].wrong > at[0].wrong);
}

TEST_CASE("the default semantic layer serves few hard-negative Quora pairs", "[semantic][quality]") {
  const auto pairs = q::load_qqp(data_dir + "/semantic/qqp_pairs.json.gz", 3000);
  auto rt = start(deployed());
  const auto outcomes = q::run_pairs(*rt, pairs, 500);
  INFO("false hit rate at 0.80: " << q::false_hit_rate(pairs, outcomes, 0.80) << ", duplicates served: "
                                  << q::duplicate_hit_rate(pairs, outcomes, 0.80));
  CHECK(q::false_hit_rate(pairs, outcomes, 0.80) <= 0.12);
  CHECK(q::false_hit_rate(pairs, outcomes, 0.90) <= 0.04);
  CHECK(q::duplicate_hit_rate(pairs, outcomes, 0.80) >= 0.18);
}
