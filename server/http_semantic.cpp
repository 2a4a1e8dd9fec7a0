#include "http_semantic.hpp"

#include "api_error.hpp"
#include "http_reply.hpp"
#include "http_requests.hpp"
#include "http_responses.hpp"

#include <strata/runtime.hpp>

#include <httplib.h>

#include <optional>
#include <string>
#include <utility>

namespace strata::server {
namespace {

using httplib::Request;
using httplib::Response;

std::optional<std::string> query_ns(const Request& req) {
  if (!req.has_param("ns"))
    return std::nullopt;
  return req.get_param_value("ns");
}

/// The value of `result`, or null once `res` holds its error.
template <class T>
T* usable(parsed<T>& result, Response& res) {
  if (const auto* error = std::get_if<api_error>(&result)) {
    send_error(res, *error);
    return nullptr;
  }
  return &std::get<T>(result);
}

/// A failed operation: the runtime's own message. A deployment without a layer that offers the
/// operation answers 501 (the runtime's `invalid` with the message capability_router writes then):
/// the request was fine, this server cannot serve it.
api_error failure(const operation_result& result, const std::string& what) {
  const bool unsupported = result.code == status::invalid &&
                           result.error.rfind("no layer of this deployment offers", 0) == 0;
  const auto message = result.error.empty() ? runtime_error(result.code, what).message : what + ": " + result.error;
  return {unsupported ? 501 : http_status_of(result.code), message, std::nullopt, to_string(result.code)};
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

/// Answers an update or a delete (`operation`) of entry `id`; `verb` names the success.
void answer_change(Response& res, const operation_result& result, const char* kind, const char* operation,
                   const char* verb, std::uint64_t id, const std::string& ns) {
  if (result.code == status::ok)
    send(res, 200, id_done_json(verb, id));
  else if (result.code == status::not_found)
    send_error(res, no_entry(kind, id, ns));
  else
    send_error(res, failure(result, std::string(operation) + " of " + kind + " entry " + std::to_string(id)));
}

} // namespace

void lookup_semantic(runtime& rt, const Request& req, const std::string& body, Response& res) {
  auto parsed_request = parse_semantic_lookup(body, query_ns(req));
  auto* request = usable(parsed_request, res);
  if (!request)
    return;
  const auto result = rt.semantic_lookup(std::move(*request));
  if (result.code == status::ok || result.code == status::not_found)
    send(res, 200, semantic_lookup_json(result));
  else
    send_error(res, failure(result, "semantic lookup"));
}

void store_semantic(runtime& rt, const Request& req, const std::string& body, Response& res) {
  auto parsed_entry = parse_semantic_store(body, query_ns(req));
  auto* entry = usable(parsed_entry, res);
  if (!entry)
    return;
  const auto result = rt.semantic_store(std::move(*entry));
  if (result.code == status::ok)
    send(res, 201, id_json(result.id, result.layer));
  else
    send_error(res, failure(result, "semantic store"));
}

void update_semantic(runtime& rt, const Request& req, const std::string& body, Response& res) {
  const auto id = captured_id(req, res);
  if (!id)
    return;
  auto parsed_update = parse_semantic_update(body, query_ns(req), *id);
  auto* update = usable(parsed_update, res);
  if (!update)
    return;
  const auto ns = update->ns;
  answer_change(res, rt.semantic_update(std::move(*update)), "semantic", "update", "updated", *id, ns);
}

void delete_semantic(runtime& rt, const Request& req, const std::string&, Response& res) {
  const auto id = captured_id(req, res);
  if (!id)
    return;
  auto ns = parse_namespace(query_ns(req));
  auto* name = usable(ns, res);
  if (!name)
    return;
  request_options options;
  options.ns = *name;
  answer_change(res, rt.semantic_erase(*id, options), "semantic", "delete", "deleted", *id, options.ns);
}

void add_vector(runtime& rt, const Request& req, const std::string& body, Response& res) {
  auto parsed_item = parse_vector_add(body, query_ns(req));
  auto* item = usable(parsed_item, res);
  if (!item)
    return;
  const auto result = rt.vector_add(std::move(*item));
  if (result.code == status::ok)
    send(res, 201, id_json(result.id, result.layer));
  else
    send_error(res, failure(result, "vector add"));
}

void add_vectors(runtime& rt, const Request& req, const std::string& body, Response& res) {
  auto parsed_items = parse_vector_batch(body, query_ns(req));
  auto* items = usable(parsed_items, res);
  if (!items)
    return;
  const auto result = rt.vector_add_batch(std::move(*items));
  if (result.code == status::ok)
    send(res, 201, ids_json(result.ids, result.layer));
  else
    send_error(res, failure(result, "vector batch add (nothing was added)"));
}

void search_vectors(runtime& rt, const Request& req, const std::string& body, Response& res) {
  auto parsed_query = parse_vector_search(body, query_ns(req));
  auto* query = usable(parsed_query, res);
  if (!query)
    return;
  const auto result = rt.vector_search(std::move(*query));
  if (result.code == status::ok)
    send(res, 200, hits_json(result.hits, result.layer));
  else
    send_error(res, failure(result, "vector search"));
}

void search_vectors_batch(runtime& rt, const Request& req, const std::string& body, Response& res) {
  auto parsed_queries = parse_vector_search_batch(body, query_ns(req));
  auto* queries = usable(parsed_queries, res);
  if (!queries)
    return;
  const auto result = rt.vector_search_batch(std::move(*queries));
  if (result.code == status::ok)
    send(res, 200, batch_hits_json(result.hits, result.layer));
  else
    send_error(res, failure(result, "vector batch search"));
}

void update_vector(runtime& rt, const Request& req, const std::string& body, Response& res) {
  const auto id = captured_id(req, res);
  if (!id)
    return;
  auto parsed_item = parse_vector_update(body, query_ns(req), *id);
  auto* item = usable(parsed_item, res);
  if (!item)
    return;
  const auto ns = item->ns;
  answer_change(res, rt.vector_update(std::move(*item)), "vector", "update", "updated", *id, ns);
}

void delete_vector(runtime& rt, const Request& req, const std::string&, Response& res) {
  const auto id = captured_id(req, res);
  if (!id)
    return;
  auto ns = parse_namespace(query_ns(req));
  auto* name = usable(ns, res);
  if (!name)
    return;
  request_options options;
  options.ns = *name;
  answer_change(res, rt.vector_erase(*id, options), "vector", "delete", "deleted", *id, options.ns);
}

} // namespace strata::server
