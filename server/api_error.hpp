#pragma once
// What the HTTP API answers when it refuses a request or a request fails: a status code and a
// JSON body that says why, and which field of the request was wrong when one was.

#include <strata/status.hpp>

#include <optional>
#include <string>

namespace strata {
class runtime;
} // namespace strata

namespace strata::server {

/// One refusal or failure, as the client sees it.
struct api_error {
  int http_status = 400;
  std::string message;              ///< "error": one readable sentence
  std::optional<std::string> field; ///< "field": the request field at fault; null when none is
  std::string detail;               ///< "detail", when there is more to say (a parser's message)
};

/// `{"error": ..., "field": ... | null}`, with `"detail"` when the error has one, and `"answer"`
/// when `answer` (JSON text: what a layer said besides its error) is not empty.
std::string error_json(const api_error& error, const std::string& answer = {});

/// The HTTP status that stands for a runtime outcome: ok 200, not_found 404, rejected 422,
/// unavailable 503, timeout 504, invalid 400, internal 500.
int http_status_of(status code);

/// For a failure a layer's state may explain (unavailable, timeout, internal): ". Now layer 'x' is
/// critical: <its health's detail>; ...", the layers of `rt` (unless null) not healthy now; else,
/// or when all are healthy, empty.
std::string unhealthy_layers(status code, const runtime* rt);

/// The error a failed runtime call answers with; `what` names the operation ("put of 'k'"), then
/// come what the layers `said` of it or, when they said nothing, what `code` means, and
/// `unhealthy_layers`.
api_error runtime_error(status code, const std::string& what, const runtime* rt, const std::string& said = {});

} // namespace strata::server
