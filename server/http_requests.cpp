#include "http_requests.hpp"

#include <strata/units.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace strata::server {
namespace {

using json = nlohmann::json;

const std::string ttl_expected = "expected a duration string like \"30s\" (at most " +
                                 std::to_string(units::max_duration_days) + "d) or an integer of milliseconds";
/// -5 is an integer of milliseconds: that it is negative is what is wrong.
const std::string ttl_not_negative = "a TTL cannot be negative (0: no expiry; to drop an entry now, delete it)";

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

std::optional<api_error> unknown_fields(const json& doc, const std::vector<std::string>& allowed);

/// Deeper than this a body is refused: turning a value back into text (a metadata that is not a
/// string) recurses once per level, and 60 000 levels, 120 KB of brackets, overflowed the stack.
constexpr int max_json_depth = 64;

struct too_deep {};
struct given_twice {
  std::string path; ///< "value", "items[1].id"
};

/// Where the parser is in a body: the objects and arrays open, outermost first. A name given twice
/// in an object is refused, as a repeated query parameter is (the parser would keep the last one
/// given, silently), at its path.
class json_place {
public:
  void on(json::parse_event_t event, const json& parsed) {
    switch (event) {
    case json::parse_event_t::object_start: open_.push_back({false, 0, {}, {}}); break;
    case json::parse_event_t::array_start: open_.push_back({true, 0, {}, {}}); break;
    case json::parse_event_t::key: {
      auto& object = open_.back();
      object.key = parsed.get<std::string>();
      if (!object.names.insert(object.key).second)
        throw given_twice{path()};
      break;
    }
    case json::parse_event_t::object_end:
    case json::parse_event_t::array_end:
      open_.pop_back();
      element_done();
      break;
    case json::parse_event_t::value: element_done(); break;
    }
  }

private:
  struct level {
    bool array;
    std::size_t index;             ///< an array's element being read
    std::string key;               ///< an object's member being read
    std::set<std::string> names;   ///< an object's members so far
  };
  /// A value ended: in an array, the next element begins.
  void element_done() {
    if (!open_.empty() && open_.back().array)
      ++open_.back().index;
  }
  std::string path() const {
    std::string out;
    for (const auto& l : open_)
      out += l.array ? "[" + std::to_string(l.index) + "]" : (out.empty() ? "" : ".") + l.key;
    return out;
  }
  std::vector<level> open_;
};

/// The body as a JSON object, whatever its fields.
parsed<json> parse_any_object(std::string_view body) {
  json doc;
  json_place place;
  try {
    doc = json::parse(body, [&place](int depth, json::parse_event_t event, json& parsed) {
      // `depth` at the start of an object or array is the number of those around it.
      const bool opens = event == json::parse_event_t::object_start || event == json::parse_event_t::array_start;
      if (opens && depth >= max_json_depth)
        throw too_deep{};
      place.on(event, parsed);
      return true;
    });
  } catch (const too_deep&) {
    return api_error{400, "malformed JSON", std::nullopt,
                     "nested deeper than " + std::to_string(max_json_depth) + " levels"};
  } catch (const given_twice& twice) {
    return api_error{400, "'" + twice.path + "' is given twice", twice.path, "a JSON object names each member once"};
  } catch (const json::exception& e) {
    // A parse_error, or an out_of_range for a number beyond a double (1e999). what() starts with
    // "[json.exception.parse_error.101] "; the rest says where and why.
    const std::string why = e.what();
    const auto bracket = why.find("] ");
    return api_error{400, "malformed JSON", std::nullopt, bracket == std::string::npos ? why : why.substr(bracket + 2)};
  }
  if (!doc.is_object())
    return api_error{400, "expected a JSON object", std::nullopt, got(doc)};
  return doc;
}

/// The body as a JSON object whose fields are all in `allowed`.
parsed<json> parse_object(std::string_view body, const std::vector<std::string>& allowed) {
  auto doc = parse_any_object(body);
  if (auto* object = std::get_if<json>(&doc))
    if (auto error = unknown_fields(*object, allowed))
      return std::move(*error);
  return doc;
}

/// Refuses a field of the object `doc` that is not in `allowed`, naming it and the allowed ones.
std::optional<api_error> unknown_fields(const json& doc, const std::vector<std::string>& allowed) {
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
  return std::nullopt;
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
    const auto& text = value.get<std::string>();
    const auto duration = units::parse_duration(text);
    if (!duration)
      return field_error("ttl", text.rfind('-', 0) == 0 && units::parse_duration(text.substr(1)) ? ttl_not_negative
                                                                                                 : ttl_expected,
                         got(value));
    return std::chrono::ceil<std::chrono::milliseconds>(*duration);
  }
  if (value.is_number_unsigned()) {
    const auto ms = value.get<std::uint64_t>();
    if (ms > static_cast<std::uint64_t>(units::max_ttl.count())) // as "106482d" is refused
      return field_error("ttl", "at most " + std::to_string(units::max_duration_days) + "d (" +
                                  std::to_string(units::max_ttl.count()) + " ms)", got(value));
    return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
  }
  if (value.is_number_integer()) // signed: below 0
    return field_error("ttl", ttl_not_negative, got(value));
  // A fraction, or another type.
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
    // An empty tag could never be invalidated: /v1/invalidate refuses one.
    if (value[i].get_ref<const std::string&>().empty())
      return field_error("tags", "expected non-empty strings", "tags[" + std::to_string(i) + "] is ''");
    tags.push_back(value[i].get<std::string>());
  }
  return tags;
}

