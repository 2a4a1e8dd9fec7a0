#pragma once
// Semantic-cache quality on the shared paraphrase data (../shared/data/semantic, see its README),
// measured through a real runtime: store one side of each pair, look the other side up, and count
// as GPTCache's benchmark counts. Used by `strata-bench semantic-quality` and by a regression test.

#include <strata/runtime.hpp>

#include <cstddef>
#include <string>
#include <vector>

namespace strata::semantic_quality {

/// The semantic layer of the deployment in `yaml_path` (the first layer of plugin `semantic`) alone,
/// with its embedder, plugins looked for in `plugin_dir`; validated, defaults filled. Throws
/// std::runtime_error saying what is wrong.
config semantic_deployment(const std::string& yaml_path, const std::string& plugin_dir);

/// The same deployment with the second-stage check off (no margin, no number or negation guard).
config without_second_stage(config cfg);

/// Whether the deployment's semantic layer runs any test of the second stage.
bool second_stage_on(const config& cfg);

/// mock_data.json: `similar` is a paraphrase of `origin`.
struct paraphrase {
  std::string origin;
  std::string similar;
};

/// qqp_pairs.json.gz: `duplicate` says whether the two questions mean the same.
struct question_pair {
  std::string a;
  std::string b;
  bool duplicate = false;
};

/// Reads mock_data.json; at most `limit` pairs (0: all). Throws std::runtime_error naming the file.
std::vector<paraphrase> load_mock(const std::string& path, std::size_t limit = 0);
/// Reads qqp_pairs.json.gz; at most `limit` pairs (0: all). Throws std::runtime_error naming the file.
std::vector<question_pair> load_qqp(const std::string& path, std::size_t limit = 0);

/// What one lookup found: whether the layer served something, whether it was the right entry, the
/// best candidate's score.
struct lookup_outcome {
  bool served = false;  ///< passed the second-stage check (at any threshold)
  bool correct = false; ///< the entry stored for this pair's other side
  double score = 0;
};

/// Counts at one threshold, as GPTCache publishes them.
struct counts {
  double threshold = 0;
  std::size_t correct = 0; ///< hits on the right entry
  std::size_t wrong = 0;   ///< hits on another entry: a false hit
  std::size_t misses = 0;
  double precision() const { return correct + wrong == 0 ? 1.0 : double(correct) / double(correct + wrong); }
  double hit_rate() const {
    const auto n = correct + wrong + misses;
    return n == 0 ? 0.0 : double(correct + wrong) / double(n);
  }
};

/// The thresholds GPTCache publishes and a few between: 0.60, 0.65, ..., 0.95.
std::vector<double> thresholds();

/// Counts at each threshold: a lookup is a hit at t when it was served with score >= t.
std::vector<counts> tally(const std::vector<lookup_outcome>& outcomes, const std::vector<double>& at);

/// Stores every `origin` in namespace `ns` of `rt`, then looks every `similar` up (threshold -1, so
/// that the score decides at each threshold afterwards); erases what it stored. Throws
/// std::runtime_error when the runtime refuses a request.
std::vector<lookup_outcome> run_mock(runtime& rt, const std::vector<paraphrase>& pairs, const std::string& ns);

/// Each pair alone in a namespace of its own: stores `a`, looks `b` up, erases `a` (in batches of
/// `batch` pairs, so that the layer holds at most that many entries). A hit on a non-duplicate pair
/// is a false hit.
std::vector<lookup_outcome> run_pairs(runtime& rt, const std::vector<question_pair>& pairs, std::size_t batch = 1000);

/// Of the pairs that are not duplicates, the share served at threshold t.
double false_hit_rate(const std::vector<question_pair>& pairs, const std::vector<lookup_outcome>& outcomes, double t);
/// Of the duplicate pairs, the share served at threshold t.
double duplicate_hit_rate(const std::vector<question_pair>& pairs, const std::vector<lookup_outcome>& outcomes,
                          double t);

} // namespace strata::semantic_quality
