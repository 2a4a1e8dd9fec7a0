// Negations and opposites: by a prefix, by a word of an exclusive set, by direction.

#include "second_stage.hpp"
#include "text_reading.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <set>
#include <string_view>
#include <utility>

namespace strata::semantic_layer {

namespace {

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

} // namespace

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

} // namespace strata::semantic_layer
