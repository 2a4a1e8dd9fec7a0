#include "api_error.hpp"

#include <nlohmann/json.hpp>

namespace strata::server {

std::string error_json(const api_error& error) {
  nlohmann::ordered_json body = {{"error", error.message}, {"field", nullptr}};
  if (error.field)
    body["field"] = *error.field;
  if (!error.detail.empty())
    body["detail"] = error.detail;
  // replace: a key or parser message quoting invalid UTF-8 must not make the error itself throw.
  return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

int http_status_of(status code) {
  switch (code) {
  case status::ok: return 200;
  case status::not_found: return 404;
  case status::rejected: return 422;
  case status::unavailable: return 503;
  case status::timeout: return 504;
  case status::invalid: return 400;
  case status::internal: return 500;
  }
  return 500;
}

api_error runtime_error(status code, const std::string& what) {
  std::string why;
  switch (code) {
  case status::rejected: why = "the layers declined the write (too large for their bounds, or their policy)"; break;
  case status::unavailable: why = "the runtime cannot serve now (shutting down, or a layer's backend is down)"; break;
  case status::timeout: why = "a layer did not answer within its deadline"; break;
  case status::invalid: why = "the runtime refused the request as malformed"; break;
  case status::internal: why = "a layer failed; see the server's log and /v1/health"; break;
  default: why = "failed"; break;
  }
  return {http_status_of(code), what + ": " + why, std::nullopt, to_string(code)};
}

} // namespace strata::server
