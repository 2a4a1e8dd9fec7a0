#include "http_semantic.hpp"

#include "api_error.hpp"
#include "http_reply.hpp"
#include "http_requests.hpp"
#include "http_responses.hpp"

#include <strata/runtime.hpp>

#include <httplib.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

namespace strata::server {
namespace {

using httplib::Request;
using httplib::Response;

std::optional<std::string> query_ns(const Request& req) { return url_param(req, "ns"); }

/// The value of `result`, or null once `res` holds its error.
template <class T>
T* usable(parsed<T>& result, Response& res) {
  if (const auto* error = std::get_if<api_error>(&result)) {
    send_error(res, *error);
    return nullptr;
  }
  return &std::get<T>(result);
}

/// Whether a refusal is of the request's vector: its dimension, a value, its length (the runtime's
/// and the layers' own words).
bool of_the_vector(const std::string& error) {
  for (const char* says : {"dimension", "of the vector", "the vector's", "the vector is", "the vector holds"})
    if (error.find(says) != std::string::npos)
      return true;
  return false;
}

/// The field a refusal names, as the parser's own refusals do: a batch's item ("item 2: ..." from
/// the runtime's or a layer's check: `items[2]`, or `queries[2]`: `array` is the request's), and
/// `vector` (or `items[2].vector`) when it is the vector that was refused, `id` when it is the id
/// ("id 7 is taken"), `k` when it is the count of hits asked ("k 5000 is more than max_k 1000"),
/// the array itself when it is the whole batch ("the batch asks for ..."); none for any other.
std::optional<std::string> item_field(const std::string& error, const std::string& array) {
  const std::string prefix = "item ";
  const auto colon = error.find(':');
  const bool in_item = error.rfind(prefix, 0) == 0 && colon != std::string::npos && colon != prefix.size() &&
                       std::all_of(error.begin() + prefix.size(), error.begin() + colon,
                                   [](char c) { return c >= '0' && c <= '9'; });
  const auto says = in_item ? std::string_view(error).substr(std::min(error.size(), colon + 2)) : std::string_view(error);
  const char* part = of_the_vector(error)           ? "vector"
                     : says.rfind("id ", 0) == 0 ? "id"
                     : says.rfind("k ", 0) == 0  ? "k"
                                                 : nullptr;
  if (!in_item && says.rfind("the batch ", 0) == 0)
    return array;
  if (!in_item)
    return part != nullptr ? std::optional<std::string>(part) : std::nullopt;
  return array + "[" + error.substr(prefix.size(), colon - prefix.size()) + "]" + (part != nullptr ? std::string(".") + part : "");
}

/// A failed operation: the runtime's own message. A deployment without a layer that offers the
/// operation answers 501: the request may be fine, this server cannot serve it. `array` is a
/// batch's array of items.
api_error failure(const runtime& rt, const operation_result& result, const std::string& what,
                  const std::string& array = "items") {
  const bool unsupported = !result.offered;
  return {unsupported ? 501 : http_status_of(result.code), runtime_error(result.code, what, &rt, result.error).message,
          item_field(result.error, array),
          to_string(result.code)};
}

api_error no_entry(const char* kind, std::uint64_t id, const std::string& ns) {
  return {404, std::string("no ") + kind + " entry " + std::to_string(id) + " in namespace '" + ns + "'", std::nullopt,
          "not_found"};
}

/// The id the route captured, or null once `res` says why it is not one.
std::optional<std::uint64_t> captured_id(const Request& req, Response& res) {
  auto id = parse_id(std::string(req.matches[1]));
  if (const auto* value = usable(id, res))
    return *value;
  return std::nullopt;
}

/// Answers `request` (or its refusal): `call` passes it to the runtime; an ok result is answered
/// with `success` and `to_json` of the result, any other with the runtime's error for `operation`.
/// A semantic lookup's miss (`miss_is_answer`) is an answer too: 200 with "hit": false.
template <class Asked, class Result, class ToJson>
void answer(runtime& rt, Response& res, parsed<Asked> request, Result (runtime::*call)(Asked), int success,
            ToJson to_json, const char* operation, bool miss_is_answer = false, const char* array = "items") {
  auto* usable_request = usable(request, res);
  if (!usable_request)
    return;
  const auto result = (rt.*call)(std::move(*usable_request));
  if (result.code == status::ok || (miss_is_answer && result.code == status::not_found))
    send(res, success, to_json(result));
  else
    send_error(res, failure(rt, result, operation, array));
}

/// The namespace of a delete, from `?ns=`.
parsed<request_options> delete_options(const Request& req) {
  auto ns = parse_namespace(query_ns(req));
  if (auto* error = std::get_if<api_error>(&ns))
    return std::move(*error);
  request_options options;
  options.ns = std::move(std::get<std::string>(ns));
  return options;
}

/// Answers an update or a delete (`operation`) of the `kind` entry whose id the route captured:
/// `parse(id)` reads the change (it has the namespace, `ns`), `call(id, change)` makes it; `verb`
/// names the success.
template <class Parse, class Call>
void change_entry(const runtime& rt, const Request& req, Response& res, const char* kind, const char* operation,
                  const char* verb, Parse parse, Call call) {
  const auto id = captured_id(req, res);
  if (!id)
    return;
  auto parsed_change = parse(*id);
  auto* change = usable(parsed_change, res);
  if (!change)
    return;
  const auto ns = change->ns;
  const auto result = call(*id, std::move(*change));
  if (result.code == status::ok)
    send(res, 200, id_done_json(verb, *id));
  else if (result.code == status::not_found)
    send_error(res, no_entry(kind, *id, ns));
  else
    send_error(res, failure(rt, result, std::string(operation) + " of " + kind + " entry " + std::to_string(*id)));
}

/// `{"id", "layer"}` of a stored semantic entry or an added vector.
const auto added_json = [](const auto& added) { return id_json(added.id, added.layer); };

} // namespace

void lookup_semantic(runtime& rt, const Request& req, const std::string& body, Response& res) {
  answer(rt, res, parse_semantic_lookup(body, query_ns(req)), &runtime::semantic_lookup, 200, &semantic_lookup_json,
         "semantic lookup", /*miss_is_answer=*/true);
}

void store_semantic(runtime& rt, const Request& req, const std::string& body, Response& res) {
  answer(rt, res, parse_semantic_store(body, query_ns(req)), &runtime::semantic_store, 201, added_json,
         "semantic store");
}

void update_semantic(runtime& rt, const Request& req, const std::string& body, Response& res) {
  change_entry(
      rt, req, res, "semantic", "update", "updated",
      [&](std::uint64_t id) { return parse_semantic_update(body, query_ns(req), id); },
      [&](std::uint64_t, semantic_update update) { return rt.semantic_update(std::move(update)); });
}

void delete_semantic(runtime& rt, const Request& req, const std::string&, Response& res) {
  change_entry(
      rt, req, res, "semantic", "delete", "deleted", [&](std::uint64_t) { return delete_options(req); },
      [&](std::uint64_t id, const request_options& options) { return rt.semantic_erase(id, options); });
}

void add_vector(runtime& rt, const Request& req, const std::string& body, Response& res) {
  answer(rt, res, parse_vector_add(body, query_ns(req)), &runtime::vector_add, 201, added_json, "vector add");
}

void add_vectors(runtime& rt, const Request& req, const std::string& body, Response& res) {
  auto request = parse_vector_batch(body, query_ns(req));
  auto* items = usable(request, res);
  if (!items)
    return;
  const auto added = rt.vector_add_batch(std::move(*items));
  if (added.code == status::ok)
    return send(res, 201, ids_json(added.ids, added.layer));
  // All or none; but a layer past its deadline still takes the batch (sending it again would add
  // it twice). Said once: a layer whose file write failed says "nothing was added" itself (the
  // vector layer's words for it, in its persist_added).
  const bool said = added.error.find("nothing was added") != std::string::npos;
  send_error(res, failure(rt, added, added.code == status::timeout
                                   ? "vector batch add (answered late: the layer may still add all of it)"
                                   : said ? "vector batch add" : "vector batch add (nothing was added)"));
}

void search_vectors(runtime& rt, const Request& req, const std::string& body, Response& res) {
  answer(
      rt, res, parse_vector_search(body, query_ns(req)), &runtime::vector_search, 200,
      [](const vector_search_result& found) { return hits_json(found.hits, found.layer); }, "vector search");
}

void search_vectors_batch(runtime& rt, const Request& req, const std::string& body, Response& res) {
  answer(
      rt, res, parse_vector_search_batch(body, query_ns(req)), &runtime::vector_search_batch, 200,
      [](const vector_batch_search_result& found) { return batch_hits_json(found.hits, found.layer); },
      "vector batch search", /*miss_is_answer=*/false, "queries");
}

void update_vector(runtime& rt, const Request& req, const std::string& body, Response& res) {
  change_entry(
      rt, req, res, "vector", "update", "updated",
      [&](std::uint64_t id) { return parse_vector_update(body, query_ns(req), id); },
      [&](std::uint64_t, vector_item item) { return rt.vector_update(std::move(item)); });
}

void delete_vector(runtime& rt, const Request& req, const std::string&, Response& res) {
  change_entry(
      rt, req, res, "vector", "delete", "deleted", [&](std::uint64_t) { return delete_options(req); },
      [&](std::uint64_t id, const request_options& options) { return rt.vector_erase(id, options); });
}

} // namespace strata::server
