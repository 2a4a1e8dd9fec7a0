// The HTTP API's request parsing and checking (server/http_requests.hpp), its error bodies and
// status mapping (server/api_error.hpp) and the bearer token check (server/bearer_auth.hpp).

#include "api_error.hpp"
#include "bearer_auth.hpp"
#include "http_requests.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace std::chrono_literals;
using namespace strata::server;

namespace {

const std::string ttl_message =
  "expected a duration string like \"30s\" (at most 106481d) or an integer of milliseconds";

template <class T>
T accepted(const parsed<T>& result) {
  if (const auto* error = std::get_if<api_error>(&result))
    FAIL("refused: " << error_json(*error));
  return std::get<T>(result);
}

template <class T>
api_error refused(const parsed<T>& result) {
  REQUIRE(std::holds_alternative<api_error>(result));
  return std::get<api_error>(result);
}

/// The error a PUT body gets: always a 400.
api_error put_error(const std::string& body) {
  auto error = refused(parse_put_request(body, std::nullopt));
  CHECK(error.http_status == 400);
  return error;
}

} // namespace

TEST_CASE("a PUT body with every field is read", "[http]") {
  const auto& put = accepted(parse_put_request(R"({"value": "v", "ttl": "30s", "tags": ["a", "b"], "ns": "t"})",
                                               std::nullopt));
  CHECK(put.value == "v");
  CHECK(put.options.ttl == 30s);
  CHECK(put.options.tags == std::vector<std::string>{"a", "b"});
  CHECK(put.options.ns == "t");

  const auto& minimal = accepted(parse_put_request(R"({"value": ""})", std::nullopt));
  CHECK(minimal.value.empty());
  CHECK(minimal.options.ttl == 0ms);
  CHECK(minimal.options.tags.empty());
  CHECK(minimal.options.ns == "default");
}

TEST_CASE("a TTL is a duration string or an integer of milliseconds", "[http]") {
  const auto ttl_of = [](const std::string& ttl) {
    return accepted(parse_put_request(R"({"value": "v", "ttl": )" + ttl + "}", std::nullopt)).options.ttl;
  };
  CHECK(ttl_of("1500") == 1500ms);
  CHECK(ttl_of("0") == 0ms);
  CHECK(ttl_of(R"("0")") == 0ms);
  CHECK(ttl_of(R"("2m")") == 120s);
  CHECK(ttl_of(R"("250us")") == 1ms); // rounded up: a TTL given stays a TTL
  // The longest TTL, as "106481d" is: beyond it was taken and cut to what the clock holds.
  CHECK(ttl_of("9199958400000") == 9199958400000ms);
  CHECK(ttl_of(R"("106481d")") == 9199958400000ms);
  for (const char* long_ttl : {"9199958400001", "9223372036854775807", "18446744073709551615"}) {
    INFO(long_ttl);
    const auto error = put_error(std::string(R"({"value": "v", "ttl": )") + long_ttl + "}");
    CHECK(error.field == "ttl");
    CHECK(error.message == "at most 106481d (9199958400000 ms)");
  }
  for (const char* bad : {"1.5", "-1.5", "true", "null", "[]", R"("30")", R"("30 parsecs")", R"("106482d")",
                          R"("-")", R"("--1s")"}) {
    INFO(bad);
    const auto error = put_error(std::string(R"({"value": "v", "ttl": )") + bad + "}");
    CHECK(error.field == "ttl");
    CHECK(error.message == ttl_message);
    CHECK_FALSE(error.detail.empty());
  }
  CHECK(put_error(R"({"value": "v", "ttl": 1.5})").detail == "got a number: 1.5");
  // An integer of milliseconds or a duration all the same: what is wrong is the sign.
  for (const char* negative : {"-5", R"("-1s")", "-9223372036854775808"}) {
    INFO(negative);
    const auto error = put_error(std::string(R"({"value": "v", "ttl": )") + negative + "}");
    CHECK(error.field == "ttl");
    CHECK(error.message == "a TTL cannot be negative (0: no expiry; to drop an entry now, delete it)");
  }
}

