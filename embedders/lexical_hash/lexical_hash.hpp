#pragma once
// The lexical hashing embedder: words, word pairs and character n-grams of a text, each hashed
// into one of `dimension` buckets with a hashed sign, weighted, and the sum normalised to unit
// length. Deterministic, no model files: two texts that share many words and word pieces get a
// high cosine; it knows no synonyms.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata::lexical {

/// How words are cut and lower-cased (each a model of its own: see embedder::model).
enum class word_rules {
  unicode, ///< v2: letters and digits of any script, lower-cased; punctuation beyond ASCII separates
  ascii,   ///< v1, before 2026-12-05: A-Z lower-cased only, every byte above 0x7f part of a word
};

struct options {
  std::size_t dimension = 384;
  word_rules words = word_rules::unicode;
  double word_weight = 1.0;      ///< each word (lower-cased, light suffix stripping)
  double bigram_weight = 0.5;    ///< each pair of adjacent words
  double char_weight = 0.35;     ///< each character n-gram of a word, padded with '#'
  int char_ngram = 3;            ///< n of the character n-grams
  double stopword_weight = 0.25; ///< factor on words such as "the", "is", "a" (not on negations)
};

/// The words of `text` under `rules::unicode`: runs of letters and digits, lower-cased (beyond
/// ASCII through glibc's C.UTF-8 classes); apostrophes (' and ’) are dropped, anything else
/// separates words; bytes that are not UTF-8 are kept in a word as they are. Under `ascii`: runs
/// of ASCII letters and digits and of bytes above 0x7f, A-Z lower-cased, ' dropped.
std::vector<std::string> words(std::string_view text, word_rules rules = word_rules::unicode);

/// `word` without a common English suffix (plural s, -es, -ed, -ing, -ly) when it is long enough.
std::string stem(std::string_view word);

/// True for a short list of function words that carry little meaning.
bool is_stopword(std::string_view word);

class embedder {
public:
  /// Throws std::invalid_argument on a zero dimension, negative weights or an n outside 2..6.
  explicit embedder(options o);

  std::size_t dimension() const noexcept { return options_.dimension; }
  /// "lexical-hash-v2-<dimension>-<8 hex digits of the other options>" (v1 with word_rules::ascii):
  /// vectors of embedders with different options are never compared.
  const std::string& model() const noexcept { return model_; }

  /// A unit vector (all zero for a text without words).
  std::vector<float> embed(std::string_view text) const;

private:
  void add(std::vector<float>& v, std::string_view feature, std::uint64_t salt, double weight) const;

  options options_;
  std::string model_;
};

} // namespace strata::lexical
