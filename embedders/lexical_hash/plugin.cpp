// The lexical hashing embedder as a plugin of kind embedder.

#include "lexical_hash.hpp"

#include <strata/sdk.hpp>

#include <stdexcept>
#include <string>

namespace {

strata::lexical::word_rules word_rules_of(const std::string& name) {
  if (name == "unicode")
    return strata::lexical::word_rules::unicode;
  if (name == "ascii")
    return strata::lexical::word_rules::ascii;
  throw std::invalid_argument("words: '" + name + "' is neither unicode nor ascii");
}

class lexical_hash_plugin : public strata::embedder {
public:
  /// What the schema cannot say: the word rules' name.
  static void check_config(const strata::plugin_config& config) { word_rules_of(config.get_string("words")); }

  explicit lexical_hash_plugin(const strata::embedder_context& ctx) : impl_(read(ctx.config)) {}

  std::size_t dimension() const override { return impl_.dimension(); }
  std::string model() const override { return impl_.model(); }

  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) override {
    std::vector<std::vector<float>> out;
    out.reserve(texts.size());
    for (const auto& text : texts)
      out.push_back(impl_.embed(text));
    return out;
  }

private:
  static strata::lexical::options read(const strata::plugin_config& c) {
    strata::lexical::options o;
    o.dimension = static_cast<std::size_t>(c.get_int("dimension"));
    o.word_weight = c.get_double("word_weight");
    o.bigram_weight = c.get_double("bigram_weight");
    o.char_weight = c.get_double("char_weight");
    o.char_ngram = static_cast<int>(c.get_int("char_ngram"));
    o.stopword_weight = c.get_double("stopword_weight");
    o.words = word_rules_of(c.get_string("words"));
    return o;
  }

  const strata::lexical::embedder impl_; // immutable: embed() is thread-safe
};

const strata_config_key schema[] = {
  {"dimension", STRATA_VALUE_INT, "384", "floats per vector", 1, 8, 1, 4096},
  {"word_weight", STRATA_VALUE_DOUBLE, "1.0", "weight of each word", 1, 0, 1, 100},
  {"bigram_weight", STRATA_VALUE_DOUBLE, "0.5", "weight of each pair of adjacent words", 1, 0, 1, 100},
  {"char_weight", STRATA_VALUE_DOUBLE, "0.35", "weight of each character n-gram of a word", 1, 0, 1, 100},
  {"char_ngram", STRATA_VALUE_INT, "3", "n of the character n-grams", 1, 2, 1, 6},
  {"stopword_weight", STRATA_VALUE_DOUBLE, "0.25", "factor on function words (the, is, a; not on negations)", 1, 0,
   1, 1},
  {"words", STRATA_VALUE_STRING, "unicode",
   "unicode (model v2): letters of any script lower-cased; ascii (model v1, before 2026-12-05): A-Z only, for "
   "vectors stored by v1",
   0, 0, 0, 0},
};

} // namespace

STRATA_EMBEDDER_PLUGIN("lexical_hash", "1.0.0", lexical_hash_plugin, schema)
