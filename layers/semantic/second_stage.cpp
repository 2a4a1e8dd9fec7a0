#include "second_stage.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <utility>

namespace strata::semantic_layer {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// Lower-cased words of ASCII letters; an apostrophe inside a word is dropped ("don't" -> "dont").
std::vector<std::string> letter_words(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  for (char c : text) {
    if (c >= 'A' && c <= 'Z')
      current.push_back(static_cast<char>(c - 'A' + 'a'));
    else if (c >= 'a' && c <= 'z')
      current.push_back(c);
    else if ((c == '\'' || static_cast<unsigned char>(c) >= 0x80) && !current.empty())
      continue; // also the bytes of a typographic apostrophe
    else if (!current.empty()) {
      out.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty())
    out.push_back(std::move(current));
  return out;
}

bool is_negation(const std::string& w) {
  static const std::array<const char*, 15> words = {"not",     "no",      "never",   "nor",  "none",
                                                    "nobody",  "nothing", "neither", "nowhere", "without",
                                                    "cannot",  "cant",    "wont",    "impossible", "unable"};
  for (const char* n : words)
    if (w == n)
      return true;
  // don't, doesn't, isn't, ... with the apostrophe dropped
  return w.size() > 3 && w.compare(w.size() - 2, 2, "nt") == 0 &&
         (w == "dont" || w == "doesnt" || w == "didnt" || w == "isnt" || w == "arent" || w == "wasnt" ||
          w == "werent" || w == "couldnt" || w == "shouldnt" || w == "wouldnt" || w == "havent" || w == "hasnt" ||
          w == "hadnt" || w == "aint" || w == "mustnt" || w == "neednt");
}

/// The numeral a number word stands for, or null. Not "one", which is as often a pronoun
/// ("which one"): "one" against "1" is a miss, never a wrong answer.
const char* number_word(const std::string& w) {
  static const std::array<std::pair<const char*, const char*>, 32> words = {{
    {"zero", "0"},       {"two", "2"},        {"three", "3"},     {"four", "4"},      {"five", "5"},
    {"six", "6"},        {"seven", "7"},      {"eight", "8"},     {"nine", "9"},      {"ten", "10"},
    {"eleven", "11"},    {"twelve", "12"},    {"thirteen", "13"}, {"fourteen", "14"}, {"fifteen", "15"},
    {"sixteen", "16"},   {"seventeen", "17"}, {"eighteen", "18"}, {"nineteen", "19"}, {"twenty", "20"},
    {"thirty", "30"},    {"forty", "40"},     {"fifty", "50"},    {"sixty", "60"},    {"seventy", "70"},
    {"eighty", "80"},    {"ninety", "90"},    {"hundred", "100"}, {"thousand", "1000"}, {"million", "1000000"},
    {"billion", "1000000000"}, {"dozen", "12"},
  }};
  for (const auto& [name, value] : words)
    if (w == name)
      return value;
  return nullptr;
}

} // namespace

std::vector<std::string> numbers_in(std::string_view text) {
  std::vector<std::string> out;
  std::string number, word;
  // "minus 20" and "negative twenty" are -20 as "-20" is: the word, then blanks, then the number.
  bool sign_word = false;
  const auto end_word = [&] {
    if (word.empty())
      return;
    const char* value = number_word(word);
    if (value != nullptr)
      out.push_back((sign_word ? "-" : "") + std::string(value));
    sign_word = value == nullptr && (word == "minus" || word == "negative");
    word.clear();
  };
  const auto end_number = [&] {
    if (!number.empty() && number != "-")
      out.push_back(number);
    number.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (letter) {
      end_number();
      word.push_back(static_cast<char>(c | 0x20));
      continue;
    }
    end_word();
    if (is_digit(c)) {
      // A minus sign right before the digits, not a hyphen after a word or a number ("-20", not
      // "COVID-19" or "5-10"): '-', or U+2212 MINUS SIGN (bytes E2 88 92).
      const bool minus_sign = i > 2 && text.substr(i - 3, 3) == "\xE2\x88\x92";
      const bool sign_before = i > 0 && (text[i - 1] == '-' || minus_sign);
      const std::size_t sign_at = minus_sign ? i - 3 : i - 1; // read only when sign_before
      const bool after_word = sign_before && sign_at > 0 && std::isalnum(static_cast<unsigned char>(text[sign_at - 1]));
      if (number.empty() && sign_before && !after_word)
        number.push_back('-');
      else if (number.empty() && sign_word)
        number.push_back('-');
      sign_word = false;
      number.push_back(c);
    } else if ((c == '.' || c == ',') && !number.empty() && i + 1 < text.size() && is_digit(text[i + 1])) {
      if (c == '.')
        number.push_back('.'); // 1,000 and 1000 are the same number; 1.5 is not 15
    } else {
      end_number();
      if (c != ' ' && c != '\t')
        sign_word = false;
    }
  }
  end_word();
  end_number();
  return out;
}

bool opposite_by_prefix(std::string_view a, std::string_view b) {
  const auto words_a = letter_words(a), words_b = letter_words(b);
  const std::set<std::string> set_a(words_a.begin(), words_a.end()), set_b(words_b.begin(), words_b.end());
  // "safe" on one side and "unsafe" on the other, where the other side does not say "safe" too.
  // un- and non- negate words of three letters or more; in-, im-, il-, ir- and dis- make other words
  // of short ones too often (put/input, side/inside, port/import, ease/disease): five or more.
  const auto negated_in = [](const std::set<std::string>& base, const std::set<std::string>& other) {
    static const std::array<std::pair<const char*, std::size_t>, 7> prefixes = {
      {{"un", 3}, {"non", 3}, {"in", 5}, {"im", 5}, {"il", 5}, {"ir", 5}, {"dis", 5}}};
    for (const auto& w : base) {
      if (other.count(w) != 0)
        continue;
      for (const auto& [p, least] : prefixes)
        if (const auto negated = p + w; w.size() >= least && other.count(negated) != 0 && base.count(negated) == 0)
          return true;
    }
    return false;
  };
  return negated_in(set_a, set_b) || negated_in(set_b, set_a);
}

int negations_in(std::string_view text) {
  int n = 0;
  for (const auto& w : letter_words(text))
    if (is_negation(w))
      ++n;
  return n;
}

std::string second_stage(const check_options& options, std::string_view query, std::string_view stored_query,
                         double best, std::optional<double> runner_up) {
  if (options.min_margin > 0 && runner_up && best - *runner_up < options.min_margin)
    return "margin";
  if (query.empty() || stored_query.empty())
    return {};
  if (options.numbers && numbers_in(query) != numbers_in(stored_query))
    return "numbers";
  if (options.negations && ((negations_in(query) > 0) != (negations_in(stored_query) > 0) ||
                            opposite_by_prefix(query, stored_query)))
    return "negation";
  return {};
}

} // namespace strata::semantic_layer
