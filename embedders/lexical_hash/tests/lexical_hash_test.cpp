#include "lexical_hash.hpp"

#include <strata/sdk.hpp>

#include <catch2/catch.hpp>

#include <dlfcn.h>

#include <cmath>
#include <map>

using strata::lexical::embedder;
using strata::lexical::options;

namespace {

double cosine(const std::vector<float>& a, const std::vector<float>& b) {
  double dot = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    dot += static_cast<double>(a[i]) * b[i];
  return dot;
}

double norm(const std::vector<float>& v) { return std::sqrt(cosine(v, v)); }

} // namespace

TEST_CASE("words are lower-cased runs of letters and digits, apostrophes join", "[lexical]") {
  CHECK(strata::lexical::words("What's the GPU-count of 4 A100s?") ==
        std::vector<std::string>{"whats", "the", "gpu", "count", "of", "4", "a100s"});
  CHECK(strata::lexical::words("  ").empty());
}

TEST_CASE("letters beyond ASCII are lower-cased too, and punctuation beyond it separates words", "[lexical]") {
  // Only A-Z was lower-cased: "ПРИВЕТ МИР" and "привет мир" shared no word and missed each other.
  CHECK(strata::lexical::words("ПРИВЕТ Мир") == std::vector<std::string>{"привет", "мир"});
  CHECK(strata::lexical::words("ÜBER Größe FÄHRE") == std::vector<std::string>{"über", "größe", "fähre"});
  CHECK(strata::lexical::words("«Ça va»\u00a0—\u00a0don’t") == std::vector<std::string>{"ça", "va", "dont"});
  CHECK(strata::lexical::words("x\xff\xfey") == std::vector<std::string>{"x\xff\xfey"}); // not UTF-8: kept as is
  strata::lexical::embedder e{strata::lexical::options{}};
  CHECK(e.embed("ПРИВЕТ МИР КАК ДЕЛА") == e.embed("привет мир как дела"));
  // A combining mark is part of its letter's word (decomposed text, NFD): taken for a separator, it
  // made "già" and "giá" both "gi a", served for each other at a score of 1 (audit). One starting
  // the text draws on nothing, and is left out.
  CHECK(strata::lexical::words("gia\u0300 ve\u0301") == std::vector<std::string>{"gia\u0300", "ve\u0301"});
  CHECK(strata::lexical::words("\u0301e") == std::vector<std::string>{"e"});
  CHECK(e.embed("gia\u0300 ve\u0301 ma\u0301y bay") != e.embed("gia\u0301 ve\u0303 ma\u0302y bay"));
}

TEST_CASE("words: ascii is model v1, as before 2026-12-05, for vectors stored by it", "[lexical]") {
  using strata::lexical::word_rules;
  CHECK(strata::lexical::words("ПРИВЕТ Мир, don't", word_rules::ascii) ==
        std::vector<std::string>{"ПРИВЕТ", "Мир", "dont"});
  CHECK(strata::lexical::words("«Ça va»", word_rules::ascii) == std::vector<std::string>{"«Ça", "va»"});
  strata::lexical::options v1;
  v1.words = word_rules::ascii;
  const strata::lexical::embedder old_rules{v1}, new_rules{strata::lexical::options{}};
  CHECK(old_rules.model().rfind("lexical-hash-v1-384-", 0) == 0);
  // The same options hash: v1's id is the one it had, v2's differs in its version only.
  CHECK(old_rules.model().substr(16) == new_rules.model().substr(16));
  CHECK(old_rules.embed("How do I reset my password?") == new_rules.embed("How do I reset my password?"));
  CHECK(old_rules.embed("ПРИВЕТ") != old_rules.embed("привет"));
}

TEST_CASE("stemming strips plural and verb suffixes of long enough words only", "[lexical]") {
  CHECK(strata::lexical::stem("models") == "model");
  CHECK(strata::lexical::stem("studies") == "study");
  CHECK(strata::lexical::stem("running") == "runn");
  CHECK(strata::lexical::stem("is") == "is");
  CHECK(strata::lexical::stem("class") == "class");
  CHECK(strata::lexical::stem("bus") == "bus");
}

TEST_CASE("vectors are deterministic, of the declared dimension, and unit length", "[lexical]") {
  embedder e(options{});
  const auto a = e.embed("How do I learn machine learning?");
  const auto b = embedder(options{}).embed("How do I learn machine learning?");
  REQUIRE(a.size() == 384);
  CHECK(a == b);
  CHECK(norm(a) == Approx(1.0).epsilon(1e-5));
  CHECK(norm(e.embed("!!!")) == 0.0); // no words: the zero vector, never NaN
}

