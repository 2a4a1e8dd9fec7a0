#include "http_api.hpp"

#include "api_error.hpp"
#include "bearer_auth.hpp"
#include "http_reply.hpp"
#include "http_requests.hpp"
#include "http_responses.hpp"
#include "http_semantic.hpp"

#include "dashboard_html.hpp"
#include "snapshot_json.hpp"

#include <strata/ascii.hpp>
#include <strata/runtime.hpp>
#include <strata/utf8.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace strata::server {
namespace {

using httplib::Request;
using httplib::Response;
/// What a route runs: the request, its body (read as `reading_body` says), the response.
using handler = std::function<void(const Request&, const std::string& body, Response&)>;

api_error body_too_large(std::uint64_t max_body) {
  return {413, "the request body is larger than server.http.max_body (" + std::to_string(max_body) + " bytes)",
          std::nullopt, ""};
}

api_error no_route(const Request& req) {
  // The entry routes take a key of at least one byte: "/v1/cache/" is the collection's path, not
  // an entry's, though the embedding API and the Redis protocol take an empty key.
  if (req.path == "/v1/cache/")
    return {404,
            "no route for " + req.method + " " + req.path +
              ": an empty key cannot be given in the path; the empty key is reached over the Redis protocol",
            std::nullopt, ""};
  return {404, "no route for " + req.method + " " + req.path, std::nullopt, ""};
}

/// Sends the error when `parsed` holds one; true when it holds the value.
template <class T>
bool usable(const parsed<T>& parsed, Response& res) {
  if (const auto* error = std::get_if<api_error>(&parsed)) {
    send_error(res, *error);
    return false;
  }
  return true;
}

// ---- handlers: `req.matches[1]` is the key or rule the route's pattern captured ----

/// The key the route captured and the namespace the query names; false once `res` says why not.
bool addressed(const Request& req, Response& res, std::string& key, request_options& options) {
  const auto ns = parse_namespace(url_param(req, "ns"));
  if (!usable(ns, res))
    return false;
  key = req.matches[1];
  options.ns = std::get<std::string>(ns);
  return true;
}

api_error no_entry(const std::string& key, const request_options& options) {
  return {404, "no entry for key '" + key + "' in namespace '" + options.ns + "'", std::nullopt, ""};
}

void get_entry(runtime& rt, const Request& req, const std::string&, Response& res) {
  std::string key;
  request_options options;
  if (!addressed(req, res, key, options))
    return;
  const auto result = rt.get(key, options);
  // JSON carries text: bytes that are not UTF-8 would come back changed, and the client could not
  // tell (a Redis client or the embedding API wrote them).
  if (const auto at = invalid_utf8_at(result.value); result.code == status::ok && at != std::string_view::npos)
    send_error(res, {422, "the value of '" + key + "' is not UTF-8 text (at byte " + std::to_string(at) +
                            "), which JSON cannot carry; read it over the Redis protocol",
                     std::string("value"), ""});
  else if (result.code == status::ok)
    send(res, 200, hit_json(key, result.value, result.layer));
  else if (result.code == status::not_found)
    send_error(res, no_entry(key, options));
  else
    send_error(res, runtime_error(result.code, "get of '" + key + "'", &rt));
}

void put_entry(runtime& rt, const Request& req, const std::string& body, Response& res) {
  const auto request = parse_put_request(body, url_param(req, "ns"));
  if (!usable(request, res))
    return;
  const std::string key = req.matches[1];
  const auto& [value, options] = std::get<put_request>(request);
  const status code = rt.put(key, value, options);
  if (code == status::ok)
    res.status = 204;
  else
    send_error(res, runtime_error(code, "put of '" + key + "'", &rt));
}

void delete_entry(runtime& rt, const Request& req, const std::string&, Response& res) {
  std::string key;
  request_options options;
  if (!addressed(req, res, key, options))
    return;
  const status code = rt.erase(key, options);
  if (code == status::ok)
    send(res, 200, deleted_json(key));
  else if (code == status::not_found)
    send_error(res, no_entry(key, options));
  else
    send_error(res, runtime_error(code, "delete of '" + key + "'", &rt));
}

void invalidate(runtime& rt, const Request& req, const std::string& body, Response& res) {
  const auto request = parse_invalidate_request(body, url_param(req, "ns"));
  if (!usable(request, res))
    return;
  const auto& [tag, options] = std::get<invalidate_request>(request);
  const auto result = rt.invalidate_tag(tag, options);
  if (result.code == status::ok)
    send(res, 200, removed_json(result.removed));
  else
    send_error(res, runtime_error(result.code, "invalidation of tag '" + tag + "'", &rt, result.error));
}

/// What /metrics and /v1/stats answer when the runtime records nothing: figures of zero would look
/// like a deployment that served nothing.
const api_error metrics_off{404, "metrics are off in this deployment (runtime.metrics: false)", std::nullopt,
                            "not_found"};

void stats(runtime& rt, const Request& req, const std::string&, Response& res) {
  if (!rt.effective_config().runtime.metrics)
    return send_error(res, metrics_off);
  const auto window = parse_window(url_param(req, "window"));
  if (usable(window, res))
    send(res, 200, telemetry::to_json_text(rt.stats(std::get<stats_window>(window))));
}

/// 503 when critical, so that a load balancer's check takes the instance out; a warning still serves.
/// Asked without the token that the server requires, the levels only: a layer's words can name its
/// database's host and port, which a probe has no need of and an outsider no business with.
void health(runtime& rt, const Request& req, const std::string&, Response& res, const std::string& token) {
  auto report = rt.health();
  if (!token.empty() && !bearer_matches(req.get_header_value("Authorization"), token)) {
    for (auto& layer : report.layers) {
      layer.detail.clear();
      layer.last_error.clear();
    }
    for (auto& check : report.system)
      check.detail.clear();
  }
  send(res, report.overall == health_level::critical ? 503 : 200, telemetry::to_json_text(report));
}

void metrics(runtime& rt, const Request&, const std::string&, Response& res) {
  if (!rt.effective_config().runtime.metrics)
    return send_error(res, metrics_off);
  send(res, 200, rt.prometheus_text(), "text/plain; version=0.0.4; charset=utf-8");
}

void alerts(runtime& rt, const Request&, const std::string&, Response& res) {
  send(res, 200, alerts_json(rt.alerts()));
}

void acknowledge(runtime& rt, const Request& req, const std::string& body, Response& res) {
  const std::string rule = req.matches[1];
  // As every route refuses what it does not take (a body's fields were ignored here).
  const auto acknowledgement = parse_acknowledgement(body);
  if (const auto* error = std::get_if<api_error>(&acknowledgement))
    return send_error(res, *error);
  if (rt.acknowledge_alert(rule))
    send(res, 200, acknowledged_json(rule));
  else
    send_error(res, {404, "no firing alert for rule '" + rule + "'", std::nullopt, ""});
}

/// A layer's own command (`runtime::layer_command`): the global layer's validate or reject, the
/// diary's top queries. The layer's JSON answer as is; its {"error": ...} as the error.
void layer_command(runtime& rt, const Request& req, const std::string& body, Response& res) {
  const std::string layer = req.matches[1], name = req.matches[2];
  const auto& layers = rt.effective_config().layers;
  if (std::none_of(layers.begin(), layers.end(), [&](const layer_config& l) { return l.name == layer; }))
    return send_error(res, {404, "no layer named '" + layer + "'", std::nullopt, ""});
  const auto args = parse_command_args(body);
  if (!usable(args, res))
    return;
  const auto result = rt.layer_command(layer, name, std::get<std::string>(args));
  if (result.code == status::ok)
    return send(res, 200, result.json);
  const std::string what = "command '" + name + "' of layer '" + layer + "'";
  auto error = runtime_error(result.code, what, &rt);
  const auto answer = nlohmann::json::parse(result.json, nullptr, false);
  // The layer's reason is the error: the status's general meaning may not fit a command (a refused
  // validate read "the layers declined the write (too large for their bounds, ...)").
  // What the layer said besides them (a diary flush's written and buffered) is kept.
  auto more = answer.is_object() ? answer : nlohmann::json::object();
  if (more.contains("error") && more["error"].is_string()) {
    error.message = what + ": " + more["error"].get<std::string>() + unhealthy_layers(result.code, &rt);
    more.erase("error");
  }
  if (more.contains("field") && more["field"].is_string()) {
    error.field = more["field"].get<std::string>();
    more.erase("field");
  }
  send(res, error.http_status,
       error_json(error, more.empty() ? std::string() : more.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace)));
}

