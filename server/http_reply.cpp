#include "http_reply.hpp"

namespace strata::server {

void send(httplib::Response& res, int status, const std::string& body, const char* content_type) {
  res.status = status;
  res.set_content(body, content_type);
}

void send_error(httplib::Response& res, const api_error& error) {
  send(res, error.http_status, error_json(error));
}

} // namespace strata::server
