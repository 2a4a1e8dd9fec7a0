// Loads libstrata_webhook.so as the runtime does and posts to a real HTTP server on 127.0.0.1.

#include "receiver.hpp"
#include "self_signed.hpp"
#include "support/plugin_library.hpp"
#include "support/recording_host.hpp"
#include "support/scratch_dir.hpp"

#include <strata/sdk.hpp>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <string>

using namespace strata;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;

namespace {

const strata_plugin_descriptor& webhook_plugin() {
  static const auto& d = testing::load_plugin("webhook");
  return d;
}

alert_event sample_event() {
  alert_event e;
  e.rule = "low_hit_rate";
  e.transition = alert_transition::firing;
  e.severity = alert_severity::warning;
  e.subject = "hot";
  e.value_name = "hit_rate";
  e.value = 0.31;
  e.comparison = "<";
  e.threshold = 0.5;
  e.at = std::chrono::system_clock::time_point(1767323045678ms); // 2026-01-02T03:04:05.678Z
  e.summary = "hit_rate of hot is 0.31 < 0.5 for 1m";
  return e;
}

/// A webhook handler named "hook" with `values`, reporting into `host`.
struct fixture {
  explicit fixture(const std::map<std::string, std::string>& values)
    : handler(testing::create_instance<alert_handler>(webhook_plugin(), "hook", values, host.api())) {}

  double errors() const { return host.value("strata_alert_handler_errors_total").value_or(-1); }

  testing::recording_host host{STRATA_PLUGIN_ALERT_HANDLER, "hook"};
  testing::plugin_ptr<alert_handler> handler;
};

std::string create_error(const std::string& url) {
  try {
    testing::create_instance<alert_handler>(webhook_plugin(), "hook", {{"url", url}}, nullptr);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

/// An https receiver with a self-signed certificate for 127.0.0.1.
struct https_receiver {
  strata::test::scratch_dir directory{"strata-webhook"};
  testing::self_signed_identity identity = testing::make_self_signed(directory.path);
  testing::receiver server{{200}, std::make_unique<httplib::SSLServer>(identity.certificate_file.c_str(),
                                                                         identity.key_file.c_str())};
};

} // namespace

TEST_CASE("the webhook plugin describes itself", "[alerting][webhook]") {
  const auto& d = webhook_plugin();
  CHECK(d.abi_major == STRATA_ABI_MAJOR);
  CHECK(d.abi_minor == STRATA_ABI_MINOR);
  CHECK(std::string(d.name) == "webhook");
  CHECK(d.kind == STRATA_PLUGIN_ALERT_HANDLER);
  std::map<std::string, const strata_config_key*> keys;
  for (std::size_t i = 0; i < d.config_schema_size; ++i)
    keys[d.config_schema[i].key] = &d.config_schema[i];
  REQUIRE(keys.size() == 5);
  CHECK(keys.at("url")->default_value == nullptr); // required
  CHECK(keys.at("timeout")->type == STRATA_VALUE_DURATION);
  CHECK(std::string(keys.at("timeout")->default_value) == "2s");
  CHECK(keys.at("retries")->type == STRATA_VALUE_INT);
  CHECK(std::string(keys.at("retries")->default_value) == "2");
  CHECK((keys.at("retries")->has_min && keys.at("retries")->min == 0));
  CHECK((keys.at("retries")->has_max && keys.at("retries")->max == 10));
  CHECK(std::string(keys.at("bearer_token")->default_value).empty());
  CHECK(std::string(keys.at("ca_file")->default_value).empty());
}

TEST_CASE("an event is posted as a JSON object with every field", "[alerting][webhook]") {
  testing::receiver server;
  fixture f({{"url", server.url("http", "/alerts?team=cache#ignored")}});
  f.handler->handle(sample_event());

  const auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].path == "/alerts?team=cache");
  CHECK(requests[0].content_type == "application/json");
  CHECK_FALSE(requests[0].has_authorization);
  const auto body = nlohmann::json::parse(requests[0].body);
  CHECK(body.size() == 10);
  CHECK(body.at("rule") == "low_hit_rate");
  CHECK(body.at("transition") == "firing");
  CHECK(body.at("severity") == "warning");
  CHECK(body.at("subject") == "hot");
  CHECK(body.at("value_name") == "hit_rate");
  CHECK(body.at("value").get<double>() == Approx(0.31));
  CHECK(body.at("comparison") == "<");
  CHECK(body.at("threshold").get<double>() == Approx(0.5));
  CHECK(body.at("at") == "2026-01-02T03:04:05.678Z");
  CHECK(body.at("summary") == "hit_rate of hot is 0.31 < 0.5 for 1m");
  CHECK(f.errors() == 0);
  CHECK(f.host.logs().empty());
}