void dashboard(runtime& rt, const Request&, const std::string&, Response& res) {
  send(res, 200, telemetry::render_dashboard(rt.snapshot()), "text/html; charset=utf-8");
}

// ---- routing ----

/// Whether the body is chunked, as the library reads it: its (first) Transfer-Encoding is
/// "chunked", in any case.
bool chunked_body(const Request& req) {
  return ascii_lower(req.get_header_value("Transfer-Encoding")) == "chunked";
}

/// True when the request says it carries a body. Without Content-Length or chunked encoding it
/// has none (RFC 9112, 6.3), but the library would wait for one until its read timeout.
bool has_body(const Request& req) { return req.has_header("Content-Length") || chunked_body(req); }

/// For PUT, POST and PATCH: reads the body (up to `max_body`, past which it answers 413), then
/// runs `serve`, guarded. The library bounds a body with a Content-Length, not a chunked one.
httplib::Server::HandlerWithContentReader reading_body(handler serve, std::size_t max_body) {
  return [serve = std::move(serve), max_body](const Request& req, Response& res, const httplib::ContentReader& read) {
    guarded(res, [&] {
      std::string body;
      bool over = false;
      const auto append = [&](const char* data, std::size_t size) {
        over = size > max_body - body.size();
        if (!over)
          body.append(data, size);
        return !over;
      };
      const bool complete = !has_body(req) || read(append);
      if (over) // the rest of the body is unread
        return send_error_and_close(req, res, body_too_large(max_body));
      if (!complete) // a body the library could not read (a malformed chunk): where it ends is unknown
        return send_error_and_close(req, res, {res.status == 413 ? 413 : 400,
                                                res.status == 413 ? body_too_large(max_body).message
                                                                  : "the request's body could not be read",
                                                std::nullopt, ""});
      serve(req, body, res);
    });
  };
}

