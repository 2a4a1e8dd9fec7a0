// The alert handler plugin "webhook": POSTs each event as JSON to a URL, retrying briefly.

#include "alert_body.hpp"
#include "endpoint.hpp"

#include <strata/header_token.hpp>
#include <strata/sdk.hpp>

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

using namespace std::chrono_literals;
using strata::alert_event;

/// What one POST came to.
struct attempt_result {
  bool delivered = false;
  bool worth_retrying = false;
  std::string problem; ///< when not delivered: the status and reason, or the transport error
};

/// A server error, a timeout or a throttle may pass; any other refusal will not.
bool retryable_status(int status) {
  return status >= 500 || status == 408 || status == 429;
}

/// httplib names its errors tersely ("Connection"); say what each means for a webhook, and name
/// the library's error only where there is nothing more to say.
std::string describe(httplib::Error error) {
  switch (error) {
  case httplib::Error::Connection: return "cannot connect";
  case httplib::Error::ConnectionTimeout: return "connecting timed out";
  case httplib::Error::Read: return "no answer within the timeout, or the connection closed";
  case httplib::Error::Write: return "sending the request failed";
  case httplib::Error::SSLConnection: return "TLS handshake failed";
  case httplib::Error::SSLLoadingCerts: return "cannot load the CA certificates";
  case httplib::Error::SSLServerVerification: return "the server's certificate is not trusted";
  default: return "request failed (" + httplib::to_string(error) + ')';
  }
}

/// Certificates do not change between attempts; a network or a receiver may.
bool retryable_error(httplib::Error error) {
  return error != httplib::Error::SSLLoadingCerts && error != httplib::Error::SSLServerVerification;
}

/// 100 ms, doubling, at most 1 s: long enough for a restarting receiver, short enough that ten
/// retries keep the dispatcher within seconds.
std::chrono::milliseconds backoff(std::int64_t attempt) {
  return std::min<std::chrono::milliseconds>(100ms * (1LL << std::min<std::int64_t>(attempt, 4)), 1s);
}

/// POSTs each event to `url`, retrying transient failures; counts and logs what it could not deliver.
class webhook_handler : public strata::alert_handler {
public:
  /// What the schema cannot say: the URL's form. (Whether ca_file can be read is checked at start.)
  static void check_config(const strata::plugin_config& config) {
    strata::config_refusals refused;
    refused.check([&] { strata::webhook::parse_endpoint(config.get_string("url")); });
    refused.check([&] { checked_token(config.get_string("bearer_token")); });
    refused.done();
  }

  explicit webhook_handler(const strata::alert_handler_context& ctx)
    : host_(ctx.host),
      endpoint_(strata::webhook::parse_endpoint(ctx.config.get_string("url"))),
      client_(endpoint_.origin()),
      retries_(ctx.config.get_int("retries")),
      errors_(host_.counter("strata_alert_handler_errors_total",
                            "Alert events an alert handler failed to deliver.")) {
    const auto timeout = ctx.config.get_duration("timeout");
    client_.set_connection_timeout(timeout);
    client_.set_read_timeout(timeout);
    client_.set_write_timeout(timeout);
    headers_.emplace("User-Agent", "strata-webhook/1.0.0");
    if (const auto& token = checked_token(ctx.config.get_string("bearer_token")); !token.empty())
      headers_.emplace("Authorization", "Bearer " + token);
    if (const auto& ca_file = ctx.config.get_string("ca_file"); !ca_file.empty()) {
      if (!std::ifstream(ca_file))
        throw std::invalid_argument("ca_file: '" + ca_file + "' cannot be read");
      client_.set_ca_cert_path(ca_file);
    }
  }

  void handle(const alert_event& event) override {
    try {
      deliver(event);
    } catch (const std::exception& e) {
      fail(event, e.what());
    } catch (...) {
      fail(event, "unknown exception");
    }
  }

private:
  /// A token goes into a header line: a line break in it would add a header of its own.
  static const std::string& checked_token(const std::string& token) {
    if (!strata::is_header_token(token))
      throw std::invalid_argument("bearer_token: expected visible ASCII characters, without spaces or control characters");
    return token;
  }

  /// Tries once, then `retries_` more times while the failure may be transient.
  void deliver(const alert_event& event) {
    const std::string body = strata::webhook::alert_body(event);
    for (std::int64_t attempt = 0;; ++attempt) {
      const auto result = post(body);
      if (result.delivered)
        return;
      if (!result.worth_retrying || attempt == retries_) {
        fail(event, result.problem + " (" + std::to_string(attempt + 1) + " attempt" + (attempt == 0 ? ")" : "s)"));
        return;
      }
      std::this_thread::sleep_for(backoff(attempt));
    }
  }

  /// One attempt.
  attempt_result post(const std::string& body) {
    const auto response = client_.Post(endpoint_.target.c_str(), headers_, body, "application/json");
    if (!response) {
      const auto error = response.error();
      return {false, retryable_error(error), describe(error)};
    }
    const int status = response->status;
    if (status >= 200 && status < 300)
      return {true, false, ""};
    return {false, retryable_status(status), "HTTP " + std::to_string(status) + ' ' + response->reason};
  }

  /// Logs the origin only: the URL's path may hold a secret.
  void fail(const alert_event& event, const std::string& problem) {
    errors_.inc();
    host_.log(strata::log_level::error, "alert " + event.rule + ' ' + to_string(event.transition) +
                                          " not delivered to " + endpoint_.origin() + ": " + problem);
  }

  strata::plugin_host host_;
  strata::webhook::endpoint endpoint_;
  httplib::Client client_;
  httplib::Headers headers_;
  std::int64_t retries_;
  strata::instruments::counter& errors_;
};

const strata_config_key webhook_schema[] = {
  {"url", STRATA_VALUE_STRING, nullptr, "where events are POSTed: http://host[:port]/path or https://...", 0, 0, 0, 0},
  {"timeout", STRATA_VALUE_DURATION, "2s", "bounds connecting, sending and waiting for the answer, each",
   1, 1, 1, 60000},
  {"retries", STRATA_VALUE_INT, "2", "further attempts after a failed one, 100 ms apart and doubling", 1, 0, 1, 10},
  {"bearer_token", STRATA_VALUE_STRING, "", "sent as 'Authorization: Bearer <token>'; empty: no header", 0, 0, 0, 0},
  {"ca_file", STRATA_VALUE_STRING, "", "https: PEM file of the certificate authorities to trust; empty: the system's",
   0, 0, 0, 0},
};

} // namespace

STRATA_ALERT_HANDLER_PLUGIN("webhook", "1.0.0", webhook_handler, webhook_schema)
