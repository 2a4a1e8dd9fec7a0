// How the second stage reads a text: words of letters, of any script, and the small readers the
// checks share (a word list's value, a token's end, the character classes of every script).

#include "second_stage.hpp"
#include "text_reading.hpp"

#include <strata/utf8.hpp>

#include <locale.h>

#include <cstdint>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace strata::semantic_layer {

const char* value_of(const std::unordered_map<std::string_view, const char*>& index, std::string_view w) {
  const auto found = index.find(w);
  return found == index.end() ? nullptr : found->second;
}

void end_token(std::vector<std::string>& out, std::string& token) {
  if (!token.empty())
    out.push_back(std::move(token));
  token.clear();
}

std::vector<std::string> letter_words(std::string_view text, apostrophe inside) {
  std::vector<std::string> out;
  std::string current;
  for (char c : text) {
    if (c >= 'A' && c <= 'Z')
      current.push_back(static_cast<char>(c - 'A' + 'a'));
    else if (c >= 'a' && c <= 'z')
      current.push_back(c);
    else if (inside == apostrophe::joins && (c == '\'' || static_cast<unsigned char>(c) >= 0x80) &&
             !current.empty())
      continue;
    else
      end_token(out, current);
  }
  end_token(out, current);
  return out;
}

locale_t utf8_classes() {
  static const locale_t classes = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  return classes;
}

std::vector<std::string> words_of_any_script(std::string_view text, apostrophe inside) {
  std::vector<std::string> out;
  std::string word;
  for_each_letter_case(text, [&](std::uint32_t lower, bool, bool letter) {
    if (letter)
      append_utf8(word, lower);
    else if (!(inside == apostrophe::joins && (lower == '\'' || lower == 0x2019) && !word.empty()))
      end_token(out, word);
  });
  end_token(out, word);
  return out;
}

} // namespace strata::semantic_layer