/// A body's `"ns"` would be ignored, and the request act on the default namespace.
api_error body_refused(const Request& req) {
  return {400, req.method + " takes no body (it would be ignored: give the namespace as ?ns=)", std::nullopt, ""};
}

/// For GET, whose body (if any) was refused before routing: runs `serve`, guarded.
httplib::Server::Handler without_body(handler serve) {
  return [serve = std::move(serve)](const Request& req, Response& res) {
    guarded(res, [&] { serve(req, req.body, res); });
  };
}

/// For DELETE, whose body (if any) the library has read, so that the connection stays in step:
/// runs `serve`, guarded, or refuses the body.
httplib::Server::Handler with_library_body(handler serve) {
  return [serve = std::move(serve)](const Request& req, Response& res) {
    if (!req.body.empty())
      return send_error(res, body_refused(req));
    guarded(res, [&] { serve(req, req.body, res); });
  };
}

/// A query parameter the route does not take, or one given twice: refused, since a misspelt
/// `?ns=` would otherwise act on the default namespace.
std::optional<api_error> query_error(const Request& req, const std::vector<std::string>& allowed) {
  const auto params = url_params(req);
  for (auto it = params.begin(); it != params.end(); it = params.upper_bound(it->first)) {
    const std::string& name = it->first;
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      std::string takes = allowed.empty() ? "this path takes none" : "allowed: ";
      for (std::size_t i = 0; i < allowed.size(); ++i)
        takes += (i > 0 ? ", " : "") + allowed[i];
      return api_error{400, "unknown query parameter '" + name + "'; " + takes, name, ""};
    }
    if (params.count(name) > 1)
      return api_error{400, "the query parameter '" + name + "' is given more than once", name, ""};
  }
  return std::nullopt;
}