/// Moves the value of `result` into `out`; the error when it holds one.
template <class T>
std::optional<api_error> take(parsed<T> result, T& out) {
  if (auto* error = std::get_if<api_error>(&result))
    return std::move(*error);
  out = std::move(std::get<T>(result));
  return std::nullopt;
}

std::optional<api_error> tags_field(const json& doc, std::vector<std::string>& out) {
  const auto found = doc.find("tags");
  return found == doc.end() ? std::nullopt : take(tags_of(*found), out);
}

std::optional<api_error> ttl_field(const json& doc, std::chrono::milliseconds& out) {
  const auto found = doc.find("ttl");
  return found == doc.end() ? std::nullopt : take(ttl_of(*found), out);
}

/// Where a request keeps its namespace.
template <class T>
std::string& namespace_in(T& request) {
  return request.ns;
}
std::string& namespace_in(put_request& request) { return request.options.ns; }
std::string& namespace_in(invalidate_request& request) { return request.options.ns; }

/// The body as an object of `allowed` fields, read into a T by `read` (which answers the first
/// refusal), then its namespace: the body's "ns" or `?ns=` (`query_ns`).
template <class T, class Read>
parsed<T> parse_body(std::string_view body, const std::vector<std::string>& allowed,
                     const std::optional<std::string>& query_ns, Read read) {
  auto doc = parse_object(body, allowed);
  if (auto* error = std::get_if<api_error>(&doc))
    return std::move(*error);
  const json& fields = std::get<json>(doc);
  T request;
  if (auto error = read(fields, request))
    return std::move(*error);
  if (auto error = take(namespace_of(fields, query_ns), namespace_in(request)))
    return std::move(*error);
  return request;
}

} // namespace

parsed<put_request> parse_put_request(std::string_view body, const std::optional<std::string>& query_ns) {
  const auto read = [](const json& fields, put_request& request) -> std::optional<api_error> {
    if (auto error = take(required_string(fields, "value", false), request.value))
      return error;
    if (auto error = ttl_field(fields, request.options.ttl))
      return error;
    return tags_field(fields, request.options.tags);
  };
  return parse_body<put_request>(body, {"value", "ttl", "tags", "ns"}, query_ns, read);
}

