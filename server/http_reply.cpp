#include "http_reply.hpp"

namespace strata::server {

void send(httplib::Response& res, int status, const std::string& body, const char* content_type) {
  res.status = status;
  res.set_content(body, content_type);
}

void send_error(httplib::Response& res, const api_error& error) {
  send(res, error.http_status, error_json(error));
}

httplib::Params url_params(const httplib::Request& req) {
  httplib::Params params;
  if (const auto mark = req.target.find('?'); mark != std::string::npos)
    httplib::detail::parse_query_text(req.target.substr(mark + 1), params);
  return params;
}

std::optional<std::string> url_param(const httplib::Request& req, const std::string& name) {
  const auto params = url_params(req);
  const auto it = params.find(name);
  if (it == params.end())
    return std::nullopt;
  return it->second;
}

} // namespace strata::server
