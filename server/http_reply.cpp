#include "http_reply.hpp"

#include <cstddef>
#include <memory>

namespace strata::server {

void send(httplib::Response& res, int status, const std::string& body, const char* content_type) {
  res.status = status;
  res.set_content(body, content_type);
}

void send_error(httplib::Response& res, const api_error& error) {
  send(res, error.http_status, error_json(error));
}

void send_error_and_close(const httplib::Request& req, httplib::Response& res, const api_error& error) {
  res.status = error.http_status;
  res.set_header("Connection", "close");
  // Written by a provider that writes the body whole and then fails: the library then writes
  // nothing more on the connection, and closes it.
  const auto body = std::make_shared<const std::string>(error_json(error));
  res.set_content_provider(body->size(), "application/json",
                           [body](std::size_t offset, std::size_t, httplib::DataSink& sink) {
                             sink.write(body->data() + offset, body->size() - offset);
                             return false;
                           });
  // A HEAD's answer has no body, and the provider would not run: answered as a GET's (the
  // connection ends after it all the same). The library's request is not const; only its view is.
  if (req.method == "HEAD")
    const_cast<httplib::Request&>(req).method = "GET";
}

httplib::Params url_params(const httplib::Request& req) {
  httplib::Params params;
  const auto mark = req.target.find('?');
  if (mark == std::string::npos)
    return params;
  // One pair at a time: the library drops a pair it has seen, so `ns=a&ns=a` would look like one.
  const std::string_view query(req.target.c_str() + mark + 1, req.target.size() - mark - 1);
  for (std::size_t start = 0; start <= query.size();) {
    auto end = query.find('&', start);
    if (end == std::string_view::npos)
      end = query.size();
    httplib::Params pair;
    httplib::detail::parse_query_text(std::string(query.substr(start, end - start)), pair);
    params.insert(pair.begin(), pair.end());
    start = end + 1;
  }
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
