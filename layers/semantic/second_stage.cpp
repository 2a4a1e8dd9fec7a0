#include "second_stage.hpp"

#include <strata/utf8.hpp>

#include <locale.h>
#include <wctype.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <iterator>
#include <map>
#include <set>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

namespace strata::semantic_layer {

namespace {

// The word lists below are looked up through hash indexes built once: a scan of a list per word
// of the text took most of the second stage on long texts (~1 s on two 1 MB queries).

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
const char* value_of(const std::unordered_map<std::string_view, const char*>& index, std::string_view w) {
  const auto found = index.find(w);
  return found == index.end() ? nullptr : found->second;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

/// Ends the token being read: `token`, unless empty, goes to `out`, and is empty again.
void end_token(std::vector<std::string>& out, std::string& token) {
  if (!token.empty())
    out.push_back(std::move(token));
  token.clear();
}

/// How `letter_words` reads an apostrophe inside a word.
enum class apostrophe { joins, splits };

/// Lower-cased words of ASCII letters. An apostrophe inside a word (or a byte of a typographic
/// one) is dropped (`joins`: "don't" is "dont", as the negations are listed), or ends the word
/// (`splits`: "he's" is "he" and "s", "we're" "we" and "re", not "hes" or "were").
std::vector<std::string> letter_words(std::string_view text, apostrophe inside = apostrophe::joins) {
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

bool is_negation(const std::string& w) {
  // English, then words that say "not" by their meaning ("fail to pay", "missing"), then "non" of
  // "non-zero" (a word apart here), then the negations of French, German, Dutch, Italian, Spanish
  // and Portuguese that are no English words ("non" and "no" are in the first two lists).
  static const std::array<const char*, 57> words = {
    "not",     "no",       "never",   "nor",      "none",    "nobody",  "nothing",  "neither", "nowhere",
    "without", "cannot",   "cant",    "wont",     "impossible", "unable", "fail",    "fails",   "failed",
    "failing", "refuse",   "refuses", "refused",  "refusing", "hardly", "barely",   "scarcely", "seldom",
    "rarely",  "lack",     "lacks",   "lacking",
    "missing", "non",      "pas",     "jamais",   "aucun",   "aucune",  "rien",     "nicht",   "kein",
    "keine",   "keinen",   "keinem",  "keiner",   "nie",     "niemals", "niet",     "geen",    "nunca",
    "nessun",  "nessuno",  "niente",  "nada",     "ningun",  "ninguno", "ninguna",  "nenhum"};
  static const auto index = word_set(words);
  if (index.count(w) != 0)
    return true;
  // don't, doesn't, isn't, ... with the apostrophe dropped
  return w.size() > 3 && w.compare(w.size() - 2, 2, "nt") == 0 &&
         (w == "dont" || w == "doesnt" || w == "didnt" || w == "isnt" || w == "arent" || w == "wasnt" ||
          w == "werent" || w == "couldnt" || w == "shouldnt" || w == "wouldnt" || w == "havent" || w == "hasnt" ||
          w == "hadnt" || w == "aint" || w == "mustnt" || w == "neednt");
}

/// The numeral a number word of German, French, Spanish, Italian or Portuguese stands for, or null.
/// Not those that are English words ("elf", "dos", "once", "due", "doze", "sept", "cent", "mil"),
/// another language's word ("sei", German "be"), a name ("Otto", "quattro" of Audi's, "venti" of
/// Starbucks'), nor those
/// written with letters beyond ASCII ("fünf", "zwölf", "três"), which the reader splits.
const char* foreign_number_word(const std::string& w) {
  static const std::array<std::pair<const char*, const char*>, 46> words = {{
    {"zwei", "2"},     {"drei", "3"},     {"vier", "4"},    {"sechs", "6"},   {"sieben", "7"},  {"acht", "8"},
    {"neun", "9"},     {"zehn", "10"},    {"zwanzig", "20"}, {"hundert", "100"}, {"tausend", "1000"},
    {"deux", "2"},     {"trois", "3"},    {"quatre", "4"},  {"cinq", "5"},    {"huit", "8"},    {"neuf", "9"},
    {"dix", "10"},     {"onze", "11"},    {"douze", "12"},  {"vingt", "20"},
    {"tres", "3"},     {"cuatro", "4"},   {"cinco", "5"},   {"seis", "6"},    {"siete", "7"},   {"ocho", "8"},
    {"nueve", "9"},    {"diez", "10"},    {"doce", "12"},   {"veinte", "20"}, {"cien", "100"},
    {"tre", "3"},      {"cinque", "5"},   {"sette", "7"},   {"nove", "9"},    {"dieci", "10"},  {"undici", "11"},
    {"dodici", "12"},
    {"dois", "2"},     {"quatro", "4"},   {"sete", "7"},    {"oito", "8"},    {"dez", "10"},    {"vinte", "20"},
    {"duas", "2"},
  }};
  static const auto index = word_map(words);
  return value_of(index, w);
}

/// The numeral a number word stands for, or null. Not "one", which is as often a pronoun
/// ("which one"): "one" against "1" is a miss, never a wrong answer. Ordinals are written as their
/// digits are ("fifth" is "5th"), "twice" and "thrice" as "2x" and "3x", a plural as its digits
/// with an s ("millions" is "1000000s", as "1000s" is read: not "billions", nor "a million").
const char* number_word(const std::string& w) {
  static const std::array<std::pair<const char*, const char*>, 72> words = {{
    {"zero", "0"},         {"two", "2"},          {"three", "3"},         {"four", "4"},
    {"five", "5"},         {"six", "6"},          {"seven", "7"},         {"eight", "8"},
    {"nine", "9"},         {"ten", "10"},         {"eleven", "11"},       {"twelve", "12"},
    {"thirteen", "13"},    {"fourteen", "14"},    {"fifteen", "15"},      {"sixteen", "16"},
    {"seventeen", "17"},   {"eighteen", "18"},    {"nineteen", "19"},     {"twenty", "20"},
    {"thirty", "30"},      {"forty", "40"},       {"fifty", "50"},        {"sixty", "60"},
    {"seventy", "70"},     {"eighty", "80"},      {"ninety", "90"},       {"hundred", "100"},
    {"thousand", "1000"},  {"million", "1000000"}, {"billion", "1000000000"}, {"dozen", "12"},
    {"first", "1st"},      {"second", "2nd"},     {"third", "3rd"},       {"fourth", "4th"},
    {"fifth", "5th"},      {"sixth", "6th"},      {"seventh", "7th"},     {"eighth", "8th"},
    {"ninth", "9th"},      {"tenth", "10th"},     {"eleventh", "11th"},   {"twelfth", "12th"},
    {"thirteenth", "13th"}, {"fourteenth", "14th"}, {"fifteenth", "15th"}, {"sixteenth", "16th"},
    {"seventeenth", "17th"}, {"eighteenth", "18th"}, {"nineteenth", "19th"}, {"twentieth", "20th"},
    {"thirtieth", "30th"}, {"fortieth", "40th"},   {"fiftieth", "50th"},   {"sixtieth", "60th"},
    {"seventieth", "70th"}, {"eightieth", "80th"}, {"ninetieth", "90th"},  {"hundredth", "100th"},
    {"thousandth", "1000th"}, {"millionth", "1000000th"}, {"twice", "2x"}, {"thrice", "3x"},
    {"half", "1/2"},       {"quarter", "1/4"},        {"tens", "10s"},        {"dozens", "12s"},
    {"hundreds", "100s"},  {"thousands", "1000s"},    {"millions", "1000000s"}, {"billions", "1000000000s"},
  }};
  static const auto index = word_map(words);
  if (const char* value = value_of(index, w))
    return value;
  return foreign_number_word(w);
}

/// The value of a Roman numeral of two letters or more from I, V and X, written in capitals and
/// in canonical form ("II", "VIII", "XIV"), or empty. Single letters are left alone ("X", a
/// name, as often as ten), and so are L, C, D and M ("CD", "DC", "MD").
std::string roman_numeral(const std::string& w) {
  if (w.size() < 2 || w.size() > 7 || w.find_first_not_of("IVX") != std::string::npos) // 38: XXXVIII
    return {};
  const auto value_of = [](char c) { return c == 'I' ? 1 : c == 'V' ? 5 : 10; };
  int value = 0;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const int v = value_of(w[i]);
    value += i + 1 < w.size() && v < value_of(w[i + 1]) ? -v : v;
  }
  if (value <= 0 || value >= 40)
    return {};
  static const std::array<const char*, 4> tens = {"", "X", "XX", "XXX"};
  static const std::array<const char*, 10> units = {"", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX"};
  if (std::string(tens[value / 10]) + units[value % 10] != w)
    return {}; // "IIII", "VX": not a numeral
  return std::to_string(value);
}

/// The first code point of each run of ten decimal digits (Unicode category Nd, 14.0) in the Basic
/// Multilingual Plane beyond ASCII, from Arabic-Indic (U+0660) to full-width (U+FF10).
constexpr std::array<std::uint32_t, 36> digit_zeros = {
  0x0660, 0x06F0, 0x07C0, 0x0966, 0x09E6, 0x0A66, 0x0AE6, 0x0B66, 0x0BE6, 0x0C66, 0x0CE6, 0x0D66,
  0x0DE6, 0x0E50, 0x0ED0, 0x0F20, 0x1040, 0x1090, 0x17E0, 0x1810, 0x1946, 0x19D0, 0x1A80, 0x1A90,
  0x1B50, 0x1BB0, 0x1C40, 0x1C50, 0xA620, 0xA8D0, 0xA900, 0xA9D0, 0xA9F0, 0xAA50, 0xABF0, 0xFF10};

/// What ASCII character the code point `code` stands for in a number, or 0: the digits of other
/// scripts ("٥" and "５" are "5"), U+2212 MINUS SIGN and the full-width '-', '.' and ','.
char ascii_for(std::uint32_t code) {
  for (const auto zero : digit_zeros)
    if (code >= zero && code < zero + 10)
      return static_cast<char>('0' + (code - zero));
  switch (code) {
  case 0x2212:
  case 0xFF0D: return '-';
  case 0xFF0E: return '.';
  case 0xFF0C: return ',';
  default: return 0;
  }
}

/// The value of a CJK numeral, or null.
const char* cjk_numeral(std::uint32_t code) {
  static constexpr std::array<std::pair<std::uint32_t, const char*>, 19> cjk = {{
    {0x3007, "0"}, {0x96F6, "0"}, {0x4E00, "1"}, {0x4E8C, "2"}, {0x4E24, "2"}, {0x4E09, "3"}, {0x56DB, "4"},
    {0x4E94, "5"}, {0x516D, "6"}, {0x4E03, "7"}, {0x516B, "8"}, {0x4E5D, "9"}, {0x5341, "10"}, {0x767E, "100"},
    {0x5343, "1000"}, {0x4E07, "10000"}, {0x842C, "10000"}, {0x4EBF, "100000000"}, {0x5104, "100000000"}}};
  for (const auto& [c, value] : cjk)
    if (c == code)
      return value;
  return nullptr;
}

/// How a numeral that is no digit is read, or empty: a superscript or subscript digit as "^2" or
/// "_2" ("2²" is not "2³", "H₂O" not "H₃O"), a vulgar fraction as its digits ("¼" is "1/4", not
/// "½"), a circled number as its digits, and a CJK numeral as a number of its own ("一百" is "1 100",
/// so that "一百 plus 三" is not "一百 plus 二"). Blanks around, so that none joins a neighbour: "1½"
/// reads "1 1/2", never "11/2". Different spellings of one value ("½" / "half", "百" / "100") then
/// differ: a miss, never a wrong answer.
std::string numeral_text(std::uint32_t code) {
  const auto apart = [](const std::string& numeral) { return " " + numeral + " "; };
  if (code == 0x2044) // FRACTION SLASH: "1⁄4" is "1/4"
    return "/";
  static constexpr std::array<std::pair<std::uint32_t, const char*>, 19> fractions = {{
    {0x00BC, "1/4"}, {0x00BD, "1/2"}, {0x00BE, "3/4"}, {0x2150, "1/7"}, {0x2151, "1/9"}, {0x2152, "1/10"},
    {0x2153, "1/3"}, {0x2154, "2/3"}, {0x2155, "1/5"}, {0x2156, "2/5"}, {0x2157, "3/5"}, {0x2158, "4/5"},
    {0x2159, "1/6"}, {0x215A, "5/6"}, {0x215B, "1/8"}, {0x215C, "3/8"}, {0x215D, "5/8"}, {0x215E, "7/8"},
    {0x2189, "0/3"}}};
  for (const auto& [c, fraction] : fractions)
    if (c == code)
      return apart(fraction);
  // Superscript digits: 1, 2 and 3 in Latin-1, the others from U+2070; subscripts from U+2080.
  const int superscript = code == 0x00B9 ? 1 : code == 0x00B2 ? 2 : code == 0x00B3 ? 3
                        : code == 0x2070 || (code >= 0x2074 && code <= 0x2079) ? static_cast<int>(code - 0x2070) : -1;
  if (superscript >= 0)
    return apart("^" + std::to_string(superscript));
  if (code >= 0x2080 && code <= 0x2089)
    return apart("_" + std::to_string(code - 0x2080));
  if (code >= 0x2460 && code <= 0x2473) // circled 1 to 20
    return apart(std::to_string(code - 0x2460 + 1));
  if (const char* value = cjk_numeral(code))
    return apart(value);
  return {};
}

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

/// `text` with the characters `ascii_for` knows written in ASCII, and those `numeral_text` knows
/// as it reads them; every other byte as it was.
std::string ascii_numerals(std::string_view text) {
  std::vector<std::pair<std::uint32_t, std::string_view>> characters;
  for_each_character(text, [&](std::uint32_t code, std::string_view bytes) { characters.emplace_back(code, bytes); });
  const auto cjk_at = [&](std::size_t i) { return i < characters.size() && cjk_numeral(characters[i].first) != nullptr; };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < characters.size(); ++i) {
    const auto [code, bytes] = characters[i];
    if (bytes.size() == 1) // ASCII, or a byte that begins no sequence: kept
      out += bytes;
    else if (const char ascii = ascii_for(code); ascii != 0)
      out.push_back(ascii);
    else if (code == 0x4E00 && !(i > 0 && cjk_at(i - 1)) && !cjk_at(i + 1))
      out += bytes; // 一 alone is a word's as often as a number's (一下, 一样, 统一): "一百" is a number
    else if (const auto numeral = numeral_text(code); !numeral.empty())
      out += numeral;
    else
      out += bytes;
  }
  return out;
}

/// Whether `w` (lower case) is a unit or a suffix that is written either after a blank or right
/// after the digits ("5 mg" / "5mg", "16 GB" / "16GB", "10 am" / "10am").
bool unit_word(std::string_view w) {
  static const std::array<std::string_view, 46> units = {
    "k",  "m",  "b",   "bn",  "kb",  "mb",   "gb", "tb",  "pb",  "mg",  "g",   "kg",  "lb",   "lbs",  "oz",  "ml",
    "l",  "km", "cm",  "mm",  "ft",  "mph",  "am", "pm",  "x",   "ms",  "s",   "h",   "hr",   "hrs",  "min", "mins",
    "st", "nd", "rd",  "th",  "kw",  "kwh",  "w",  "v",   "hz",  "khz", "mhz", "ghz", "mbps", "gbps"};
  return std::find(units.begin(), units.end(), w) != units.end();
}

/// `text` with the blank between digits and a unit word taken out: "5 mg" reads as "5mg".
std::string units_joined(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == ' ' && i > 0 && is_digit(text[i - 1])) {
      std::size_t end = i + 1;
      std::string word;
      while (end < text.size() && std::isalpha(static_cast<unsigned char>(text[end])))
        word.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(text[end++]))));
      if (!word.empty() && unit_word(word))
        continue; // the blank goes
    }
    out.push_back(text[i]);
  }
  return out;
}

} // namespace

