// Loads libstrata_prometheus.so as the runtime does, scrapes it over real HTTP and checks the
// exposition with promtool.

#include "support/plugin_library.hpp"
#include "support/recording_host.hpp"
#include "support/sample_telemetry.hpp"

#include <catch2/catch.hpp>
#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <string>

using namespace strata::testing;

namespace {

/// The port the exporter logged that it serves on ("serving /metrics on 127.0.0.1:41235").
int logged_port(const recording_host& host) {
  static const std::regex serving("^serving .* on .*:([0-9]+)$");
  for (const auto& line : host.logs()) {
    std::smatch m;
    if (std::regex_match(line.message, m, serving))
      return std::stoi(m[1]);
  }
  FAIL("no 'serving ... on ...' line logged");
  return 0;
}

std::string scrape(int port, const std::string& path = "/metrics") {
  httplib::Client client("127.0.0.1", port);
  auto response = client.Get(path.c_str());
  REQUIRE(response);
  REQUIRE(response->status == 200);
  return response->body;
}

/// A TCP socket listening on a free loopback port, so that the port is taken.
class taken_port {
public:
  taken_port() : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    REQUIRE(fd_ >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(listen(fd_, 1) == 0);
    socklen_t size = sizeof addr;
    REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &size) == 0);
    port_ = ntohs(addr.sin_port);
  }
  ~taken_port() { close(fd_); }
  int port() const { return port_; }

private:
  int fd_;
  int port_ = 0;
};

struct promtool_result {
  int status;
  std::string output;
};

/// `promtool check metrics` on `exposition`, as Prometheus' own linter sees it.
promtool_result promtool_check(const std::string& exposition) {
  const std::string promtool = STRATA_PROMTOOL;
  INFO("promtool at configure time: '" << promtool << "' (scripts/setup installs the package prometheus)");
  REQUIRE(access(promtool.c_str(), X_OK) == 0);
  char file[] = "/tmp/strata_exposition_XXXXXX";
  const int fd = mkstemp(file);
  REQUIRE(fd >= 0);
  close(fd);
  std::ofstream(file) << exposition;
  const std::string command = promtool + " check metrics < " + file + " 2>&1";
  FILE* pipe = popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr)
    output += buffer;
  const int status = pclose(pipe);
  std::remove(file);
  return {status, output};
}

} // namespace

TEST_CASE("the prometheus plugin describes itself", "[prometheus][exporter]") {
  const auto& d = load_plugin("prometheus");
  CHECK(d.abi_major == STRATA_ABI_MAJOR);
  CHECK(d.abi_minor == STRATA_ABI_MINOR);
  CHECK(std::string(d.name) == "prometheus");
  CHECK(d.kind == STRATA_PLUGIN_EXPORTER);
  std::map<std::string, const strata_config_key*> keys;
  for (std::size_t i = 0; i < d.config_schema_size; ++i)
    keys[d.config_schema[i].key] = &d.config_schema[i];
  REQUIRE(keys.size() == 2);
  CHECK(keys.at("address")->type == STRATA_VALUE_LISTEN_ADDRESS); // no other part may listen on its port
  CHECK(std::string(keys.at("address")->default_value) == "127.0.0.1:9464");
  CHECK(std::string(keys.at("path")->default_value) == "/metrics");
}

TEST_CASE("a scrape over HTTP serves the snapshot in a format promtool accepts", "[prometheus][exporter]") {
  const auto& d = load_plugin("prometheus");
  fixed_telemetry_source source;
  recording_host host{STRATA_PLUGIN_EXPORTER, "prom"};
  auto prom = create_exporter(d, "prom", {{"address", "127.0.0.1:0"}}, source, host.api());
  CHECK(prom->push_interval() == std::chrono::milliseconds{0});

  const std::string body = scrape(logged_port(host));
  INFO(body);
  CHECK(body.find("# TYPE strata_cache_requests_total counter") != std::string::npos);
  CHECK(body.find(R"(strata_cache_requests_total{cache_layer="hot",operation="get",status="ok"} 30)") != std::string::npos);
  CHECK(body.find(R"(strata_cache_requests_total{cache_layer="deep",operation="get",status="ok"} 5)") != std::string::npos);
  CHECK(body.find(R"(strata_cache_entries{cache_layer="hot"} 1234)") != std::string::npos);
  // Cumulative buckets: 6, 6+3, 6+3+1, and +Inf holding all 10.
  CHECK(body.find(R"(strata_cache_operation_duration_seconds_bucket{cache_layer="hot",operation="get",le="0.01"} 9)") !=
        std::string::npos);
  CHECK(body.find(R"(strata_cache_operation_duration_seconds_bucket{cache_layer="hot",operation="get",le="+Inf"} 10)") !=
        std::string::npos);
  CHECK(body.find(R"(strata_cache_operation_duration_seconds_count{cache_layer="hot",operation="get"} 10)") !=
        std::string::npos);

  const auto checked = promtool_check(body);
  INFO(checked.output);
  CHECK(checked.status == 0);
}

TEST_CASE("a changed snapshot is visible on the next scrape", "[prometheus][exporter]") {
  const auto& d = load_plugin("prometheus");
  fixed_telemetry_source source;
  recording_host host{STRATA_PLUGIN_EXPORTER, "prom"};
  auto prom = create_exporter(d, "prom", {{"address", "127.0.0.1:0"}, {"path", "/custom"}}, source, host.api());
  const int port = logged_port(host);
  CHECK(scrape(port, "/custom").find(R"(strata_cache_entries{cache_layer="hot"} 1234)") != std::string::npos);

  auto changed = sample_snapshot();
  changed.metrics.front().samples.front().value = 99; // strata_cache_entries{cache_layer="hot"}
  source.set(changed);
  const std::string body = scrape(port, "/custom");
  INFO(body);
  CHECK(body.find(R"(strata_cache_entries{cache_layer="hot"} 99)") != std::string::npos);
  CHECK(httplib::Client("127.0.0.1", port).Get("/metrics")->status == 404);
}

TEST_CASE("an address in use is refused with the address and the reason", "[prometheus][exporter]") {
  const auto& d = load_plugin("prometheus");
  fixed_telemetry_source source;
  taken_port taken;
  const std::string address = "127.0.0.1:" + std::to_string(taken.port());
  CHECK_THROWS_WITH(create_exporter(d, "prom", {{"address", address}}, source),
                    Catch::Contains(address) && Catch::Contains("in use"));
}

TEST_CASE("an IPv6 address is refused by the check and says why", "[prometheus][exporter]") {
  // civetweb as packaged has no IPv6: it refused such an address only at start, as "invalid port
  // spec", after `strata check-config` had passed it.
  const auto& d = load_plugin("prometheus");
  fixed_telemetry_source source;
  CHECK_THROWS_WITH(create_exporter(d, "prom", {{"address", "[::1]:0"}}, source),
                    Catch::Contains("address: IPv6 is not supported") && Catch::Contains("'[::1]:0'"));
}

TEST_CASE("a path without a leading slash is refused", "[prometheus][exporter]") {
  const auto& d = load_plugin("prometheus");
  fixed_telemetry_source source;
  CHECK_THROWS_WITH(create_exporter(d, "prom", {{"address", "127.0.0.1:0"}, {"path", "metrics"}}, source),
                    Catch::Contains("path: must start with '/'"));
}
