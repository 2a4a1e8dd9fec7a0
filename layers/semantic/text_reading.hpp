#pragma once
// How the second stage reads a text: words, characters, numerals. Shared by its files
// (second_stage.cpp, numbers_in.cpp, symbols_in.cpp, opposites.cpp); what each reads is declared
// in second_stage.hpp.

#include <strata/utf8.hpp>

#include <locale.h>
#include <wctype.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace strata::semantic_layer {

// The checks' word lists (in numbers_in.cpp, opposites.cpp, ...) are looked up through hash indexes
// built once (word_set, word_map): a scan of a list per word of the text took most of the second
// stage on long texts (~1 s on two 1 MB queries).

/// `words` as a set.
template <std::size_t N>
std::unordered_set<std::string_view> word_set(const std::array<const char*, N>& words) {
  return {words.begin(), words.end()};
}

/// `words` (word, value) as a map; a word given twice keeps its first value, as a scan did.
template <std::size_t N>
std::unordered_map<std::string_view, const char*> word_map(const std::array<std::pair<const char*, const char*>, N>& words) {
  std::unordered_map<std::string_view, const char*> index;
  for (const auto& [word, value] : words)
    index.emplace(word, value);
  return index;
}

/// The value of `w` in `index`, or null.
const char* value_of(const std::unordered_map<std::string_view, const char*>& index, std::string_view w);

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// Ends the token being read: `token`, unless empty, goes to `out`, and is empty again.
void end_token(std::vector<std::string>& out, std::string& token);

/// How `letter_words` reads an apostrophe inside a word.
enum class apostrophe { joins, splits };

/// Lower-cased words of ASCII letters. An apostrophe inside a word (or a byte of a typographic
/// one) is dropped (`joins`: "don't" is "dont", as the negations are listed), or ends the word
/// (`splits`: "he's" is "he" and "s", "we're" "we" and "re", not "hes" or "were").
std::vector<std::string> letter_words(std::string_view text, apostrophe inside = apostrophe::joins);

/// Calls `each(code, bytes)` for each character of `text` in order: its code point and its UTF-8
/// bytes; a byte that begins no well-formed sequence is passed alone, as U+FFFD (not as the
/// Latin-1 character of its value: a lone 0xA3 is no pound sign).
template <class Each>
void for_each_character(std::string_view text, Each&& each) {
  for (std::size_t i = 0; i < text.size();) {
    const auto well_formed = utf8_sequence_length(text.substr(i));
    const auto length = std::max<std::size_t>(1, well_formed);
    std::uint32_t code = well_formed == 0 ? 0xFFFD : static_cast<unsigned char>(text[i]);
    if (length > 1) {
      code &= 0x7f >> length;
      for (std::size_t k = 1; k < length; ++k)
        code = (code << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3f);
    }
    each(code, text.substr(i, length));
    i += length;
  }
}

/// glibc's classes of every script (C.UTF-8), for the letters, digits and blanks beyond ASCII.
locale_t utf8_classes();

/// Calls `each(lower, upper, letter)` for each character of `text`: its code point lower-cased,
/// whether it was a capital, and whether it is a letter, of any script ("Österreich", "Москва").
template <class Each>
void for_each_letter_case(std::string_view text, Each&& each) {
  const auto classes = utf8_classes();
  for_each_character(text, [&](std::uint32_t code, std::string_view) {
    if (code < 0x80) {
      const char c = static_cast<char>(code);
      const bool upper = c >= 'A' && c <= 'Z';
      each(upper ? code | 0x20 : code, upper, upper || (c >= 'a' && c <= 'z'));
      return;
    }
    const auto wide = static_cast<wint_t>(code);
    const bool letter = code != 0xFFFD && iswalpha_l(wide, classes);
    const bool upper = letter && iswupper_l(wide, classes);
    each(upper ? static_cast<std::uint32_t>(towlower_l(wide, classes)) : code, upper, letter);
  });
}

/// Lower-cased words of letters of any script ("mañana", "heute"), an apostrophe (' or ’) inside
/// one read as `letter_words` reads it: dropped (`joins`) or ending the word (`splits`: "he's" is
/// "he" and "s", "aujourd'hui" "aujourd" and "hui").
std::vector<std::string> words_of_any_script(std::string_view text, apostrophe inside);

/// What ASCII character the code point `code` stands for in a number, or 0: the digits of other
/// scripts ("٥" and "５" are "5"), U+2212 MINUS SIGN and the full-width '-', '.' and ','.
char ascii_for(std::uint32_t code);

/// How a numeral that is no digit is read, or empty: a superscript or subscript digit as "^2" or
/// "_2" ("2²" is not "2³", "H₂O" not "H₃O"), a vulgar fraction as its digits ("¼" is "1/4", not
/// "½"), a circled number as its digits, and a CJK numeral as a number of its own ("一百" is "1 100",
/// so that "一百 plus 三" is not "一百 plus 二"). Blanks around, so that none joins a neighbour: "1½"
/// reads "1 1/2", never "11/2". Different spellings of one value ("½" / "half", "百" / "100") then
/// differ: a miss, never a wrong answer.
std::string numeral_text(std::uint32_t code);

/// `text` with the characters `ascii_for` knows written in ASCII, and those `numeral_text` knows
/// as it reads them; every other byte as it was.
std::string ascii_numerals(std::string_view text);

} // namespace strata::semantic_layer
