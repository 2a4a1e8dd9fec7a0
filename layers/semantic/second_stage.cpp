// The second stage (second_stage): names, case and rewording read here; numbers, symbols and
// opposites in their own files.

#include "second_stage.hpp"
#include "text_reading.hpp"

#include <strata/utf8.hpp>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <map>
#include <set>
#include <string_view>
#include <utility>

namespace strata::semantic_layer {

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