parsed<invalidate_request> parse_invalidate_request(std::string_view body, const std::optional<std::string>& query_ns) {
  const auto read = [](const json& fields, invalidate_request& request) {
    return take(required_string(fields, "tag", true), request.tag);
  };
  return parse_body<invalidate_request>(body, {"tag", "ns"}, query_ns, read);
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

// ---- semantic and vector requests ----

namespace {

const char* const id_expected = "expected an integer from 1 to 9007199254740991 (2^53 - 1)";

/// The error with its field named inside `prefix` ("items[2]." + "vector").
api_error within(std::string prefix, api_error error) {
  error.field = prefix + error.field.value_or("");
  if (prefix.back() == '.' && error.field->back() == '.')
    error.field->pop_back();
  return error;
}

/// An optional string field into `out`; unchanged when absent.
std::optional<api_error> optional_string(const json& doc, const std::string& field, std::string& out) {
  if (doc.find(field) == doc.end())
    return std::nullopt;
  return take(required_string(doc, field, false), out);
}

std::optional<api_error> id_field(const json& doc, std::uint64_t& out) {
  const auto found = doc.find("id");
  if (found == doc.end())
    return std::nullopt;
  if (!found->is_number_unsigned() || found->get<std::uint64_t>() == 0 || found->get<std::uint64_t>() > max_entry_id)
    return field_error("id", id_expected, got(*found));
  out = found->get<std::uint64_t>();
  return std::nullopt;
}

/// "metadata": a string as is, any other JSON value as its compact text.
std::optional<api_error> metadata_field(const json& doc, std::string& out) {
  const auto found = doc.find("metadata");
  if (found == doc.end())
    return std::nullopt;
  out = found->is_string() ? found->get<std::string>() : found->dump(-1, ' ', false, json::error_handler_t::replace);
  return std::nullopt;
}

parsed<std::vector<float>> floats_of(const json& value) {
  const char* const expected = "expected a non-empty array of numbers";
  if (!value.is_array() || value.empty())
    return field_error("vector", expected, got(value));
  std::vector<float> out;
  out.reserve(value.size());
  for (std::size_t i = 0; i < value.size(); ++i) {
    const auto& x = value[i];
    if (!x.is_number())
      return field_error("vector", expected, "vector[" + std::to_string(i) + "]: " + got(x));
    const double d = x.get<double>();
    if (!(std::abs(d) <= static_cast<double>(std::numeric_limits<float>::max())))
      return field_error("vector", "expected numbers within the range of a 32-bit float",
                         "vector[" + std::to_string(i) + "]: " + got(x));
    out.push_back(static_cast<float>(d));
  }
  return out;
}

/// What a request is about: its text (field `text_field`), or "vector" with "model", or both.
std::optional<api_error> subject_of(const json& doc, const std::string& text_field, std::string& text,
                                    embedding& vector) {
  if (auto error = optional_string(doc, text_field, text))
    return error;
  const auto values = doc.find("vector");
  if (values != doc.end()) {
    if (auto error = take(floats_of(*values), vector.values))
      return error;
    if (doc.find("model") == doc.end())
      return field_error("model", "missing field 'model': a vector needs the id of the model that made it");
    return take(required_string(doc, "model", true), vector.model);
  }
  if (doc.find("model") != doc.end())
    return field_error("model", "'model' names the model of 'vector', which is missing");
  if (text.empty() && doc.find(text_field) != doc.end())
    return field_error(text_field, "expected a non-empty string (or 'vector' with 'model' in its place)");
  if (text.empty())
    return field_error(text_field, "missing required field '" + text_field + "' (or 'vector' with 'model')");
  return std::nullopt;
}

/// What a semantic entry and a vector keep besides their content: "metadata", "tags" and "ttl".
std::optional<api_error> kept_fields(const json& doc, std::string& metadata, std::vector<std::string>& tags,
                                     std::chrono::milliseconds& ttl) {
  if (auto error = metadata_field(doc, metadata))
    return error;
  if (auto error = tags_field(doc, tags))
    return error;
  return ttl_field(doc, ttl);
}

/// What a vector request is about: its "text", or "vector" with "model", not both (a semantic
/// request may give both: its text is its key and what the second-stage check reads).
std::optional<api_error> vector_subject_of(const json& doc, std::string& text, embedding& vector) {
  if (auto error = subject_of(doc, "text", text, vector))
    return error;
  if (!text.empty() && !vector.values.empty())
    return field_error("text", "give 'text' or 'vector' with 'model', not both");
  return std::nullopt;
}

/// The fields of one vector item: `allowed` is checked by the caller.
std::optional<api_error> item_of(const json& doc, vector_item& item) {
  if (auto error = id_field(doc, item.id))
    return error;
  if (auto error = vector_subject_of(doc, item.text, item.vector))
    return error;
  return kept_fields(doc, item.metadata, item.tags, item.ttl);
}

std::optional<api_error> query_of(const json& doc, vector_query& query) {
  if (auto error = vector_subject_of(doc, query.text, query.vector))
    return error;
  if (const auto k = doc.find("k"); k != doc.end()) {
    if (!k->is_number_unsigned() || k->get<std::uint64_t>() == 0 || k->get<std::uint64_t>() > (1u << 20))
      return field_error("k", "expected an integer from 1 to 1048576", got(*k));
    query.k = static_cast<std::size_t>(k->get<std::uint64_t>());
  }
  return tags_field(doc, query.tags);
}

const std::vector<std::string> item_fields = {"id", "text", "vector", "model", "metadata", "tags", "ttl"};
const std::vector<std::string> query_fields = {"text", "vector", "model", "k", "tags"};

std::vector<std::string> with_ns(std::vector<std::string> fields) {
  fields.push_back("ns");
  return fields;
}

/// The array field `field` of `doc`, each element an object of `allowed` fields read by `read`
/// (errors named "field[i].name"); the namespace `ns` goes into each.
template <class T, class Read>
parsed<std::vector<T>> array_of(const json& doc, const std::string& field, const std::vector<std::string>& allowed,
                                const std::string& ns, Read read) {
  const auto found = doc.find(field);
  if (found == doc.end())
    return field_error(field, "missing required field '" + field + "'");
  if (!found->is_array() || found->empty())
    return field_error(field, "expected a non-empty array of objects", got(*found));
  std::vector<T> out(found->size());
  for (std::size_t i = 0; i < found->size(); ++i) {
    const auto prefix = field + "[" + std::to_string(i) + "].";
    const json& element = (*found)[i];
    if (!element.is_object())
      return within(prefix, field_error("", "expected an object", got(element)));
    if (auto error = unknown_fields(element, allowed))
      return within(prefix, std::move(*error));
    if (auto error = read(element, out[i]))
      return within(prefix, std::move(*error));
    out[i].ns = ns;
  }
  return out;
}

/// A batch body: `{field: [element, ...], "ns"}`, each element read as `array_of` does; the
/// namespace first, as it goes into every element.
template <class T, class Read>
parsed<std::vector<T>> parse_batch(std::string_view body, const std::string& field,
                                   const std::vector<std::string>& allowed, const std::optional<std::string>& query_ns,
                                   Read read) {
  auto doc = parse_object(body, {field, "ns"});
  if (auto* error = std::get_if<api_error>(&doc))
    return std::move(*error);
  const json& fields = std::get<json>(doc);
  std::string ns;
  if (auto error = take(namespace_of(fields, query_ns), ns))
    return std::move(*error);
  return array_of<T>(fields, field, allowed, ns, read);
}

/// Reads `field` with `read` into `out` when the body has it; `out` stays empty otherwise, so that
/// an update changes only what it names.
template <class T>
std::optional<api_error> if_given(const json& doc, const char* field, std::optional<T>& out,
                                  std::optional<api_error> (*read)(const json&, T&)) {
  return doc.contains(field) ? read(doc, out.emplace()) : std::nullopt;
}

/// The answer of a semantic update.
std::optional<api_error> answer_field(const json& doc, std::string& out) {
  return optional_string(doc, "answer", out);
}

} // namespace

parsed<std::uint64_t> parse_id(std::string_view text) {
  std::uint64_t id = 0;
  // The canonical decimal form only, as ids are written back: "01" or "00103" would name 1 or 103
  // under another spelling, as "+1" does not.
  const bool digits = !text.empty() && text.size() <= 16 && text.front() != '0' &&
                      std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (digits)
    for (const char c : text)
      id = id * 10 + static_cast<std::uint64_t>(c - '0');
  if (!digits || id == 0 || id > max_entry_id)
    return field_error("id", id_expected, "got '" + std::string(text.substr(0, 64)) + "'");
  return id;
}

parsed<semantic_lookup_request> parse_semantic_lookup(std::string_view body, const std::optional<std::string>& query_ns) {
  const auto read = [](const json& fields, semantic_lookup_request& request) -> std::optional<api_error> {
    if (auto error = subject_of(fields, "text", request.text, request.vector))
      return error;
    if (const auto threshold = fields.find("threshold"); threshold != fields.end()) {
      if (!threshold->is_number() || !(std::abs(threshold->get<double>()) <= 1))
        return field_error("threshold", "expected a number from -1 to 1", got(*threshold));
      request.threshold = threshold->get<double>();
    }
    return std::nullopt;
  };
  return parse_body<semantic_lookup_request>(body, {"text", "vector", "model", "threshold", "ns"}, query_ns, read);
}

parsed<semantic_entry> parse_semantic_store(std::string_view body, const std::optional<std::string>& query_ns) {
  const auto read = [](const json& fields, semantic_entry& entry) -> std::optional<api_error> {
    if (auto error = subject_of(fields, "query", entry.query, entry.vector))
      return error;
    if (auto error = take(required_string(fields, "answer", false), entry.answer))
      return error;
    return kept_fields(fields, entry.metadata, entry.tags, entry.ttl);
  };
  return parse_body<semantic_entry>(body, {"query", "vector", "model", "answer", "metadata", "tags", "ttl", "ns"},
                                    query_ns, read);
}

parsed<semantic_update> parse_semantic_update(std::string_view body, const std::optional<std::string>& query_ns,
                                              std::uint64_t id) {
  const auto read = [id](const json& fields, semantic_update& update) -> std::optional<api_error> {
    update.id = id;
    if (auto error = if_given(fields, "answer", update.answer, &answer_field))
      return error;
    if (auto error = if_given(fields, "metadata", update.metadata, &metadata_field))
      return error;
    if (auto error = if_given(fields, "tags", update.tags, &tags_field))
      return error;
    if (auto error = if_given(fields, "ttl", update.ttl, &ttl_field))
      return error;
    if (!update.answer && !update.metadata && !update.tags && !update.ttl)
      return api_error{400, "nothing to change: give answer, metadata, tags or ttl", std::nullopt, ""};
    return std::nullopt;
  };
  return parse_body<semantic_update>(body, {"answer", "metadata", "tags", "ttl", "ns"}, query_ns, read);
}

parsed<vector_item> parse_vector_add(std::string_view body, const std::optional<std::string>& query_ns) {
  return parse_body<vector_item>(body, with_ns(item_fields), query_ns, &item_of);
}

parsed<vector_item> parse_vector_update(std::string_view body, const std::optional<std::string>& query_ns,
                                        std::uint64_t id) {
  // The path names the entry; the body has no "id" (it is refused as an unknown field).
  const auto read = [id](const json& fields, vector_item& item) {
    item.id = id;
    return item_of(fields, item);
  };
  return parse_body<vector_item>(body, {"text", "vector", "model", "metadata", "tags", "ttl", "ns"}, query_ns, read);
}

parsed<std::vector<vector_item>> parse_vector_batch(std::string_view body, const std::optional<std::string>& query_ns) {
  return parse_batch<vector_item>(body, "items", item_fields, query_ns, &item_of);
}

parsed<vector_query> parse_vector_search(std::string_view body, const std::optional<std::string>& query_ns) {
  return parse_body<vector_query>(body, with_ns(query_fields), query_ns, &query_of);
}

parsed<std::vector<vector_query>> parse_vector_search_batch(std::string_view body,
                                                            const std::optional<std::string>& query_ns) {
  return parse_batch<vector_query>(body, "queries", query_fields, query_ns, &query_of);
}

parsed<std::string> parse_command_args(std::string_view body) {
  if (body.empty())
    return std::string("{}");
  auto doc = parse_any_object(body);
  if (auto* error = std::get_if<api_error>(&doc))
    return std::move(*error);
  return std::string(body);
}

parsed<std::monostate> parse_acknowledgement(std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos)
    return std::monostate{};
  auto doc = parse_any_object(body);
  if (auto* error = std::get_if<api_error>(&doc))
    return std::move(*error);
  if (const auto& object = std::get<json>(doc); !object.empty())
    return field_error(object.begin().key(), "an acknowledgement takes no fields: send no body, or {}");
  return std::monostate{};
}

} // namespace strata::server
