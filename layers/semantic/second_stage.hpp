#pragma once
// The second-stage check: what a semantic hit must also pass before it is served. Near-duplicate
// texts that differ in a number ("2 GB" / "4 GB") or in a negation ("can" / "cannot") are the false
// hits a similarity threshold lets through; so is a query that sits between two stored entries with
// different answers.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace strata::semantic_layer {

struct check_options {
  /// The best candidate must beat the best candidate with a different answer by at least this
  /// much; 0 turns the margin test off.
  double min_margin = 0.0;
  /// The numbers written in the query and in the stored query must be the same.
  bool numbers = true;
  /// Both queries must be negated, or neither, and neither say a word where the other says its
  /// negation by a prefix or another word of its set (`opposite_by_antonym`), nor go to a place the
  /// other comes from (`opposite_by_direction`).
  bool negations = true;
  /// The queries must not say the same words in another order, nor differ in a word with a '+' or
  /// '#' ("C" / "C++" / "C#"), in operators, signs, marks or names (`reworded_by_order_or_symbol`).
  bool order = true;
};

/// The numbers written in `text`, in order: runs of digits of any script (with a decimal point,
/// or a comma before three digits, inside; a point or a minus sign right before them; letters
/// right after them, or a unit word after a blank: "80k", "5th", "5 mg"), number words ("ten", "dozen", "fifth" as "5th", "twice" as
/// "2x"; not "one"; "zwei", "trois", "tres", "dieci", "oito": those of German, French, Spanish,
/// Italian and Portuguese that are no English word) and Roman numerals ("II", "XIV") as numerals.
/// In order, since "3/4" is not "4/3" and "from 10 to 11" not "from 11 to 10".
std::vector<std::string> numbers_in(std::string_view text);

/// How many negation words `text` holds (not, no, never, without, cannot, ...n't, ...).
int negations_in(std::string_view text);

/// Whether one text says a word ("safe") and the other only its negation by a prefix: un- or non-
/// before a word of three letters or more ("unsafe"), in-, im-, il-, ir- or dis- before one of
/// five or more ("illegal"; not "input" against "put"), de- or des- before one of seven or more
/// ("deactivate", "deaktivieren", "desactivar"; not "detail" against "tail").
bool opposite_by_prefix(std::string_view a, std::string_view b);

/// Whether one text says a word of a set more often than the other, and the other another word of
/// that set ("sort ascending" / "sort descending", "turn on wifi on Linux" / "turn off wifi on
/// Linux", "in Python" / "in Java", "heute" / "morgen"), in any inflection and any script ("sign in"
/// read as "signin", as "login" is), from a list of sets of words of which one
/// excludes the others (antonyms, tense and modality that change the answer, weekdays, months,
/// languages, formats, units, ...: `exclusive_sets` in opposites.cpp).
bool opposite_by_antonym(std::string_view a, std::string_view b);

/// Whether one text goes to a place the other comes from ("transfer money to my savings account" /
/// "... from my savings account", "into the folder" / "out of the folder"): the word after "to" or
/// "into" in one is the word after "from" or "out of" in the other, past an article or a possessive,
/// and neither says both. Not "to" against "from" anywhere: "to" is an infinitive's as often ("how
/// to make money" / "make money from Quora").
bool opposite_by_direction(std::string_view a, std::string_view b);

/// The operators written in `text`, in order: runs of + * = < > ^ and "!=", - or / between
/// numbers, or between letters standing alone with a blank either side ("a - b"; not in "30-year",
/// "and/or", "$5/month", "w/o", a path or a dash), "-=", "/=", "|=", "&=", "??", "?." and "?:"
/// between two operands ("a ?? b", "a?.b"; not "Really?? I"), a '!' before a name ("!x"), × ÷ − – ≤
/// ≥ ≠ as their ASCII forms; not a '+' sign right before a digit (the number's). "3 + 5" / "3 - 5",
/// "10 > 5" / "10 < 5", "a == b" / "a != b" and "x -= 1" / "x /= 1" differ only there: the embedder
/// keeps no symbol, and the numbers are the same.
std::vector<std::string> operators_in(std::string_view text);

/// The currency, percent and degree signs written in `text`, in order: $ % and the Unicode
/// currency signs (€ £ ¥ ₹ ₩ ...), ‰ ‱ ° ℃ ℉; a full-width form as the sign it stands for, and
/// "percent", "dollar(s)", "euro(s)", "yen", "degree(s)" as theirs. The embedder keeps no symbol:
/// "the price in $" and "the price in €" are one text to it.
std::vector<std::string> signs_in(std::string_view text);

/// The letters standing alone in `text` ("vitamin D", "blood type B", "-r"; not "a", "I", "u", nor
/// the letters of an abbreviation, a list marker or a contraction: "e.g.", "b)", "'n'"), lower-cased
/// but a command's option and an escape ("-v" is not "-V", "\d" not "\D"), and the
/// blank-separated runs of & | ~ . @ ` # but the text's last, a lone "&" and an ellipsis ("&&",
/// "~"), in order, then "/" for each absolute path ("/etc/hosts" is not "etc/hosts"). The embedder
/// keeps no symbol, and a letter alone weighs little in a long text.
std::vector<std::string> marks_in(std::string_view text);

/// Code's runs of ASCII symbols in `text`, blank-separated or not, sorted, each once: "$" and the
/// symbol after it, anywhere in a run ("$?", "`$!`"), and other runs of two symbols or more with a bracket, '&' or '|' once
/// . , ; : ! ? quotes, '`' and '*' are left out ("{}", "[]", "a&&b", "x->y"; not prose's "(a)."
/// nor markdown's "(`x`)"). The embedder keeps none of them.
std::vector<std::string> code_runs_in(std::string_view text);

/// The symbols beyond ASCII in `text`, sorted, each once: what is neither a letter nor a digit of any script, a
/// blank, punctuation (dashes, quotes, ellipses, CJK and full-width punctuation) nor a mark that
/// changes the character before (accents, variation selectors, skin tones): "∈" / "∉", "♂" / "♀",
/// "→" / "←", emoji. The embedder keeps none of them, so that "what does 👍 mean" and "what does 👎
/// mean" scored 1.0.
std::vector<std::string> symbols_in(std::string_view text);

/// Whether `a` and `b` say the same words in another order ("from savings to checking" / "from
/// checking to savings", "Is Python faster than Java?" / "Is Java faster than Python?"), differ
/// in a word ending in '+' or '#' ("in C" / "in C++" / "in C#"), in their operators
/// (`operators_in`), their signs (`signs_in`) or their marks (`marks_in`), or each has a symbol
/// (`symbols_in`) or names, with a
/// capital, something the other does not say ("rent in Berlin" / "rent in Munich"), or write a unit
/// after a number or a chemical symbol in another case ("5 MB" / "5 Mb", "10 mW" / "10 MW", "CO" /
/// "Co"; not "GB" / "gb" nor "Kg" / "kg"). A bag of words scores either pair as one text; they are
/// different questions as often as not.
bool reworded_by_order_or_symbol(std::string_view a, std::string_view b);

/// Why a candidate must not be served, or empty when it passes: "margin", "numbers", "negation",
/// "order".
/// `query` and `stored_query` may be empty (a host-supplied vector without text): the text tests
/// are then skipped. `runner_up` is the score of the best candidate with another answer, if any.
std::string second_stage(const check_options& options, std::string_view query, std::string_view stored_query,
                         double best, std::optional<double> runner_up);

} // namespace strata::semantic_layer