std::vector<std::string> numbers_in(std::string_view original) {
  const std::string text = units_joined(ascii_numerals(original));
  std::vector<std::string> out;
  std::string number, word, raw_word;
  // "minus 20" and "negative twenty" are -20 as "-20" is: the word, then blanks, then the number.
  bool sign_word = false;
  bool suffix = false; // letters right after the digits belong to the number: "80k", "5th", "16GB"
  const auto end_word = [&] {
    if (word.empty())
      return;
    const char* value = number_word(word);
    const auto roman = value == nullptr ? roman_numeral(raw_word) : std::string();
    if (value != nullptr || !roman.empty())
      out.push_back((sign_word ? "-" : "") + (value != nullptr ? std::string(value) : roman));
    sign_word = value == nullptr && roman.empty() && (word == "minus" || word == "negative");
    word.clear();
    raw_word.clear();
  };
  const auto end_number = [&] {
    if (!number.empty() && number != "-")
      out.push_back(number);
    number.clear();
    suffix = false;
  };
  const auto digit_at = [&](std::size_t i) { return i < text.size() && is_digit(text[i]); };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (letter) {
      if (!number.empty() && (suffix || digit_at(i - 1))) {
        number.push_back(static_cast<char>(c | 0x20));
        suffix = true;
        continue;
      }
      end_number();
      word.push_back(static_cast<char>(c | 0x20));
      raw_word.push_back(c);
      continue;
    }
    end_word();
    if (is_digit(c)) {
      if (suffix) // "4x4": a number again
        end_number();
      if (number.empty()) {
        // ".5" is 0.5, not 5 (but "No.5" and "...5" are 5). A minus sign right before, not a
        // hyphen after a word or a number ("-20", not "COVID-19" or "5-10"). "minus -3" is
        // neither -3 nor 3: a number of its own.
        const bool point = i > 0 && text[i - 1] == '.' &&
                           (i == 1 || !(std::isalnum(static_cast<unsigned char>(text[i - 2])) || text[i - 2] == '.'));
        const std::size_t before = point ? 1 : 0; // characters between the sign and the digit
        const bool sign_before = i > before && text[i - before - 1] == '-';
        const std::size_t sign_at = i - before - 1; // read only when sign_before
        const bool after_word = sign_before && sign_at > 0 && std::isalnum(static_cast<unsigned char>(text[sign_at - 1]));
        const bool minus = sign_before && !after_word;
        number = minus && sign_word ? "--" : minus || sign_word ? "-" : "";
        if (point)
          number += "0.";
      }
      sign_word = false;
      number.push_back(c);
    } else if (c == '.' && !number.empty() && !suffix && digit_at(i + 1)) {
      number.push_back('.'); // 1.5 is not 15
    } else if (c == ',' && !number.empty() && !suffix && digit_at(i + 1) && digit_at(i + 2) && digit_at(i + 3) &&
               !digit_at(i + 4)) {
      // 1,000 and 1000 are the same number; "1,5" (a decimal comma, or a list) is not 15
    } else {
      end_number();
      // Blanks, and the sign or point of the number that follows ("minus -3", "minus .5"), keep
      // what "minus" said for it.
      const bool point_then_digit = i + 1 < text.size() && text[i + 1] == '.' && digit_at(i + 2);
      const bool starts_number = (c == '-' || c == '.') && (digit_at(i + 1) || point_then_digit);
      if (c != ' ' && c != '\t' && !starts_number)
        sign_word = false;
    }
  }
  end_word();
  end_number();
  return out;
}