TEST_CASE("the bearer token is sent as an Authorization header", "[alerting][webhook]") {
  testing::receiver server;
  fixture f({{"url", server.url()}, {"bearer_token", "s3cret"}});
  auto resolved = sample_event();
  resolved.transition = alert_transition::resolved;
  f.handler->handle(resolved);
  const auto requests = server.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].authorization == "Bearer s3cret");
  CHECK(nlohmann::json::parse(requests[0].body).at("transition") == "resolved");
}

TEST_CASE("a server error is retried and a later success counts no error", "[alerting][webhook]") {
  testing::receiver server({500, 200});
  fixture f({{"url", server.url()}});
  f.handler->handle(sample_event());
  const auto requests = server.requests();
  REQUIRE(requests.size() == 2);
  CHECK(requests[1].body == requests[0].body);
  CHECK(f.errors() == 0);
  CHECK(f.host.logs().empty());
}

TEST_CASE("a server error after every retry is logged with its status and counted", "[alerting][webhook]") {
  testing::receiver server({503});
  fixture f({{"url", server.url("http", "/hooks/SECRET")}, {"retries", "1"}});
  f.handler->handle(sample_event());
  CHECK(server.requests().size() == 2);
  CHECK(f.errors() == 1);
  const auto logs = f.host.logs();
  REQUIRE(logs.size() == 1);
  CHECK(logs[0].level == STRATA_LOG_ERROR);
  CHECK(logs[0].message == "alert low_hit_rate firing not delivered to http://127.0.0.1:" +
                             std::to_string(server.port()) + ": HTTP 503 Service Unavailable (2 attempts)");
}

TEST_CASE("a refusal that retrying cannot change is not retried", "[alerting][webhook]") {
  testing::receiver server({404});
  fixture f({{"url", server.url()}});
  f.handler->handle(sample_event());
  CHECK(server.requests().size() == 1);
  CHECK(f.errors() == 1);
  REQUIRE(f.host.logs().size() == 1);
  CHECK_THAT(f.host.logs()[0].message, Contains("HTTP 404 Not Found (1 attempt)"));
}

TEST_CASE("a server that never answers costs at most timeout x attempts plus backoff", "[alerting][webhook]") {
  testing::receiver server;
  server.hang();
  fixture f({{"url", server.url()}, {"timeout", "300ms"}, {"retries", "1"}});
  const auto start = std::chrono::steady_clock::now();
  f.handler->handle(sample_event());
  const auto elapsed = std::chrono::steady_clock::now() - start;
  // Two attempts of 300 ms and one backoff of 100 ms; slack for a loaded machine.
  CHECK(elapsed >= 600ms);
  CHECK(elapsed < 600ms + 100ms + 700ms);
  CHECK(server.requests().size() == 2);
  CHECK(f.errors() == 1);
  REQUIRE(f.host.logs().size() == 1);
  CHECK_THAT(f.host.logs()[0].message, Contains("no answer within the timeout"));
}

TEST_CASE("a receiver that is not there is an error, not an exception", "[alerting][webhook]") {
  int port = 0;
  {
    testing::receiver gone;
    port = gone.port();
  }
  fixture f({{"url", "http://127.0.0.1:" + std::to_string(port) + "/alerts"}, {"retries", "0"}});
  f.handler->handle(sample_event());
  CHECK(f.errors() == 1);
  REQUIRE(f.host.logs().size() == 1);
  CHECK_THAT(f.host.logs()[0].message, Contains("cannot connect (1 attempt)"));
}

