// Operators, signs, marks, code and symbols a text writes.

#include "second_stage.hpp"
#include "text_reading.hpp"

#include <wctype.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string_view>
#include <utility>

namespace strata::semantic_layer {

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

} // namespace strata::semantic_layer