TEST_CASE("a paraphrase is closer than an unrelated question", "[lexical]") {
  embedder e(options{});
  const auto q = e.embed("Hugging Face Hub is a platform to host Git-based models, datasets, and Spaces.");
  const auto para = e.embed("Hugging Face Hub serves as a repository for Git-based models, datasets, and Spaces.");
  const auto other = e.embed("What is the best way to sleep on a plane?");
  CHECK(cosine(q, para) > 0.6);
  CHECK(cosine(q, other) < 0.2);
  CHECK(cosine(q, q) == Approx(1.0).epsilon(1e-5));
}

TEST_CASE("the model id names the dimension and changes with every option", "[lexical]") {
  const auto base = embedder(options{}).model();
  CHECK(base.rfind("lexical-hash-v2-384-", 0) == 0);
  options o;
  o.dimension = 128;
  CHECK(embedder(o).model().rfind("lexical-hash-v2-128-", 0) == 0);
  o = options{};
  o.char_weight = 0.9;
  CHECK(embedder(o).model() != base);
  o = options{};
  o.char_ngram = 4;
  CHECK(embedder(o).model() != base);
  CHECK(embedder(options{}).model() == base);
}

TEST_CASE("invalid options are refused", "[lexical]") {
  options o;
  o.dimension = 0;
  CHECK_THROWS_AS(embedder(o), std::invalid_argument);
  o = options{};
  o.char_ngram = 9;
  CHECK_THROWS_AS(embedder(o), std::invalid_argument);
  o = options{};
  o.word_weight = -1;
  CHECK_THROWS_AS(embedder(o), std::invalid_argument);
}

TEST_CASE("the plugin loads by dlopen as an ABI 1.2 embedder and embeds a batch", "[lexical][plugin]") {
  void* handle = dlopen(STRATA_LEXICAL_HASH_PLUGIN_PATH, RTLD_NOW | RTLD_LOCAL);
  REQUIRE(handle != nullptr);
  auto entry = reinterpret_cast<strata_plugin_entry_fn>(dlsym(handle, STRATA_PLUGIN_ENTRY_SYMBOL));
  REQUIRE(entry != nullptr);
  const auto& d = *entry();
  CHECK(std::string(d.name) == "lexical_hash");
  CHECK(d.kind == STRATA_PLUGIN_EMBEDDER);
  CHECK(d.abi_minor == STRATA_ABI_MINOR);
  std::map<std::string, std::string> settings;
  for (std::size_t i = 0; i < d.config_schema_size; ++i)
    settings[d.config_schema[i].key] = d.config_schema[i].default_value;
  settings["dimension"] = "64";
  strata::plugin_config config(settings);
  strata_plugin_context ctx{STRATA_ABI_MAJOR, STRATA_ABI_MINOR, "lex", &config, nullptr, nullptr};
  char error[256] = {0};
  void* object = d.create(&ctx, error, sizeof error);
  REQUIRE(object != nullptr);
  auto* e = static_cast<strata::embedder*>(object);
  CHECK(e->dimension() == 64);
  CHECK(e->model().rfind("lexical-hash-v2-64-", 0) == 0);
  const auto vectors = e->embed({"first text", "second text", ""});
  REQUIRE(vectors.size() == 3);
  CHECK(vectors[0].size() == 64);
  CHECK(norm(vectors[1]) == Approx(1.0).epsilon(1e-5));
  CHECK(norm(vectors[2]) == 0.0);
  d.destroy(object);
  // `words`: checked by the plugin (ABI 1.3 check), and v1 on request.
  REQUIRE(d.check != nullptr);
  CHECK(d.check(&config, error, sizeof error) == 1);
  settings["words"] = "ascii";
  strata::plugin_config ascii_config(settings);
  ctx.config = &ascii_config;
  object = d.create(&ctx, error, sizeof error);
  REQUIRE(object != nullptr);
  CHECK(static_cast<strata::embedder*>(object)->model().rfind("lexical-hash-v1-64-", 0) == 0);
  d.destroy(object);
  settings["words"] = "klingon";
  strata::plugin_config bad_config(settings);
  CHECK(d.check(&bad_config, error, sizeof error) == 0);
  CHECK(std::string(error) == "words: 'klingon' is neither unicode nor ascii");
}