TEST_CASE("a member given twice is refused, at its field when it is one", "[http]") {
  // The parser kept the last: {"value": "first", "value": "2"} stored "2".
  const auto twice = put_error(R"({"value": "first", "value": "2"})");
  CHECK(twice.message == "'value' is given twice");
  CHECK(twice.field == "value");
  // Deeper, at its path: through objects and arrays, whatever the values before it.
  for (const auto& [body, path] : std::vector<std::pair<std::string, std::string>>{
         {R"({"value": "v", "extra": {"a": 1, "a": 2}})", "extra.a"},
         {R"({"items": [{"id": 1}, {"id": 2, "id": 3}]})", "items[1].id"},
         {R"({"items": [1, [2, 3], {"x": {}}, {"m": {"k": 1, "k": 2}}]})", "items[3].m.k"}}) {
    INFO(body);
    const auto nested = parse_put_request(body, std::nullopt);
    REQUIRE(std::holds_alternative<api_error>(nested));
    CHECK(std::get<api_error>(nested).message == "'" + path + "' is given twice");
    CHECK(std::get<api_error>(nested).field == path);
  }
  // The same name in two objects, sibling or nested, is two members: refused for another reason
  // (these fields are unknown to a put), not as given twice.
  const auto siblings = parse_put_request(R"({"value": "v", "a": {"id": 1}, "b": {"id": 2, "a": {"id": 3}}})",
                                          std::nullopt);
  REQUIRE(std::holds_alternative<api_error>(siblings));
  CHECK(std::get<api_error>(siblings).message == "unknown fields 'a', 'b'; allowed: value, ttl, tags, ns");
}

TEST_CASE("malformed JSON and a body that is not an object name no field", "[http]") {
  const auto malformed = put_error(R"({"value": "v",)");
  CHECK(malformed.message == "malformed JSON");
  CHECK_FALSE(malformed.field);
  CHECK(malformed.detail.find("parse error at line 1, column 15: syntax error") == 0);
  CHECK(put_error("").message == "malformed JSON");

  const auto array = put_error(R"(["v"])");
  CHECK(array.message == "expected a JSON object");
  CHECK_FALSE(array.field);
  CHECK(array.detail == "got an array");
}

TEST_CASE("wrong types, missing and unknown fields are refused naming the field", "[http]") {
  struct bad_body {
    const char* body;
    const char* field;
    const char* message;
  };
  for (const auto& [body, field, message] : {
         bad_body{R"({"value": 5})", "value", "expected a string"},
         bad_body{R"({"value": null})", "value", "expected a string"},
         bad_body{R"({"ttl": "1s"})", "value", "missing required field 'value'"},
         bad_body{R"({"value": "v", "tags": "a"})", "tags", "expected an array of strings"},
         bad_body{R"({"value": "v", "tags": ["a", 1]})", "tags", "expected an array of strings"},
         bad_body{R"({"value": "v", "tags": ["a", ""]})", "tags", "expected non-empty strings"},
         bad_body{R"({"value": "v", "ns": ""})", "ns", "expected a non-empty string"},
         bad_body{R"({"value": "v", "ns": 7})", "ns", "expected a string"},
         bad_body{R"({"value": "v", "colour": "red"})", "colour",
                  "unknown field 'colour'; allowed: value, ttl, tags, ns"},
         // Unknown fields come first: a misspelt "value" is named as such, not as a missing one.
         bad_body{R"({"vaule": "v", "ttl": 1, "zz": 2})", "vaule",
                  "unknown fields 'vaule', 'zz'; allowed: value, ttl, tags, ns"},
       }) {
    INFO(body);
    const auto error = put_error(body);
    CHECK(error.field == field);
    CHECK(error.message == message);
  }
  CHECK(put_error(R"({"value": "v", "tags": ["a", 1]})").detail == "tags[1]: got a number: 1");
  CHECK(put_error(R"({"value": "v", "tags": ["a", ""]})").detail == "tags[1] is ''");
}

TEST_CASE("the namespace comes from the body or from ?ns=, which must agree", "[http]") {
  CHECK(accepted(parse_put_request(R"({"value": "v"})", "q")).options.ns == "q");
  CHECK(accepted(parse_put_request(R"({"value": "v", "ns": "q"})", "q")).options.ns == "q");
  const auto differ = refused(parse_put_request(R"({"value": "v", "ns": "b"})", "a"));
  CHECK(differ.field == "ns");
  CHECK(differ.message == "the namespace is given twice and differs: ?ns=a and \"ns\": \"b\"");

  CHECK(accepted(parse_namespace(std::nullopt)) == "default");
  CHECK(accepted(parse_namespace("tenant")) == "tenant");
  CHECK(refused(parse_namespace("")).field == "ns");
}

