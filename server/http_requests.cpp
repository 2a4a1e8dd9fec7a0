#include "http_requests.hpp"

#include <strata/units.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace strata::server {
namespace {

using json = nlohmann::json;

const char* const ttl_expected = "expected a duration string like \"30s\" or an integer of milliseconds";

api_error field_error(const std::string& field, std::string message, std::string detail = {}) {
  return {400, std::move(message), field, std::move(detail)};
}

/// What a value is, for a message: "got a number: 1.5".
std::string got(const json& value) {
  std::string kind;
  switch (value.type()) {
  case json::value_t::null: return "got null";
  case json::value_t::boolean: kind = "a boolean"; break;
  case json::value_t::string: kind = "a string"; break;
  case json::value_t::array: return "got an array";
  case json::value_t::object: return "got an object";
  default: kind = "a number"; break;
  }
  return "got " + kind + ": " + value.dump(-1, ' ', false, json::error_handler_t::replace);
}

/// The body as a JSON object whose fields are all in `allowed`.
parsed<json> parse_object(std::string_view body, const std::vector<std::string>& allowed) {
  json doc;
  try {
    doc = json::parse(body);
  } catch (const json::parse_error& e) {
    // what() starts with "[json.exception.parse_error.101] "; the rest says where and why.
    const std::string why = e.what();
    const auto bracket = why.find("] ");
    return api_error{400, "malformed JSON", std::nullopt, bracket == std::string::npos ? why : why.substr(bracket + 2)};
  }
  if (!doc.is_object())
    return api_error{400, "expected a JSON object", std::nullopt, got(doc)};
  std::vector<std::string> unknown;
  for (const auto& item : doc.items())
    if (std::find(allowed.begin(), allowed.end(), item.key()) == allowed.end())
      unknown.push_back(item.key());
  if (!unknown.empty()) {
    std::string names, allowed_names;
    for (const auto& name : unknown)
      names += (names.empty() ? "'" : ", '") + name + "'";
    for (const auto& name : allowed)
      allowed_names += (allowed_names.empty() ? "" : ", ") + name;
    return field_error(unknown.front(), (unknown.size() == 1 ? "unknown field " : "unknown fields ") + names +
                                          "; allowed: " + allowed_names);
  }
  return doc;
}

/// A required string field; refused when missing, not a string, or (if `non_empty`) empty.
parsed<std::string> required_string(const json& doc, const std::string& field, bool non_empty) {
  const auto found = doc.find(field);
  if (found == doc.end())
    return field_error(field, "missing required field '" + field + "'");
  if (!found->is_string())
    return field_error(field, "expected a string", got(*found));
  auto text = found->get<std::string>();
  if (non_empty && text.empty())
    return field_error(field, "expected a non-empty string");
  return text;
}

/// The namespace from the body's "ns" and from `?ns=`, which must agree when both are given.
parsed<std::string> namespace_of(const json& doc, const std::optional<std::string>& query_ns) {
  if (doc.find("ns") == doc.end())
    return parse_namespace(query_ns);
  auto body_ns = required_string(doc, "ns", true);
  if (const auto* ns = std::get_if<std::string>(&body_ns); ns && query_ns && *query_ns != *ns)
    return field_error("ns",
                       "the namespace is given twice and differs: ?ns=" + *query_ns + " and \"ns\": \"" + *ns + "\"");
  return body_ns;
}

/// "30s", "250ms" (rounded up to a millisecond) or an integer of milliseconds; 0 is no expiry.
parsed<std::chrono::milliseconds> ttl_of(const json& value) {
  if (value.is_string()) {
    const auto duration = units::parse_duration(value.get<std::string>());
    if (!duration)
      return field_error("ttl", ttl_expected, got(value));
    return std::chrono::ceil<std::chrono::milliseconds>(*duration);
  }
  if (value.is_number_unsigned()) {
    const auto ms = value.get<std::uint64_t>();
    if (ms > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
      return field_error("ttl", ttl_expected, got(value));
    return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
  }
  // A negative integer, a fraction, or another type.
  return field_error("ttl", ttl_expected, got(value));
}

parsed<std::vector<std::string>> tags_of(const json& value) {
  const char* const expected = "expected an array of strings";
  if (!value.is_array())
    return field_error("tags", expected, got(value));
  std::vector<std::string> tags;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (!value[i].is_string())
      return field_error("tags", expected, "tags[" + std::to_string(i) + "]: " + got(value[i]));
    tags.push_back(value[i].get<std::string>());
  }
  return tags;
}

} // namespace

parsed<put_request> parse_put_request(std::string_view body, const std::optional<std::string>& query_ns) {
  auto doc = parse_object(body, {"value", "ttl", "tags", "ns"});
  if (auto* error = std::get_if<api_error>(&doc))
    return std::move(*error);
  const json& fields = std::get<json>(doc);
  put_request request;
  auto value = required_string(fields, "value", false);
  if (auto* error = std::get_if<api_error>(&value))
    return std::move(*error);
  request.value = std::move(std::get<std::string>(value));
  if (const auto ttl = fields.find("ttl"); ttl != fields.end()) {
    auto parsed_ttl = ttl_of(*ttl);
    if (auto* error = std::get_if<api_error>(&parsed_ttl))
      return std::move(*error);
    request.options.ttl = std::get<std::chrono::milliseconds>(parsed_ttl);
  }
  if (const auto tags = fields.find("tags"); tags != fields.end()) {
    auto parsed_tags = tags_of(*tags);
    if (auto* error = std::get_if<api_error>(&parsed_tags))
      return std::move(*error);
    request.options.tags = std::move(std::get<std::vector<std::string>>(parsed_tags));
  }
  auto ns = namespace_of(fields, query_ns);
  if (auto* error = std::get_if<api_error>(&ns))
    return std::move(*error);
  request.options.ns = std::move(std::get<std::string>(ns));
  return request;
}

parsed<invalidate_request> parse_invalidate_request(std::string_view body, const std::optional<std::string>& query_ns) {
  auto doc = parse_object(body, {"tag", "ns"});
  if (auto* error = std::get_if<api_error>(&doc))
    return std::move(*error);
  const json& fields = std::get<json>(doc);
  invalidate_request request;
  auto tag = required_string(fields, "tag", true);
  if (auto* error = std::get_if<api_error>(&tag))
    return std::move(*error);
  request.tag = std::move(std::get<std::string>(tag));
  auto ns = namespace_of(fields, query_ns);
  if (auto* error = std::get_if<api_error>(&ns))
    return std::move(*error);
  request.options.ns = std::move(std::get<std::string>(ns));
  return request;
}

parsed<std::string> parse_namespace(const std::optional<std::string>& query_ns) {
  if (!query_ns)
    return std::string(default_namespace);
  if (query_ns->empty())
    return field_error("ns", "expected a non-empty namespace");
  return *query_ns;
}

parsed<stats_window> parse_window(const std::optional<std::string>& query_window) {
  if (!query_window || *query_window == "minute")
    return stats_window::minute;
  if (*query_window == "hour")
    return stats_window::hour;
  if (*query_window == "day")
    return stats_window::day;
  return field_error("window", "expected minute, hour or day", "got '" + *query_window + "'");
}

} // namespace strata::server