/// What one route answers, by method; an empty handler: the method is not allowed.
struct route_methods {
  handler get;
  handler put;
  handler post;
  handler del;
  handler patch{}; // last, with a default: the routes without PATCH leave it out
};

/// The routes of one server, whose bodies share one limit.
class route_table {
public:
  route_table(httplib::Server& server, std::size_t max_body) : server_(server), max_body_(max_body) {}

  /// Registers `methods` on `pattern` and answers the others with 405 and an Allow header (the
  /// library alone would say 404, as if the path did not exist). `params`: the query parameters
  /// the route takes, any other refused with 400; none given: not checked (/metrics, whose
  /// scrapers may add their own, and /dashboard).
  void add(const std::string& pattern, const route_methods& methods,
           std::optional<std::vector<std::string>> params = std::vector<std::string>{"ns"});

private:
  httplib::Server& server_;
  std::size_t max_body_;
};

void route_table::add(const std::string& pattern, const route_methods& methods,
                      std::optional<std::vector<std::string>> params) {
  std::string allow;
  for (const auto& [given, name] : {std::pair{bool(methods.get), "GET, HEAD"}, std::pair{bool(methods.put), "PUT"},
                                    std::pair{bool(methods.post), "POST"}, std::pair{bool(methods.del), "DELETE"},
                                    std::pair{bool(methods.patch), "PATCH"}})
    if (given)
      allow += (allow.empty() ? "" : ", ") + std::string(name);
  allow += ", OPTIONS"; // answered on every route (below); a 405's Allow lists it as OPTIONS's does
  const handler refuse = [allow](const Request& req, const std::string&, Response& res) {
    res.set_header("Allow", allow);
    send_error(res, {405, req.method + " is not allowed on " + req.path + "; allowed: " + allow, std::nullopt, ""});
  };
  const auto or_refuse = [&refuse, &params](const handler& serve) -> handler {
    if (!serve)
      return refuse;
    if (!params)
      return serve;
    return [serve, allowed = *params](const Request& req, const std::string& body, Response& res) {
      if (const auto error = query_error(req, allowed))
        return send_error(res, *error);
      serve(req, body, res);
    };
  };
  server_.Get(pattern, without_body(or_refuse(methods.get)));
  server_.Delete(pattern, with_library_body(or_refuse(methods.del)));
  server_.Put(pattern, reading_body(or_refuse(methods.put), max_body_));
  server_.Post(pattern, reading_body(or_refuse(methods.post), max_body_));
  server_.Patch(pattern, reading_body(or_refuse(methods.patch), max_body_));
  server_.Options(pattern, [allow](const Request&, Response& res) {
    res.set_header("Allow", allow);
    res.status = 204;
  });
}

/// Every answer is one whole JSON document: a Range is ignored (RFC 9110 14.2 lets a server ignore
/// it). Left to the library, it cut the body to the range and kept the status, so a client took a
/// piece of JSON for the answer. The request is the server's own, not const: clearing what the
/// library parsed from the header is how it is ignored.
void ignore_ranges(const Request& req) { const_cast<Request&>(req).ranges.clear(); }

} // namespace

