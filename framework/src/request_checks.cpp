#include "request_checks.hpp"

#include <strata/units.hpp>
#include <strata/utf8.hpp>

#include <chrono>
#include <cmath>
#include <vector>

namespace strata::detail {

namespace {

std::string ttl_problem(std::chrono::milliseconds ttl, const std::string& where) {
  if (ttl.count() < 0)
    return where + ": the TTL is negative (" + std::to_string(ttl.count()) + " ms); 0 means no expiry";
  if (ttl > units::max_ttl)
    return where + ": the TTL is above the longest one, " + std::to_string(units::max_duration_days) + " days (" +
           std::to_string(units::max_ttl.count()) +
           " ms); 0 means no expiry";
  return {};
}

std::string tags_problem(const std::vector<std::string>& tags, const std::string& where) {
  for (const auto& tag : tags)
    if (tag.empty())
      return where + ": a tag is empty";
  return {};
}

/// A semantic or vector entry's tags are also written to its layer's file as JSON, which holds
/// UTF-8 only: one that is not failed the write after the entry was taken (the row, and the
/// largest id given, not kept).
std::string stored_tags_problem(const std::vector<std::string>& tags, const std::string& where) {
  if (auto problem = tags_problem(tags, where); !problem.empty())
    return problem;
  for (const auto& tag : tags)
    if (invalid_utf8_at(tag) != std::string::npos)
      return where + ": a tag is not UTF-8";
  return {};
}

} // namespace

std::string namespace_problem(const std::string& ns, const std::string& where) {
  return ns.empty() ? where + ": the namespace is empty (no entry has one)" : std::string();
}

std::string request_problem(const entry_options& options, const std::string& where) {
  if (auto problem = ttl_problem(options.ttl, where); !problem.empty())
    return problem;
  return tags_problem(options.tags, where);
}

std::string request_problem(const semantic_lookup_request& request) {
  if (auto problem = namespace_problem(request.ns, "request"); !problem.empty())
    return problem;
  // A NaN threshold compares false with every score, so nothing would fall below it: every
  // candidate a hit.
  if (request.threshold && !(std::isfinite(*request.threshold) && std::abs(*request.threshold) <= 1))
    return "request: the threshold must be a number from -1 to 1";
  return {};
}

std::string request_problem(const semantic_entry& entry) {
  if (auto problem = namespace_problem(entry.ns, "request"); !problem.empty())
    return problem;
  if (auto problem = ttl_problem(entry.ttl, "request"); !problem.empty())
    return problem;
  return stored_tags_problem(entry.tags, "request");
}

std::string request_problem(const semantic_update& update) {
  if (auto problem = namespace_problem(update.ns, "request"); !problem.empty())
    return problem;
  if (update.ttl)
    if (auto problem = ttl_problem(*update.ttl, "request"); !problem.empty())
      return problem;
  return update.tags ? stored_tags_problem(*update.tags, "request") : std::string();
}

namespace {

/// A vector operation's text is only what to embed: given with a vector, it would be dropped unsaid.
std::string text_and_vector_problem(const std::string& text, const embedding& vector, const std::string& where) {
  if (!text.empty() && !vector.values.empty())
    return where + ": give a text to embed or a vector, not both";
  return {};
}

} // namespace

std::string request_problem(const vector_item& item, const std::string& where) {
  if (auto problem = namespace_problem(item.ns, where); !problem.empty())
    return problem;
  if (auto problem = text_and_vector_problem(item.text, item.vector, where); !problem.empty())
    return problem;
  if (auto problem = ttl_problem(item.ttl, where); !problem.empty())
    return problem;
  return stored_tags_problem(item.tags, where);
}

std::string request_problem(const vector_query& query, const std::string& where) {
  if (auto problem = namespace_problem(query.ns, where); !problem.empty())
    return problem;
  if (auto problem = text_and_vector_problem(query.text, query.vector, where); !problem.empty())
    return problem;
  if (query.k == 0)
    return where + ": k must be at least 1";
  return tags_problem(query.tags, where);
}

} // namespace strata::detail
