#include "api_error.hpp"

#include <strata/runtime.hpp>

#include <nlohmann/json.hpp>

namespace strata::server {

std::string error_json(const api_error& error, const std::string& answer) {
  nlohmann::ordered_json body = {{"error", error.message}, {"field", nullptr}};
  if (error.field)
    body["field"] = *error.field;
  if (!error.detail.empty())
    body["detail"] = error.detail;
  if (!answer.empty())
    body["answer"] = nlohmann::ordered_json::parse(answer);
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

std::string unhealthy_layers(status code, const runtime* rt) {
  if (rt == nullptr || (code != status::unavailable && code != status::timeout && code != status::internal))
    return {};
  // An operator saw only "a layer's backend is down", not which one, nor why.
  std::string unwell;
  for (const auto& layer : rt->health().layers)
    if (layer.level != health_level::healthy)
      unwell += std::string(unwell.empty() ? "" : "; ") + "layer '" + layer.name + "' is " + to_string(layer.level) +
                ": " + layer.detail;
  return unwell.empty() ? std::string() : ". Now " + unwell;
}

api_error runtime_error(status code, const std::string& what, const runtime* rt, const std::string& said) {
  return {http_status_of(code), what + ": " + (said.empty() ? std::string(explain(code)) : said) + unhealthy_layers(code, rt),
          std::nullopt, to_string(code)};
}

} // namespace strata::server