TEST_CASE("an invalidation needs a tag", "[http]") {
  const auto& request = accepted(parse_invalidate_request(R"({"tag": "user:42", "ns": "t"})", std::nullopt));
  CHECK(request.tag == "user:42");
  CHECK(request.options.ns == "t");
  CHECK(accepted(parse_invalidate_request(R"({"tag": "x"})", std::nullopt)).options.ns == "default");
  CHECK(refused(parse_invalidate_request("{}", std::nullopt)).message == "missing required field 'tag'");
  CHECK(refused(parse_invalidate_request(R"({"tag": ""})", std::nullopt)).field == "tag");
  CHECK(refused(parse_invalidate_request(R"({"tag": "x", "value": "v"})", std::nullopt)).message ==
        "unknown field 'value'; allowed: tag, ns");
}

TEST_CASE("a stats window is minute, hour or day", "[http]") {
  CHECK(accepted(parse_window(std::nullopt)) == strata::stats_window::minute);
  CHECK(accepted(parse_window("hour")) == strata::stats_window::hour);
  CHECK(accepted(parse_window("day")) == strata::stats_window::day);
  const auto week = refused(parse_window("week"));
  CHECK(week.field == "window");
  CHECK(week.message == "expected minute, hour or day");
}

TEST_CASE("an error body always has error and field, and detail when there is one", "[http]") {
  CHECK(error_json({404, "no route", std::nullopt, ""}) == R"({"error":"no route","field":null})");
  CHECK(error_json({400, "bad \"ttl\"", "ttl", "got a number: 1.5"}) ==
        R"({"error":"bad \"ttl\"","field":"ttl","detail":"got a number: 1.5"})");
  // A key quoting invalid UTF-8 does not make the error itself fail.
  CHECK(error_json({404, "no entry for key '\xff'", std::nullopt, ""}) ==
        "{\"error\":\"no entry for key '\xEF\xBF\xBD'\",\"field\":null}");
}

TEST_CASE("runtime outcomes map to HTTP statuses", "[http]") {
  using strata::status;
  CHECK(http_status_of(status::ok) == 200);
  CHECK(http_status_of(status::not_found) == 404);
  CHECK(http_status_of(status::rejected) == 422);
  CHECK(http_status_of(status::unavailable) == 503);
  CHECK(http_status_of(status::timeout) == 504);
  CHECK(http_status_of(status::invalid) == 400);
  CHECK(http_status_of(status::internal) == 500);
  const auto timeout = runtime_error(status::timeout, "get of 'k'", nullptr);
  CHECK(timeout.http_status == 504);
  CHECK(timeout.message == "get of 'k': a layer, or its backend, did not answer in time");
  CHECK(timeout.detail == "timeout");
}

TEST_CASE("the bearer token must match exactly, the scheme in any case", "[http]") {
  CHECK(bearer_matches("Bearer s3cret", "s3cret"));
  CHECK(bearer_matches("bearer s3cret", "s3cret"));
  CHECK(bearer_matches("BEARER  s3cret", "s3cret"));
  for (const char* wrong : {"", "Bearer", "Bearer ", "Bearer s3cre", "Bearer s3crett", "Bearer S3cret",
                            "Basic s3cret", "s3cret", "Bearers3cret"}) {
    INFO(wrong);
    CHECK_FALSE(bearer_matches(wrong, "s3cret"));
  }
  CHECK_FALSE(bearer_matches("Bearer ", "")); // no token configured is handled before: never a match
}

TEST_CASE("an acknowledgement takes no body or an empty object and refuses anything else as a body is", "[http]") {
  for (const std::string none : {"", " \r\n\t", "{}", " { } "})
    accepted(parse_acknowledgement(none));

  const auto field = refused(parse_acknowledgement(R"({"note": "seen"})"));
  CHECK(field.http_status == 400);
  CHECK(field.message == "an acknowledgement takes no fields: send no body, or {}");
  CHECK(field.field == std::optional<std::string>("note"));

  const auto malformed = refused(parse_acknowledgement("{"));
  CHECK(malformed.http_status == 400);
  CHECK(malformed.message == "malformed JSON");
  CHECK_FALSE(malformed.field);

  const auto array = refused(parse_acknowledgement("[]"));
  CHECK(array.message == "expected a JSON object");
  CHECK(array.detail == "got an array");
}