void install_http_api(httplib::Server& server, runtime& rt, const http_settings& settings) {
  server.set_payload_max_length(settings.max_body);

  // Before routing, so that a request without the token is refused before its body is read.
  server.set_pre_routing_handler([token = settings.token, max_body = settings.max_body](const Request& req,
                                                                                          Response& res) {
    ignore_ranges(req);
    // Two lengths, a length and a transfer coding, or two codings say two things of where this
    // request ends: a proxy in front may have read it by the other (request smuggling, RFC 9112
    // 6.3). A coding other than chunked the library does not read: it would take the body for
    // none.
    const bool coded = req.has_header("Transfer-Encoding");
    const bool chunked = chunked_body(req);
    std::string ambiguous;
    // "Transfer-Encoding : chunked" is no Transfer-Encoding to the library, which then took the
    // Content-Length (RFC 9112 5.1: no blank between a field's name and its colon).
    const auto blank_in_name = std::find_if(req.headers.begin(), req.headers.end(), [](const auto& header) {
      return header.first.find_first_of(" \t") != std::string::npos;
    });
    if (blank_in_name != req.headers.end())
      ambiguous = "the header name '" + blank_in_name->first + "' has a blank before its colon";
    else if (req.get_header_value_count("Content-Length") > 1)
      ambiguous = "Content-Length is given more than once";
    else if (coded && req.has_header("Content-Length"))
      ambiguous = "a Content-Length and a Transfer-Encoding: give one";
    else if (req.get_header_value_count("Transfer-Encoding") > 1)
      ambiguous = "Transfer-Encoding is given more than once";
    else if (req.get_header_value_count("Authorization") > 1) // a proxy may have checked the other
      ambiguous = "Authorization is given more than once";
    if (!ambiguous.empty() || (coded && !chunked)) {
      guarded(res, [&] {
        if (!ambiguous.empty())
          send_error_and_close(req, res, {400, ambiguous, std::nullopt, ""});
        else
          send_error_and_close(req, res, {501, "Transfer-Encoding '" + req.get_header_value("Transfer-Encoding") +
                                                 "' is not supported: send a Content-Length, or chunked",
                                          std::nullopt, ""});
      });
      return httplib::Server::HandlerResponse::Handled;
    }
    // A length that is not a byte count, or one over the limit: answered at once. The library
    // would wait for a body that never comes (-5, or 99999999999 with a short body), or read
    // none and answer as if the JSON were cut short (abc).
    if (req.has_header("Content-Length")) {
      const auto length = req.get_header_value("Content-Length");
      const bool count = !length.empty() && length.find_first_not_of("0123456789") == std::string::npos;
      const bool over = count && (length.size() > 19 || std::stoull(length) > max_body);
      if (!count || over) {
        guarded(res, [&] {
          if (!count)
            send_error_and_close(req, res, {400, "Content-Length '" + length + "' is not a byte count", std::nullopt, ""});
          else
            send_error_and_close(req, res, body_too_large(max_body));
        });
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    // The library reads the body of the other methods whole, whatever its size, before routing:
    // a chunked one (no length to check above) is refused unread.
    const bool read_by_us = req.method == "PUT" || req.method == "POST" || req.method == "PATCH";
    if (!read_by_us && chunked) {
      guarded(res, [&] {
        send_error_and_close(req, res, {400, req.method + " takes no body; this one is chunked", std::nullopt, ""});
      });
      return httplib::Server::HandlerResponse::Handled;
    }
    // A GET (HEAD, OPTIONS) takes none either, and the library reads none: no handler would see
    // it. Refused here, unread (a DELETE's, which the library reads, is refused by its handler).
    if (!read_by_us && req.method != "DELETE" &&
        req.get_header_value("Content-Length").find_first_not_of('0') != std::string::npos) {
      guarded(res, [&] { send_error_and_close(req, res, body_refused(req)); });
      return httplib::Server::HandlerResponse::Handled;
    }
    if (token.empty() || req.path == "/v1/health" || bearer_matches(req.get_header_value("Authorization"), token))
      return httplib::Server::HandlerResponse::Unhandled;
    guarded(res, [&] {
      res.set_header("WWW-Authenticate", "Bearer");
      const api_error refused{401, "missing or wrong bearer token: send 'Authorization: Bearer <token>'", std::nullopt,
                              ""};
      // The body stays unread: the connection cannot carry another request after it.
      if (has_body(req))
        send_error_and_close(req, res, refused);
      else
        send_error(res, refused);
    });
    return httplib::Server::HandlerResponse::Handled;
  });

  // What the library refuses by itself arrives here with an empty body: a GET to no route (404),
  // a body over the limit (413), a Range it could not parse (416), a request it could not read
  // (400).
  const httplib::Server::HandlerWithResponse error_body = [max_body = settings.max_body](const Request& req,
                                                                                        Response& res) {
    ignore_ranges(req); // those of a header the library could parse only in part, too
    if (!res.body.empty() || res.content_provider_) // written already (`send_error_and_close`)
      return httplib::Server::HandlerResponse::Handled;
    guarded(res, [&] {
      if (res.status == 404)
        send_error(res, no_route(req));
      else if (res.status == 414)
        // The library reads the request line, its CRLF included, into this many bytes.
        send_error(res, {414, "the request line (method, URL and version) is longer than the server reads (" +
                                std::to_string(CPPHTTPLIB_REQUEST_URI_MAX_LENGTH - 2) +
                                " bytes); a long key can be sent over the Redis protocol",
                         std::nullopt, ""});
      else if (res.status == 413)
        send_error(res, body_too_large(max_body));
      else if (res.status == 416) // a Range the library could not parse, refused before routing
        send_error(res, {416, "the Range header '" + req.get_header_value("Range") +
                                "' could not be read; every answer is sent whole: send no Range",
                         std::nullopt, ""});
      else
        send_error(res, {res.status, "the request could not be read (HTTP " + std::to_string(res.status) + ")",
                         std::nullopt, ""});
    });
    return httplib::Server::HandlerResponse::Handled;
  };
  server.set_error_handler(error_body);
  // The library offers byte ranges in a HEAD's answer; every Range is ignored (above).
  server.set_post_routing_handler([](const Request& req, Response& res) {
    if (req.method == "HEAD") {
      res.headers.erase("Accept-Ranges");
      res.set_header("Accept-Ranges", "none");
    }
  });

  const auto on = [&rt](void (*serve)(runtime&, const Request&, const std::string&, Response&)) -> handler {
    return [&rt, serve](const Request& req, const std::string& body, Response& res) { serve(rt, req, body, res); };
  };
  route_table routes(server, settings.max_body);
  // [\s\S]: a key may hold a line break, which `.` does not match.
  routes.add("/v1/cache/([\\s\\S]+)", {on(get_entry), on(put_entry), {}, on(delete_entry)});
  routes.add("/v1/invalidate", {{}, {}, on(invalidate), {}});
  routes.add("/v1/stats", {on(stats), {}, {}, {}}, std::vector<std::string>{"window"});
  const handler health_for_anyone = [&rt, token = settings.token](const Request& req, const std::string& body,
                                                                 Response& res) { health(rt, req, body, res, token); };
  routes.add("/v1/health", {health_for_anyone, {}, {}, {}}, std::vector<std::string>{});
  routes.add("/metrics", {on(metrics), {}, {}, {}}, std::nullopt);
  routes.add("/v1/alerts", {on(alerts), {}, {}, {}}, std::vector<std::string>{});
  routes.add("/v1/alerts/([^/]+)/ack", {{}, {}, on(acknowledge), {}}, std::vector<std::string>{});
  routes.add("/dashboard", {on(dashboard), {}, {}, {}}, std::nullopt);
  routes.add("/v1/layers/([^/]+)/commands/([^/]+)", {{}, {}, on(layer_command), {}}, std::vector<std::string>{});
  // The fixed paths before the ones that capture an id, which would match them too.
  routes.add("/v1/semantic/lookup", {{}, {}, on(lookup_semantic), {}});
  routes.add("/v1/semantic", {{}, {}, on(store_semantic), {}});
  routes.add("/v1/semantic/([^/]+)", {{}, {}, {}, on(delete_semantic), on(update_semantic)});
  routes.add("/v1/vectors", {{}, {}, on(add_vector), {}});
  routes.add("/v1/vectors/batch", {{}, {}, on(add_vectors), {}});
  routes.add("/v1/vectors/search", {{}, {}, on(search_vectors), {}});
  routes.add("/v1/vectors/search/batch", {{}, {}, on(search_vectors_batch), {}});
  routes.add("/v1/vectors/([^/]+)", {{}, on(update_vector), {}, on(delete_vector)});
  // Last: a body sent to no route is still read, so that the connection stays usable, and
  // answered 404.
  const handler nowhere = [](const Request& req, const std::string&, Response& res) { send_error(res, no_route(req)); };
  server.Put(".*", reading_body(nowhere, settings.max_body));
  server.Post(".*", reading_body(nowhere, settings.max_body));
  server.Patch(".*", reading_body(nowhere, settings.max_body));
}

} // namespace strata::server
