// The numbers a text writes (numbers_in), and how numerals that are no ASCII digit read.

#include "second_stage.hpp"
#include "text_reading.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string_view>
#include <utility>

namespace strata::semantic_layer {

namespace {

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

} // namespace

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

namespace {

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

} // namespace

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

namespace {

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

} // namespace strata::semantic_layer
