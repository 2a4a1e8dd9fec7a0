#include "second_stage.hpp"

#include <algorithm>
#include <array>

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
  static const std::array<const char*, 13> words = {"not", "no", "never", "nor", "none", "nobody", "nothing",
                                                    "neither", "nowhere", "without", "cannot", "cant", "wont"};
  for (const char* n : words)
    if (w == n)
      return true;
  // don't, doesn't, isn't, ... with the apostrophe dropped
  return w.size() > 3 && w.compare(w.size() - 2, 2, "nt") == 0 &&
         (w == "dont" || w == "doesnt" || w == "didnt" || w == "isnt" || w == "arent" || w == "wasnt" ||
          w == "werent" || w == "couldnt" || w == "shouldnt" || w == "wouldnt" || w == "havent" || w == "hasnt" ||
          w == "hadnt" || w == "aint" || w == "mustnt" || w == "neednt");
}

} // namespace

std::vector<std::string> numbers_in(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (is_digit(c)) {
      current.push_back(c);
    } else if ((c == '.' || c == ',') && !current.empty() && i + 1 < text.size() && is_digit(text[i + 1])) {
      if (c == '.')
        current.push_back('.'); // 1,000 and 1000 are the same number; 1.5 is not 15
    } else if (!current.empty()) {
      out.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty())
    out.push_back(std::move(current));
  std::sort(out.begin(), out.end());
  return out;
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
  if (options.negations && (negations_in(query) > 0) != (negations_in(stored_query) > 0))
    return "negation";
  return {};
}

} // namespace strata::semantic_layer
