#include "lexical_hash.hpp"

#include <strata/utf8.hpp>

#include <array>
#include <clocale>
#include <cmath>
#include <cstdio>
#include <cwctype>
#include <stdexcept>

#include <locale.h>

namespace strata::lexical {

namespace {

std::uint64_t fnv1a(std::string_view s, std::uint64_t salt) {
  std::uint64_t h = 1469598103934665603ull ^ (salt * 0x9E3779B97F4A7C15ull);
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  // Final mix, so that nearby inputs spread over the buckets and the sign bit.
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

constexpr std::uint64_t word_salt = 1, bigram_salt = 2, char_salt = 3;

/// The code point `text` begins with and its length in bytes; length 0 when the bytes are not
/// well-formed UTF-8 there (strata::utf8_sequence_length says which).
std::pair<char32_t, std::size_t> decode(std::string_view text) {
  const auto length = utf8_sequence_length(text);
  if (length == 0)
    return {0, 0};
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  char32_t code = length == 1 ? p[0] : p[0] & (0x7f >> length);
  for (std::size_t i = 1; i < length; ++i)
    code = (code << 6) | (p[i] & 0x3f);
  return {code, length};
}

/// glibc's built-in C.UTF-8 character classes, whatever the process's own locale (a plugin must
/// not call setlocale); null where it is missing (the embedder then refuses word_rules::unicode).
locale_t utf8_classes() {
  static const locale_t classes = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  return classes;
}

/// Ends the word being read, if any.
void end_word(std::string& current, std::vector<std::string>& out) {
  if (!current.empty()) {
    out.push_back(std::move(current));
    current.clear();
  }
}

/// word_rules::ascii, as before 2026-12-05 (lexical-hash-v1).
std::vector<std::string> ascii_words(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  for (unsigned char c : text) {
    if (c >= 'A' && c <= 'Z')
      current.push_back(static_cast<char>(c - 'A' + 'a'));
    else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80)
      current.push_back(static_cast<char>(c));
    else if (c != '\'') // "don't" -> "dont"
      end_word(current, out);
  }
  end_word(current, out);
  return out;
}

} // namespace

std::vector<std::string> words(std::string_view text, word_rules rules) {
  if (rules == word_rules::ascii)
    return ascii_words(text);
  std::vector<std::string> out;
  std::string current;
  const auto classes = utf8_classes();
  for (std::size_t at = 0; at < text.size();) {
    auto [code, length] = decode(text.substr(at));
    if (length == 0) { // not UTF-8: the byte is kept as part of a word, as it is
      current.push_back(text[at++]);
      continue;
    }
    at += length;
    if (code == '\'' || code == 0x2019) { // "don't" -> "dont", "what’s" -> "whats"
      continue;
    } else if (code < 0x80) {
      if (code >= 'A' && code <= 'Z')
        current.push_back(static_cast<char>(code - 'A' + 'a'));
      else if ((code >= 'a' && code <= 'z') || (code >= '0' && code <= '9'))
        current.push_back(static_cast<char>(code));
      else
        end_word(current, out);
    } else if (iswalnum_l(static_cast<wint_t>(code), classes)) {
      append_utf8(current, static_cast<char32_t>(towlower_l(static_cast<wint_t>(code), classes)));
    } else if (is_combining_mark(code)) {
      // Part of the letter before it, as in a decomposed (NFD) "é": taken for a separator, it
      // split "già" and "giá" into the same "gi" and "a", served for each other at a score of 1.
      if (!current.empty())
        append_utf8(current, static_cast<char32_t>(code));
    } else {
      end_word(current, out); // punctuation, spaces and symbols beyond ASCII: «», —, NBSP
    }
  }
  end_word(current, out);
  return out;
}

std::string stem(std::string_view w) {
  std::string s(w);
  if (s.size() > 5 && ends_with(s, "ing"))
    return s.substr(0, s.size() - 3);
  if (s.size() > 4 && ends_with(s, "ed"))
    return s.substr(0, s.size() - 2);
  if (s.size() > 4 && ends_with(s, "ly"))
    return s.substr(0, s.size() - 2);
  if (s.size() > 4 && ends_with(s, "ies"))
    return s.substr(0, s.size() - 3) + "y";
  if (s.size() > 4 && ends_with(s, "es") && !ends_with(s, "ses"))
    return s.substr(0, s.size() - 1);
  if (s.size() > 3 && ends_with(s, "s") && !ends_with(s, "ss") && !ends_with(s, "us") && !ends_with(s, "is"))
    return s.substr(0, s.size() - 1);
  return s;
}

bool is_stopword(std::string_view w) {
  static const std::array<std::string_view, 48> list = {
    "a",    "an",   "the",  "is",   "are",  "was",  "were", "be",   "been", "am",   "of",   "to",
    "in",   "on",   "for",  "and",  "or",   "as",   "at",   "by",   "it",   "its",  "this", "that",
    "with", "from", "do",   "does", "did",  "i",    "you",  "we",   "my",   "your", "me",   "can",
    "will", "would","should","could","there","their","they","he",  "she",  "so",   "if",   "into"};
  for (auto s : list)
    if (s == w)
      return true;
  return false;
}

embedder::embedder(options o) : options_(o) {
  if (o.dimension == 0)
    throw std::invalid_argument("dimension must be at least 1");
  if (o.word_weight < 0 || o.bigram_weight < 0 || o.char_weight < 0 || o.stopword_weight < 0)
    throw std::invalid_argument("weights must not be negative");
  if (o.char_ngram < 2 || o.char_ngram > 6)
    throw std::invalid_argument("char_ngram must be between 2 and 6");
  // Rather than vectors that differ from another host's under the same model id.
  if (o.words == word_rules::unicode && utf8_classes() == nullptr)
    throw std::invalid_argument("words: unicode needs glibc's C.UTF-8 locale, which this system lacks");
  char params[160];
  std::snprintf(params, sizeof params, "%.6g/%.6g/%.6g/%d/%.6g", o.word_weight, o.bigram_weight, o.char_weight,
                o.char_ngram, o.stopword_weight);
  char id[96];
  std::snprintf(id, sizeof id, o.words == word_rules::unicode ? "lexical-hash-v2-%zu-%08x" : "lexical-hash-v1-%zu-%08x",
                o.dimension,
                static_cast<unsigned>(fnv1a(params, 0) & 0xffffffffu));
  model_ = id;
}

void embedder::add(std::vector<float>& v, std::string_view feature, std::uint64_t salt, double weight) const {
  if (weight == 0)
    return;
  const auto h = fnv1a(feature, salt);
  const auto bucket = static_cast<std::size_t>(h % options_.dimension);
  v[bucket] += static_cast<float>((h >> 63) != 0 ? -weight : weight);
}

std::vector<float> embedder::embed(std::string_view text) const {
  std::vector<float> v(options_.dimension, 0.0f);
  const auto raw = words(text, options_.words);
  std::vector<std::string> stems;
  stems.reserve(raw.size());
  for (const auto& w : raw)
    stems.push_back(stem(w));
  const auto n = static_cast<std::size_t>(options_.char_ngram);
  for (std::size_t i = 0; i < stems.size(); ++i) {
    const double factor = is_stopword(raw[i]) ? options_.stopword_weight : 1.0;
    add(v, stems[i], word_salt, options_.word_weight * factor);
    if (i + 1 < stems.size()) {
      const double pair_factor = is_stopword(raw[i]) && is_stopword(raw[i + 1]) ? options_.stopword_weight : 1.0;
      add(v, stems[i] + ' ' + stems[i + 1], bigram_salt, options_.bigram_weight * pair_factor);
    }
    const std::string padded = '#' + raw[i] + '#';
    if (padded.size() >= n)
      for (std::size_t j = 0; j + n <= padded.size(); ++j)
        add(v, std::string_view(padded).substr(j, n), char_salt, options_.char_weight * factor);
  }
  double norm = 0;
  for (float x : v)
    norm += static_cast<double>(x) * x;
  if (norm > 0) {
    const auto scale = static_cast<float>(1.0 / std::sqrt(norm));
    for (auto& x : v)
      x *= scale;
  }
  return v;
}

} // namespace strata::lexical