namespace {

/// Lower-cased words of ASCII letters and digits, with the '+' and '#' right after one ("c++",
/// "c#"); an apostrophe inside a word is dropped, as in `letter_words`.
std::vector<std::string> words_with_symbols(std::string_view text) {
  std::vector<std::string> out;
  std::string current;
  for (char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || is_digit(c)) {
      if (!current.empty() && (current.back() == '+' || current.back() == '#'))
        end_token(out, current); // "c++x": a word after the symbols
      current.push_back(static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c));
    } else if ((c == '+' || c == '#') && !current.empty()) {
      current.push_back(c);
    } else if ((c == '\'' || static_cast<unsigned char>(c) >= 0x80) && !current.empty()) {
      continue;
    } else {
      end_token(out, current);
    }
  }
  end_token(out, current);
  return out;
}

} // namespace

std::vector<std::string> operators_in(std::string_view written) {
  // Numerals as `numbers_in` reads them: "½" is "1/2" there, so its slash is an operator here too
  // ("½ tablet" is not "1 or 2 tablets"; it is "1/2 tablet").
  const std::string original = ascii_numerals(written);
  // Each operator in one ASCII spelling, so that "×" and "*" are one operator.
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 7> wide = {
    {{"\u00d7", "*"}, {"\u00f7", "/"}, {"\u2212", "-"}, {"\u2013", "-"}, {"\u2264", "<="}, {"\u2265", ">="},
     {"\u2260", "!="}}};
  std::string text;
  text.reserve(original.size());
  for (std::size_t i = 0; i < original.size(); ++i) {
    const auto it = std::find_if(wide.begin(), wide.end(), [&](const auto& w) {
      return original.compare(i, w.first.size(), w.first) == 0;
    });
    if (it == wide.end()) {
      text.push_back(original[i]);
      continue;
    }
    text += it->second;
    i += it->first.size() - 1;
  }
  // The nearest character that is not a blank: before position i, or from position i on.
  const auto before = [&](std::size_t i) {
    while (i > 0 && text[i - 1] == ' ')
      --i;
    return i > 0 ? text[i - 1] : ' ';
  };
  const auto after = [&](std::size_t i) {
    while (i < text.size() && text[i] == ' ')
      ++i;
    return i < text.size() ? text[i] : ' ';
  };
  const auto at = [&](std::size_t i) { return i < text.size() ? text[i] : ' '; };
  const auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  // A letter standing alone, a variable's name: "a" of "a - b", not of "http://x/y" or "A/B".
  const auto lone_letter = [&](std::size_t i) {
    const auto joined = [&](char c) { return alnum(c) || std::string_view("./-_'").find(c) != std::string_view::npos; };
    return std::isalpha(static_cast<unsigned char>(at(i))) && (i == 0 || !joined(at(i - 1))) && !joined(at(i + 1));
  };
  std::vector<std::string> out;
  std::string run;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const char next = at(i + 1);
    if ((c == '-' || c == '/' || c == '|' || c == '&') && next == '=') {
      run.push_back(c); // a compound assignment: "x -= 1" is not "x /= 1", nor "x = 1"
    } else if (c == '-' || c == '/') {
      // Between numbers: "3 - 5", "12/3"; between lower-case letters standing alone, with a
      // blank either side: "a - b", "x / y". Not in words ("30-year", "and/or", "$5/month", "w/o",
      // "I/O"), paths, as a dash ("Python - sort a list", "Vitamin D - a review"), nor between
      // capitals ("A / B testing").
      const char l = before(i), r = after(i + 1);
      const bool numbers = (is_digit(l) || l == ')') && (is_digit(r) || r == '(');
      const auto small = [&](std::size_t k) { return lone_letter(k) && std::islower(static_cast<unsigned char>(at(k))); };
      const bool letters = i >= 2 && at(i - 1) == ' ' && next == ' ' && small(i - 2) && small(i + 2);
      if (numbers || letters)
        run.push_back(c);
      else
        end_token(out, run);
    } else if (c == '+' && is_digit(next) && !is_digit(before(i)) && run.empty()) {
      continue; // a sign, the number's: nothing to end (no run yet)
    } else if (std::string_view("+*=<>^").find(c) != std::string_view::npos) {
      run.push_back(c);
    } else if (c == '!' && (next == '=' || ((alnum(next) || next == '(' || next == '_') && !alnum(at(i - 1))))) {
      run.push_back(c); // "!=", and a negation before a name: "if (!user.isAdmin)"
    } else if (c == '?' && (next == '?' || next == '.' || next == ':') && (alnum(before(i)) || before(i) == ')') &&
               (at(i - 1) == ' ') == (at(i + 2) == ' ') && (alnum(after(i + 2)) || after(i + 2) == '(') &&
               !(at(i - 1) == ' ' && std::isupper(static_cast<unsigned char>(after(i + 2))))) {
      // "a ?? b", "a?.b", "x ?: y" between two operands, with a blank either side or neither: not
      // "Really?? I thought", nor "Is it true ?? I think not" (a sentence after it).
      run.push_back(c);
      run.push_back(next);
      ++i;
    } else if (c != ' ' || run.empty()) {
      end_token(out, run);
    }
  }
  end_token(out, run);
  return out;
}

