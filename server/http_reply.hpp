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