TEST_CASE("a bad URL is refused when the handler is created, naming it", "[alerting][webhook]") {
  // Quoted with the path and query hidden: a chat service's webhook path is itself the secret.
  CHECK(create_error("localhost:9000/alerts") ==
        "url: 'localhost:9000/(path hidden)' is not an absolute URL: expected http://host[:port]/path or https://...");
  CHECK(create_error("ftp://example.com/x") ==
        "url: 'ftp://example.com/(path hidden)' has scheme 'ftp': only http and https are supported");
  CHECK(create_error("http:///alerts") == "url: 'http:///(path hidden)' has no host");
  CHECK(create_error("http://example.com:70000/hooks/T0/B1/SECRET?k=q") ==
        "url: 'http://example.com:70000/(path hidden)' has a port out of 1..65535: 70000");
  CHECK(create_error("http://u:pw@example.com/hooks/SECRET") ==
        "url: 'http://(hidden)@example.com/(path hidden)' carries credentials: put a token in bearer_token instead");
  CHECK(create_error("alice:s3cret@example.com/hook") == // no scheme: refused for that, credentials hidden all the same
        "url: '(hidden)@example.com/(path hidden)' is not an absolute URL: expected http://host[:port]/path or https://...");
  CHECK(create_error("http://ex$mple.com?token=SECRET") ==
        "url: 'http://ex$mple.com/(path hidden)' has an invalid host 'ex$mple.com'");
  CHECK(create_error("http://exa mple.com/") == "url: 'http://exa mple.com/' contains a space or a control character");
  CHECK(create_error("http://example.com:99999/") == "url: 'http://example.com:99999/' has a port out of 1..65535: 99999");
  CHECK(create_error("http://example.com:80a/") == "url: 'http://example.com:80a/' has no valid port: '80a'");
  CHECK(create_error("http://user:pw@example.com/") ==
        "url: 'http://(hidden)@example.com/' carries credentials: put a token in bearer_token instead");
  CHECK(create_error("http://ex$mple.com/") == "url: 'http://ex$mple.com/' has an invalid host 'ex$mple.com'");
  CHECK(create_error("HTTP://Example.COM") == "");
  CHECK(create_error("http://[::1]:8080/a") == "");
}

TEST_CASE("a bearer_token that would break its header line is refused, not repeated", "[alerting][webhook]") {
  for (const std::string token : {"abc\r\nX-Injected: yes", "with space", "tab\there"}) {
    try {
      testing::create_instance<alert_handler>(webhook_plugin(), "hook",
                                              {{"url", "http://127.0.0.1:9/x"}, {"bearer_token", token}}, nullptr);
      FAIL("accepted bearer_token '" << token << "'");
    } catch (const std::exception& e) {
      CHECK(std::string(e.what()) ==
            "bearer_token: expected visible ASCII characters, without spaces or control characters");
    }
  }
}

TEST_CASE("https: a receiver whose certificate ca_file vouches for gets the event", "[alerting][webhook][https]") {
  https_receiver tls;
  fixture f({{"url", tls.server.url("https")}, {"ca_file", tls.identity.certificate_file}});
  f.handler->handle(sample_event());
  REQUIRE(tls.server.requests().size() == 1);
  CHECK(nlohmann::json::parse(tls.server.requests()[0].body).at("rule") == "low_hit_rate");
  CHECK(f.errors() == 0);
  CHECK(f.host.logs().empty());
}

TEST_CASE("https: a certificate the system's CAs do not vouch for is refused, without retrying",
          "[alerting][webhook][https]") {
  https_receiver tls;
  fixture f({{"url", tls.server.url("https")}});
  f.handler->handle(sample_event());
  CHECK(tls.server.requests().empty()); // the handshake failed: no request reached the server
  CHECK(f.errors() == 1);
  REQUIRE(f.host.logs().size() == 1);
  CHECK_THAT(f.host.logs()[0].message, Contains("the server's certificate is not trusted"));
  CHECK_THAT(f.host.logs()[0].message, Contains("(1 attempt)"));
}

TEST_CASE("a ca_file that cannot be read is refused when the handler is created", "[alerting][webhook][https]") {
  CHECK_THROWS_WITH(testing::create_instance<alert_handler>(
                      webhook_plugin(), "hook", {{"url", "https://127.0.0.1/"}, {"ca_file", "/nonexistent/ca.pem"}},
                      nullptr),
                    "ca_file: '/nonexistent/ca.pem' cannot be read");
}