std::vector<std::string> signs_in(std::string_view text) {
  // A sign written as a word is that sign: "20 percent" is "20%".
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 8> spelt = {{
    {"percent", "%"}, {"dollar", "$"}, {"dollars", "$"}, {"euro", "\u20ac"}, {"euros", "\u20ac"},
    {"degree", "\u00b0"}, {"degrees", "\u00b0"}, {"yen", "\u00a5"}}};
  std::vector<std::string> out;
  std::string word;
  const auto end_word = [&] {
    for (const auto& [name, sign] : spelt)
      if (word == name)
        out.emplace_back(sign);
    word.clear();
  };
  for_each_character(text, [&](std::uint32_t code, std::string_view bytes) {
    if ((code >= 'a' && code <= 'z') || (code >= 'A' && code <= 'Z')) {
      word.push_back(static_cast<char>(code | 0x20));
      return;
    }
    end_word();
    // The full-width forms as the signs they stand for.
    switch (code) {
    case 0xFF04: out.emplace_back("$"); return;
    case 0xFF05: out.emplace_back("%"); return;
    case 0xFE69: out.emplace_back("$"); return;
    case 0xFFE0: out.emplace_back("\u00a2"); return;
    case 0xFFE1: out.emplace_back("\u00a3"); return;
    case 0xFFE5: out.emplace_back("\u00a5"); return;
    case 0xFFE6: out.emplace_back("\u20a9"); return;
    default: break;
    }
    const bool sign = code == '$' || code == '%' || (code >= 0x00A2 && code <= 0x00A5) || code == 0x00B0 ||
                      code == 0x058F || code == 0x060B || code == 0x09F2 || code == 0x09F3 || code == 0x0E3F ||
                      code == 0x17DB || (code >= 0x20A0 && code <= 0x20C0) || code == 0x2030 || code == 0x2031 ||
                      code == 0x2103 || code == 0x2109 || code == 0xFDFC;
    if (sign)
      out.emplace_back(bytes);
  });
  end_word();
  return out;
}

std::vector<std::string> marks_in(std::string_view text) {
  std::vector<std::string> out;
  const auto letter = [&](std::size_t i) {
    return i < text.size() && ((text[i] >= 'a' && text[i] <= 'z') || (text[i] >= 'A' && text[i] <= 'Z'));
  };
  // Letters standing alone, but "a", "I" and "u" (words as often as names), and letters of an
  // abbreviation or a list: beside a point that touches another letter ("e.g.", "U.S.", "Ph.D.",
  // "J.K."), before ')' ("b) Java"), or beside an apostrophe ("'n'", "3's").
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (!letter(i) || (i > 0 && letter(i - 1)) || letter(i + 1))
      continue;
    const char before = i > 0 ? text[i - 1] : ' ';
    const char after = i + 1 < text.size() ? text[i + 1] : ' ';
    const bool abbreviation = (before == '.' && i > 1 && letter(i - 2)) || (after == '.' && letter(i + 2));
    const char lower = static_cast<char>(text[i] | 0x20);
    if (abbreviation || after == ')' || before == '\'' || after == '\'' || lower == 'a' || lower == 'i' ||
        lower == 'u')
      continue;
    // A command's option keeps its case: "-v" (verbose) is not "-V" (version); so does an escape:
    // "\d" (a digit) is not "\D" (anything else).
    out.emplace_back(1, before == '-' || before == '\\' ? text[i] : lower);
  }
  // Blank-separated runs of symbols, but the last of the text, a lone "&" ("pros & cons"), "?" and
  // "!" ("safe ? I am worried"), an ellipsis, dashes and slashes (a title's "Python - sort a list",
  // "and / or"), and what `operators_in` and `signs_in` read.
  std::vector<std::string_view> runs;
  for (std::size_t at = 0; at < text.size();) {
    const auto start = text.find_first_not_of(" \t\n", at);
    if (start == std::string_view::npos)
      break;
    const auto end = std::min(text.find_first_of(" \t\n", start), text.size());
    runs.push_back(text.substr(start, end - start));
    at = end;
  }
  for (std::size_t i = 0; i + 1 < runs.size(); ++i)
    if (runs[i].find_first_not_of("&|~.@`#") == std::string_view::npos && runs[i] != "&" &&
        runs[i].find("..") == std::string_view::npos)
      out.emplace_back(runs[i]);
  // An absolute path's leading slash: "/etc/hosts" is not "etc/hosts" (nor "/r/" "r/", a miss).
  for (const auto run : runs)
    if (run.size() > 2 && run[0] == '/' && std::isalpha(static_cast<unsigned char>(run[1])) &&
        run.find('/', 1) != std::string_view::npos)
      out.emplace_back("/");
  return out;
}

