// The API's handlers never let an exception reach the HTTP library (server/http_reply.hpp).

#include "http_reply.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>

using strata::server::guarded;

TEST_CASE("a handler that throws answers 500 with a JSON error and none of its own headers", "[http]") {
  httplib::Response res;
  guarded(res, [&] {
    res.set_header("Allow", "GET");
    res.set_content("half written", "text/plain");
    throw std::runtime_error("disk on fire");
  });
  CHECK(res.status == 500);
  CHECK(res.body == R"({"error":"internal error","field":null,"detail":"disk on fire"})");
  CHECK(res.get_header_value("Content-Type") == "application/json");
  CHECK_FALSE(res.has_header("Allow"));

  httplib::Response odd;
  guarded(odd, [] { throw 42; });
  CHECK(odd.status == 500);
  CHECK(odd.body.find("\"error\":\"internal error\"") != std::string::npos);
}

TEST_CASE("a handler that returns keeps its response", "[http]") {
  httplib::Response res;
  guarded(res, [&] { strata::server::send(res, 201, "{}"); });
  CHECK(res.status == 201);
  CHECK(res.body == "{}");
}
