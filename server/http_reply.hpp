#pragma once
// Writing the API's responses, and keeping exceptions inside its handlers.

#include "api_error.hpp"

#include <httplib.h>

#include <exception>
#include <optional>
#include <string>

namespace strata::server {

/// Sets the status and the body.
void send(httplib::Response& res, int status, const std::string& body,
          const char* content_type = "application/json");

/// The error's status and its JSON body.
void send_error(httplib::Response& res, const api_error& error);

/// `send_error`, and the connection ends after it: what is left of the request (a body not read)
/// must never be read as another request. `Connection: close` alone did not end it (the library
/// ends one when the client asks, or a write fails), and the unread body of a refused request
/// was served as a request of its own (request smuggling behind a proxy).
void send_error_and_close(const httplib::Request& req, httplib::Response& res, const api_error& error);

/// The query parameters of the request's URL. Not `Request::params`: the library merges a
/// form-encoded body into those, and `-d 'ns=x'` would then choose the namespace.
httplib::Params url_params(const httplib::Request& req);

/// The first value of the URL's query parameter `name`, if the URL has it.
std::optional<std::string> url_param(const httplib::Request& req, const std::string& name);

/// Runs `serve`; whatever it throws becomes a 500 with a JSON body, so that no exception
/// reaches the HTTP library (which would answer without one, or with the exception's text in a
/// header).
template <class F>
void guarded(httplib::Response& res, F&& serve) {
  try {
    serve();
    return;
  } catch (const std::exception& e) {
    res.headers.clear();
    send_error(res, {500, "internal error", std::nullopt, e.what()});
  } catch (...) {
    res.headers.clear();
    send_error(res, {500, "internal error", std::nullopt, "an exception that is not a std::exception"});
  }
}

} // namespace strata::server