std::vector<std::string> code_runs_in(std::string_view text) {
  std::vector<std::string> out;
  const auto symbol = [](char c) {
    return c > ' ' && c < 0x7F && std::isalnum(static_cast<unsigned char>(c)) == 0;
  };
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n'; };
  for (std::size_t i = 0; i < text.size();) {
    if (!symbol(text[i])) {
      ++i;
      continue;
    }
    std::size_t end = i;
    while (end < text.size() && symbol(text[end]))
      ++end;
    const auto run = text.substr(i, end - i);
    const bool alone = (i == 0 || blank(text[i - 1])) && (end == text.size() || blank(text[end]));
    i = end;
    if (alone && run.find_first_not_of("&|~.@`#") == std::string_view::npos)
      continue; // `marks_in` reads it, as a blank-separated run
    // "$" and the symbol after it, wherever in the run ("`$?`", "($!)"; not a price's "5$."), then
    // the rest of the run as any.
    std::string code;
    for (std::size_t k = 0; k < run.size(); ++k) {
      if (run[k] == '$' && k + 1 < run.size() && std::string_view("`'\")]}.,;:").find(run[k + 1]) == std::string_view::npos) {
        out.emplace_back(run.substr(k++, 2));
        continue;
      }
      if (std::string_view(".,;:!?'\"`*").find(run[k]) == std::string_view::npos)
        code.push_back(run[k]);
    }
    if (code.size() >= 2 && code.find_first_of("{}[]()<>&|") != std::string::npos)
      out.push_back(std::move(code));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

namespace {

/// glibc's classes of every script (C.UTF-8), for the letters, digits and blanks beyond ASCII.
locale_t utf8_classes() {
  static const locale_t classes = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
  return classes;
}

/// Characters beyond ASCII that separate or quote words, or change how the one before is drawn,
/// rather than say something: spaces, dashes, quotes and other general punctuation, CJK and
/// full-width punctuation, inverted ? and !, guillemets, combining marks, variation selectors,
/// skin tones, tag characters, and U+FFFD (what `for_each_character` passes for a byte that is not
/// UTF-8).
bool punctuation_or_mark(std::uint32_t code) {
  constexpr std::array<std::pair<std::uint32_t, std::uint32_t>, 14> ranges = {{
    {0x0080, 0x00A1}, {0x00AB, 0x00AB}, {0x00AD, 0x00AD}, {0x00B7, 0x00B7}, {0x00BB, 0x00BB},
    {0x00BF, 0x00BF}, {0x2000, 0x206F}, {0x3000, 0x303F}, {0xFE00, 0xFE0F}, {0xFF01, 0xFF0F},
    {0xFF1A, 0xFF20}, {0xFFFD, 0xFFFD}, {0x1F3FB, 0x1F3FF}, {0xE0000, 0xE01EF}}};
  return is_combining_mark(code) ||
         std::any_of(ranges.begin(), ranges.end(), [&](const auto& r) { return code >= r.first && code <= r.second; });
}

} // namespace

std::vector<std::string> symbols_in(std::string_view text) {
  const auto classes = utf8_classes();
  std::vector<std::string> out;
  for_each_character(text, [&](std::uint32_t code, std::string_view bytes) {
    if (code < 0x80 || punctuation_or_mark(code) || iswalnum_l(static_cast<wint_t>(code), classes) ||
        iswspace_l(static_cast<wint_t>(code), classes))
      return;
    // What the numbers, operators and signs are read with, in whichever spelling: "½" and "1/2",
    // "×" and "*", "€" and "euros" are compared there.
    if (ascii_for(code) != 0 || !numeral_text(code).empty() || !operators_in(bytes).empty() || !signs_in(bytes).empty())
      return;
    out.emplace_back(bytes);
  });
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

namespace {

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

/// What a text says, for `names_differ`: its words of any script, an apostrophe inside one dropped.
std::set<std::string> said_in(std::string_view text) {
  const auto words = words_of_any_script(text, apostrophe::joins);
  return {words.begin(), words.end()};
}

/// How a word is written, a character a letter: 'U' a capital, 'l' not ("Mb" is "Ul").
using case_pattern = std::string;

/// Each word of a text, lower-cased, with the ways it is written there.
using spellings = std::map<std::string, std::set<case_pattern>>;

/// The words written with a capital in `text`, lower-cased, with how: names, as often as not ("Berlin",
/// "AWS", "eBay", "iPhone", "Österreich", "Москва"). Not a sentence's first word (after ". ", "?",
/// "!", ":", their full-width and CJK forms, or a line break; not the point of "Dr." or "e.g.": a
/// capitalised word of three letters or fewer, or a single letter, before it), not "I" and its
/// contractions, and none at all in a text without a lower-case letter (shouted, every word would
/// be one).
spellings capitalised_in(std::string_view text) {
  spellings out;
  bool any_lower = false;
  for_each_letter_case(text, [&](std::uint32_t, bool upper, bool letter) { any_lower = any_lower || (letter && !upper); });
  if (!any_lower)
    return out;
  bool sentence_start = true;
  std::string word;
  case_pattern pattern;
  bool capital = false;
  // The word before the character being read: an abbreviation, if a point follows it?
  bool last_abbreviation = false;
  const auto end_word = [&] {
    const bool pronoun = word == "i" || word == "im" || word == "ill" || word == "id" || word == "ive";
    if (!word.empty() && capital && !sentence_start && !pronoun)
      out[word].insert(pattern);
    if (!word.empty())
      sentence_start = false;
    last_abbreviation = pattern.size() == 1 || (capital && pattern.size() <= 3);
    word.clear();
    pattern.clear();
    capital = false;
  };
  for_each_letter_case(text, [&](std::uint32_t lower, bool upper, bool letter) {
    if (letter) {
      capital = capital || upper;
      append_utf8(word, lower);
      pattern.push_back(upper ? 'U' : 'l');
    } else if ((lower == '\'' || lower == 0x2019) && !word.empty()) {
      return;
    } else {
      end_word();
      if (lower == '?' || lower == '!' || lower == ':' || lower == '\n' || lower == 0x3002 || lower == 0xFF1F ||
          lower == 0xFF01 || lower == 0xFF1A || (lower == '.' && !last_abbreviation))
        sentence_start = true;
    }
  });
  end_word();
  return out;
}

/// Whether each text names something, with a capital, that the other does not say at all;
/// `names_a` and `names_b` are their `capitalised_in`.
bool names_differ(std::string_view a, std::string_view b, const spellings& names_a, const spellings& names_b) {
  const auto said_a = said_in(a), said_b = said_in(b);
  const auto names_one_the_other_lacks = [](const spellings& names, const std::set<std::string>& other) {
    return std::any_of(names.begin(), names.end(), [&](const auto& n) { return other.count(n.first) == 0; });
  };
  return names_one_the_other_lacks(names_a, said_b) && names_one_the_other_lacks(names_b, said_a);
}

/// The words right after a number, or after a number and a blank, with how they are written: the
/// units of "5MB", "10 mW", "1 MΩ", which `numbers_in` reads lower-cased.
spellings units_in(std::string_view text) {
  spellings out;
  std::string word;
  case_pattern pattern;
  bool unit = false;                                    // the word being read follows a number
  bool digit_before = false, digit_blank_before = false; // the last characters: a digit, a digit and a blank
  for_each_letter_case(ascii_numerals(text), [&](std::uint32_t lower, bool upper, bool letter) {
    if (letter) {
      if (pattern.empty())
        unit = digit_before || digit_blank_before;
      append_utf8(word, lower);
      pattern.push_back(upper ? 'U' : 'l');
      digit_before = digit_blank_before = false;
      return;
    }
    if (unit && !word.empty())
      out[word].insert(pattern);
    word.clear();
    pattern.clear();
    digit_blank_before = digit_before && lower == ' ';
    digit_before = lower < 0x80 && is_digit(static_cast<char>(lower));
  });
  if (unit && !word.empty())
    out[word].insert(pattern);
  return out;
}

/// Whether two ways of writing one word say different things. Only where case is what tells the
/// meaning: in a unit, a b is a bit in lower case and a byte as a capital ("Mb" / "MB", "Mbps" /
/// "MBps", "Gb" / "GB"), and an m starting a two-letter unit milli in lower case and mega as a
/// capital ("mW" / "MW", "mm" / "Mm", "mΩ" / "MΩ"); a chemical symbol (`element`) in any other
/// case ("CO" is carbon monoxide, "Co" cobalt). A side all in lower case was typed without care
/// ("5 gb", "mbps"), and so is an abbreviation all in capitals against one all in lower case ("MB"
/// / "mb"): neither tells. Any other difference is not read ("GHz" / "Ghz", "dB" / "DB", "Min" /
/// "min", "Kg" / "kg").
bool case_differs(const case_pattern& p, const case_pattern& q, const std::string& word, bool element) {
  if (p == q)
    return false;
  const auto lower = [](const case_pattern& c) { return c.find('U') == std::string::npos; };
  const auto upper = [](const case_pattern& c) { return c.find('l') == std::string::npos; };
  const bool careless = lower(p) || lower(q);
  if (p.size() == 2 && word.front() == 'm' && p.front() != q.front() &&
      !((lower(p) && upper(q)) || (upper(p) && lower(q))))
    return true;
  if (careless)
    return false;
  if (word.size() == p.size()) // one byte a letter: the pattern's positions are the word's
    for (std::size_t k = 0; k < word.size(); ++k)
      if (word[k] == 'b' && p[k] != q[k])
        return true;
  return element;
}

/// More ways than this of writing one word in one text, and that word's case is not read: a text
/// written so is no question to tell by case, and comparing every way with every other took
/// quadratic time (a lookup of a few hundred KiB, seconds).
constexpr std::size_t max_spellings = 4;

/// Whether a word both texts write is written in one only in ways that `case_differs` from all of
/// the other's; `elements`: the words are chemical symbols.
bool spellings_differ(const spellings& a, const spellings& b, bool elements) {
  return std::any_of(a.begin(), a.end(), [&](const auto& word) {
    const auto other = b.find(word.first);
    if (other == b.end() || word.second.size() > max_spellings || other->second.size() > max_spellings)
      return false;
    return std::all_of(word.second.begin(), word.second.end(), [&](const case_pattern& p) {
      return std::all_of(other->second.begin(), other->second.end(),
                         [&](const case_pattern& q) { return case_differs(p, q, word.first, elements); });
    });
  });
}

/// Whether `word` (lower case) is the symbol of a chemical element of two letters.
bool element_symbol(const std::string& word) {
  static constexpr std::string_view symbols =
    "he li be ne na mg al si cl ar ca sc ti cr mn fe co ni cu zn ga ge as se br kr rb sr zr nb mo tc ru rh pd ag "
    "cd in sn sb te xe cs ba la ce pr nd pm sm eu gd tb dy ho er tm yb lu hf ta re os ir pt au hg tl pb bi po at "
    "rn fr ra ac th pa np pu am cm bk cf es fm md no lr rf db sg bh hs mt ds rg cn nh fl mc lv ts og ";
  return word.size() == 2 && symbols.find(word + ' ') != std::string_view::npos; // two letters: aligned
}

/// The `names` a text writes with a capital (its `capitalised_in`) that are the symbol of a
/// chemical element ("CO" is carbon monoxide, "Co" cobalt), but for the `units` it writes after a
/// number ("85 dB" is no dubnium). Not other short names: an abbreviation is written "Tv", "Phd",
/// "Seo" as often as "TV", "PhD", "SEO" (the Quora duplicates).
spellings element_names(spellings names, const spellings& units) {
  auto out = std::move(names);
  for (auto it = out.begin(); it != out.end();)
    it = element_symbol(it->first) && units.count(it->first) == 0 ? std::next(it) : out.erase(it);
  return out;
}

/// Whether a unit after a number or a chemical symbol is written in another case ("5 MB" / "5 Mb",
/// "CO" / "Co"): the embedder lower-cases, so that either pair scored 1.0. `names_a` and `names_b`
/// are the texts' `capitalised_in`.
bool case_differs_in(std::string_view a, std::string_view b, const spellings& names_a, const spellings& names_b) {
  const auto units_a = units_in(a), units_b = units_in(b);
  return spellings_differ(units_a, units_b, false) ||
         spellings_differ(element_names(names_a, units_a), element_names(names_b, units_b), true);
}

/// `words` with a plural's s dropped ("bytes", "weeks"; not "ss", "us", "is" nor a word of three
/// letters or fewer) and "into" and "onto" as "to" and "on".
std::vector<std::string> plain_forms(std::vector<std::string> words) {
  for (auto& w : words) {
    if (w == "into")
      w = "to";
    else if (w == "onto")
      w = "on";
    else if (w.size() > 3 && w.back() == 's' && w[w.size() - 2] != 's' && w[w.size() - 2] != 'u' &&
               w[w.size() - 2] != 'i')
      w.pop_back();
  }
  return words;
}

/// Whether each of two sorted lists has an item the other has not; one on one side only is a
/// detail the other may leave out.
bool each_lacks_one(const std::vector<std::string>& in_a, const std::vector<std::string>& in_b) {
  const auto lacks = [](const std::vector<std::string>& these, const std::vector<std::string>& other) {
    return std::any_of(these.begin(), these.end(),
                       [&](const std::string& s) { return !std::binary_search(other.begin(), other.end(), s); });
  };
  return lacks(in_a, in_b) && lacks(in_b, in_a);
}

} // namespace

bool reworded_by_order_or_symbol(std::string_view a, std::string_view b) {
  // A symbol beyond ASCII ("👍" / "👎"; not "🤗 Datasets" / "Datasets"), or code's run of ASCII
  // ones ("{}" / "[]"; not "(#rows)" / "rows"), on each side that the other has not.
  if (operators_in(a) != operators_in(b) || signs_in(a) != signs_in(b) || marks_in(a) != marks_in(b) ||
      each_lacks_one(symbols_in(a), symbols_in(b)) || each_lacks_one(code_runs_in(a), code_runs_in(b)))
    return true;
  // Read once for both: a pass over each text, which may be long.
  const auto names_a = capitalised_in(a), names_b = capitalised_in(b);
  if (names_differ(a, b, names_a, names_b) || case_differs_in(a, b, names_a, names_b))
    return true;
  const auto words_a = words_with_symbols(a), words_b = words_with_symbols(b);
  auto sorted_a = words_a, sorted_b = words_b;
  std::sort(sorted_a.begin(), sorted_a.end());
  std::sort(sorted_b.begin(), sorted_b.end());
  if (sorted_a == sorted_b)
    return words_a != words_b;
  // The same words but for a plural that moved, or "into" for "to": "bits in a byte" / "bytes in
  // a bit", "convert a list to a tuple" / "a tuple into a list".
  const auto plain_a = plain_forms(words_a), plain_b = plain_forms(words_b);
  if (plain_a != plain_b && std::is_permutation(plain_a.begin(), plain_a.end(), plain_b.begin(), plain_b.end()))
    return true;
  const auto with_symbol = [](const std::vector<std::string>& sorted) {
    std::vector<std::string> out;
    std::copy_if(sorted.begin(), sorted.end(), std::back_inserter(out),
                 [](const std::string& w) { return w.back() == '+' || w.back() == '#'; });
    return out;
  };
  return with_symbol(sorted_a) != with_symbol(sorted_b);
}

bool opposite_by_prefix(std::string_view a, std::string_view b) {
  const auto words_a = letter_words(a), words_b = letter_words(b);
  const std::set<std::string> set_a(words_a.begin(), words_a.end()), set_b(words_b.begin(), words_b.end());
  // "safe" on one side and "unsafe" on the other, where the other side does not say "safe" too.
  // un- and non- negate words of three letters or more; in-, im-, il-, ir- and dis- make other words
  // of short ones too often (put/input, side/inside, port/import, ease/disease): five or more; de-
  // and des- (activate/deactivate, aktivieren/deaktivieren, activar/desactivar) seven or more
  // (code/decode is in the sets; tail/detail, fine/define, sign/design are no opposites).
  const auto negated_in = [](const std::set<std::string>& base, const std::set<std::string>& other) {
    static const std::array<std::pair<const char*, std::size_t>, 9> prefixes = {
      {{"un", 3}, {"non", 3}, {"in", 5}, {"im", 5}, {"il", 5}, {"ir", 5}, {"dis", 5}, {"de", 7}, {"des", 7}}};
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

namespace {

/// The forms of `word` the sets below stand for: itself, its plural or third person (-s, -es, -ies),
/// its past (-ed, -d, -ied) and its -ing form, with a final consonant doubled or an e dropped as
/// English spells them ("stopped", "closing"). Generated from the listed word, not taken off a
/// text's words: "here" is no form of "her", nor "evening" of "even".
std::vector<std::string> inflections(const std::string& word) {
  std::vector<std::string> out{word, word + "s", word + "es", word + "ed", word + "ing"};
  const char last = word.back();
  const auto vowel = [](char c) { return std::string_view("aeiou").find(c) != std::string_view::npos; };
  if (last == 'e') {
    out.push_back(word + "d");
    out.push_back(word.substr(0, word.size() - 1) + "ing");
  }
  if (last == 'y' && word.size() > 2 && !vowel(word[word.size() - 2])) {
    out.push_back(word.substr(0, word.size() - 1) + "ies");
    out.push_back(word.substr(0, word.size() - 1) + "ied");
  }
  // A short word ending in consonant, vowel, consonant doubles its last letter: stop, get, log.
  if (word.size() <= 4 && word.size() >= 3 && !vowel(last) && last != 'w' && last != 'x' && last != 'y' &&
      vowel(word[word.size() - 2]) && !vowel(word[word.size() - 3])) {
    out.push_back(word + last + "ed");
    out.push_back(word + last + "ing");
  }
  return out;
}

/// Words of which a question says one where another says another, and asks something else:
/// antonyms, and sets of which one member excludes the others (weekdays, languages, formats, ...).
/// Each line is one set; a member is a word in any of its `inflections`, or words that mean the
/// same joined by '|' ("jpg|jpeg"). Not "should" / "can" nor "better" / "worse": on the Quora pairs
/// they told apart fewer non-duplicates than twice the duplicates they split (241 duplicates to
/// 438, 8 to 3); "was" / "is" splits 179 to 394, kept ("Who was the president" is not "Who is the
/// president").
constexpr std::string_view exclusive_sets[] = {
  "ascending descending", "asc desc", "ascend descend", "increase decrease|reduce", "raise lower",
  "increment decrement",
  "enable disable", "buy|bought sell|sold", "buyer seller", "start stop", "open close", "add remove",
  "before after", "min max", "minimum maximum", "minimize maximize", "upload download", "import export",
  "encrypt decrypt", "encryption decryption", "encode decode", "encoder decoder", "compress decompress",
  "compression decompression", "serialize deserialize", "serialization deserialization", "push pull",
  "show|shown hide|hidden", "include exclude", "input output", "upper lower", "uppercase lowercase",
  "higher lower", "highest lowest", "high low", "larger smaller", "largest smallest", "bigger smaller",
  "biggest smallest", "most least", "more less|fewer", "longer shorter", "longest shortest", "faster slower",
  "fastest slowest", "best worst", "stronger weaker", "strongest weakest", "strong weak",
  "heavier lighter", "heavy light", "easier harder", "easy hard", "top bottom", "left right",
  "north south", "east west", "win|won lose|lost", "gain loss", "gain lose|lost", "profit loss",
  "rise|rose fall|fell", "pros cons", "true false", "allow|permit deny|forbid|prohibit",
  "accept reject|decline", "success failure", "insert delete", "begin end", "start end", "since until",
  "credit debit", "positive negative", "even odd", "weekday weekend", "inner outer", "union intersection",
  "gross net", "undo redo", "merge split", "overestimate underestimate", "keep discard",
  "succeed fail", "like dislike", "agree disagree", "synchronous asynchronous", "synchronously asynchronously",
  "sync async", "get set",
  "getter setter", "on off", "up down", "in out", "login|signin|logon logout|signout|logoff",
  "login|signin|logon signup|register", "ago in|later",
  "few many", "above below", "over under",
  "inside outside", "internal external", "expand collapse", "horizontal vertical",
  "horizontally vertically", "row column", "prefix suffix", "first last", "next previous",
  "forward backward", "forwards backwards", "read write|written|wrote", "send|sent receive",
  "public private", "local remote", "online offline", "inbound outbound", "hot cold", "old new",
  "oldest newest", "earliest latest", "arrive depart", "arrival departure", "borrow lend|lent",
  "male female", "man woman", "men women", "boy girl", "husband wife|wives", "mother father",
  "son daughter", "brother sister", "he she", "him her", "his her", "all some", "every any",
  "must can", "must may", "required allowed", "mandatory optional", "was is", "were are", "did will",
  "today|heute|aujourd|hoy|oggi|hoje tomorrow|morgen|demain|manana|ma\u00f1ana|domani|amanha|amanh\u00e3 "
  "yesterday|gestern|ayer|ieri|ontem",
  "this next last", "subir|sube|suben|subida bajar|baja|bajan|bajada", "encender|enciende apagar|apaga",
  "einschalten ausschalten",
  "monday tuesday wednesday thursday friday saturday sunday",
  "january|jan february|feb march|mar april|apr may june|jun july|jul august|aug september|sep|sept "
  "october|oct november|nov december|dec",
  "python java javascript typescript ruby php perl swift kotlin scala haskell rust golang lua dart julia "
  "elixir erlang clojure fortran cobol matlab bash powershell sql",
  "windows linux macos|mac|osx ios android", "ubuntu debian centos fedora rhel",
  "csv json xml yaml toml pdf docx xlsx png jpg|jpeg gif svg zip rar tar wav html markdown",
  "celsius fahrenheit kelvin", "meter|metre kilometer|kilometre|km centimeter|cm millimeter|mm mile foot|feet|ft inch yard",
  "gram kilogram|kg milligram|mg pound|lb|lbs ounce|oz ton",
  "liter|litre milliliter|ml gallon pint cup teaspoon|tsp tablespoon|tbsp",
  "bit byte", "kilobyte|kb megabyte|mb gigabyte|gb terabyte|tb", "mph kph|kmh",
  "usd eur gbp jpy cny inr aud cad chf",
  "second minute hour day week month year", "morning afternoon evening night", "summer winter",
  "spring autumn", "noon midnight", "sunrise sunset", "past future", "child|children adult",
  "dog cat", "iphone android", "chrome firefox safari", "mysql postgres|postgresql sqlite mongodb redis",
  "aws azure gcp", "tcp udp", "get post", "git svn", "npm yarn pip",
};

/// Forms no listed word stands for, though they are built like one: "news" is no plural of "new",
/// "willing" no form of "will", "lasting" of "last".
bool unrelated_form(std::string_view w) { return w == "news" || w == "willing" || w == "lasting" || w == "ins"; }

/// Each form of each listed word, with the set and the member it stands for; built once.
const std::multimap<std::string, std::pair<std::size_t, std::size_t>>& exclusive_forms() {
  static const auto forms = [] {
    std::multimap<std::string, std::pair<std::size_t, std::size_t>> out;
    for (std::size_t set = 0; set < std::size(exclusive_sets); ++set) {
      const auto line = exclusive_sets[set];
      std::size_t member = 0;
      for (std::size_t at = 0; at < line.size(); ++member) {
        const auto end = std::min(line.find(' ', at), line.size());
        const auto spellings = line.substr(at, end - at);
        for (std::size_t from = 0; from < spellings.size();) {
          const auto bar = std::min(spellings.find('|', from), spellings.size());
          std::set<std::string> seen; // "foot" and "feet" share no form, but one word's may repeat
          for (auto& form : inflections(std::string(spellings.substr(from, bar - from))))
            if (seen.insert(form).second && !unrelated_form(form))
              out.emplace(std::move(form), std::make_pair(set, member));
          from = bar + 1;
        }
        at = end + 1;
      }
    }
    return out;
  }();
  return forms;
}

/// `words` with "sign" and "log", in any form, joined to the "in", "up", "out", "on" or "off" after
/// them: "sign in" is "signin", as "login" is, and "sign up" another word ("signup"). Apart, "sign
/// in" and "sign up" differ in no listed word.
std::vector<std::string> phrasal_verbs_joined(const std::vector<std::string>& words) {
  static const std::set<std::string> verbs = {"sign", "signs", "signed", "signing", "log", "logs", "logged", "logging"};
  static const std::set<std::string> particles = {"in", "up", "out", "on", "off"};
  std::vector<std::string> out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (verbs.count(words[i]) != 0 && i + 1 < words.size() && particles.count(words[i + 1]) != 0) {
      out.push_back(words[i].substr(0, words[i][0] == 's' ? 4 : 3) + words[i + 1]);
      ++i;
    } else {
      out.push_back(words[i]);
    }
  }
  return out;
}

} // namespace

bool opposite_by_antonym(std::string_view a, std::string_view b) {
  // How many more times a says each member of each set than b.
  std::map<std::pair<std::size_t, std::size_t>, int> difference;
  const auto count = [&](std::string_view text, int sign) {
    for (const auto& w : phrasal_verbs_joined(words_of_any_script(text, apostrophe::splits))) {
      const auto [first, last] = exclusive_forms().equal_range(w);
      for (auto it = first; it != last; ++it)
        difference[it->second] += sign;
    }
  };
  count(a, 1);
  count(b, -1);
  // A set tells them apart when a says one member more and b another.
  std::map<std::size_t, std::pair<bool, bool>> sides; // set: (a says one more, b says one more)
  for (const auto& [member, d] : difference) {
    auto& side = sides[member.first];
    side.first = side.first || d > 0;
    side.second = side.second || d < 0;
  }
  return std::any_of(sides.begin(), sides.end(), [](const auto& s) { return s.second.first && s.second.second; });
}

namespace {

/// The places `text` goes to and comes from: the word after "to" or "into", and after "from" or
/// "out of", past an article or a possessive ("to my savings account" goes to "savings"). Not a
/// pronoun ("out of it", "from each other") nor after a word that compares rather than moves ("in
/// addition to", "apart from", "compared to", "differ from", "close to").
std::pair<std::set<std::string>, std::set<std::string>> directions_in(std::string_view text) {
  static const std::set<std::string> skipped = {"a", "an", "the", "my", "your", "his", "her", "its", "our", "their",
                                                "this", "that", "these", "those", "some", "either", "other"};
  static const std::set<std::string> no_place = {"it", "them", "me", "you", "us", "him", "each", "one", "another",
                                                 "others", "any", "all", "both", "here", "there", "where"};
  static const std::set<std::string> comparing = {"addition", "apart", "compare", "compared", "comparison", "differ",
                                                  "different", "differently", "close", "similar", "far", "aside"};
  const auto words = letter_words(text, apostrophe::splits);
  std::pair<std::set<std::string>, std::set<std::string>> out; // to, from
  for (std::size_t i = 0; i < words.size(); ++i) {
    const bool out_of = words[i] == "out" && i + 1 < words.size() && words[i + 1] == "of";
    const bool to = words[i] == "to" || words[i] == "into", from = words[i] == "from" || out_of;
    if ((!to && !from) || (i > 0 && comparing.count(words[i - 1]) != 0))
      continue;
    auto place = i + (out_of ? 2 : 1);
    while (place < words.size() && skipped.count(words[place]) != 0)
      ++place;
    if (place < words.size() && no_place.count(words[place]) == 0)
      (to ? out.first : out.second).insert(words[place]);
  }
  return out;
}

} // namespace

bool opposite_by_direction(std::string_view a, std::string_view b) {
  // A distance reads the same either way: "How far is New York from Boston?" / "How far is it
  // from New York to Boston?".
  const auto about_distance = [](std::string_view text) {
    const auto words = letter_words(text);
    return std::any_of(words.begin(), words.end(),
                       [](const std::string& w) { return w == "far" || w == "distance" || w == "between"; });
  };
  if (about_distance(a) || about_distance(b))
    return false;
  const auto [to_a, from_a] = directions_in(a);
  const auto [to_b, from_b] = directions_in(b);
  // A place one text goes to, and the other only comes from.
  const auto reversed = [](const std::set<std::string>& to, const std::set<std::string>& from,
                           const std::set<std::string>& other_to, const std::set<std::string>& other_from) {
    return std::any_of(to.begin(), to.end(), [&](const std::string& place) {
      return other_from.count(place) != 0 && other_to.count(place) == 0 && from.count(place) == 0;
    });
  };
  return reversed(to_a, from_a, to_b, from_b) || reversed(to_b, from_b, to_a, from_a);
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
                            opposite_by_prefix(query, stored_query) || opposite_by_antonym(query, stored_query) ||
                            opposite_by_direction(query, stored_query)))
    return "negation";
  if (options.order && reworded_by_order_or_symbol(query, stored_query))
    return "order";
  return {};
}

} // namespace strata::semantic_layer
