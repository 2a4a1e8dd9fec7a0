// The built-in telemetry plugins as a deployment uses them: named in YAML, loaded by the runtime
// with dlopen, fed by the runtime's own metrics. Prometheus is scraped over HTTP and checked by
// promtool, StatsD is received on a real UDP socket, the webhook posts to a real HTTP listener,
// and the json exporter's file reads back as a snapshot.

#include "runtime_fixture.hpp"

#include "snapshot_json.hpp"

#include <strata/runtime.hpp>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

using namespace strata;
using strata::testing::eventually;
using strata::testing::start_yaml;

namespace {

/// A UDP socket on 127.0.0.1 with a port of the kernel's choosing.
struct udp_receiver {
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  int port = 0;
  udp_receiver() {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
    socklen_t length = sizeof address;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    port = ntohs(address.sin_port);
    timeval timeout{2, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  }
  ~udp_receiver() { ::close(fd); }
  /// Every line of every datagram that arrives within `quiet` of the previous one.
  std::vector<std::string> lines() {
    std::vector<std::string> out;
    char buffer[65536];
    for (;;) {
      const auto n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0)
        return out;
      std::istringstream in(std::string(buffer, static_cast<std::size_t>(n)));
      for (std::string line; std::getline(in, line);)
        out.push_back(line);
      timeval quiet{0, 200000};
      ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &quiet, sizeof quiet);
    }
  }
};

/// A TCP port free at the time of asking (the kernel's choice, released at once).
int free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

bool contains(const std::vector<std::string>& lines, const std::string& line) {
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

} // namespace

TEST_CASE("the prometheus exporter serves the runtime's metrics, and promtool accepts them", "[plugins][prometheus]") {
  const int port = free_tcp_port();
  auto rt = start_yaml(R"(
layers:
  - {name: hot, plugin: predictive}
exporters:
  - {name: scrape, plugin: prometheus, config: {address: "127.0.0.1:)" + std::to_string(port) + R"("}}
)");
  REQUIRE(rt->put("k", "v") == status::ok);
  REQUIRE(rt->get("k").code == status::ok);
  httplib::Client client("127.0.0.1", port);
  const auto response = client.Get("/metrics");
  REQUIRE(response);
  CHECK(response->status == 200);
  const auto& body = response->body;
  CHECK(body.find(R"(strata_cache_requests_total{cache_layer="hot",operation="get",status="hit"} 1)") !=
        std::string::npos);
  CHECK(body.find(R"(strata_cache_hits_total{cache_layer="hot"} 1)") != std::string::npos);
  CHECK(body.find("strata_health_status 0") != std::string::npos);
  const auto [rc, output] = strata::testing::promtool_check_metrics(body, STRATA_PROMTOOL);
  INFO(output);
  CHECK(rc == 0);
}

TEST_CASE("a second deployment on the same address is refused, naming it", "[plugins][prometheus]") {
  const int port = free_tcp_port();
  const std::string yaml = "layers:\n  - {name: hot, plugin: predictive}\nexporters:\n"
                           "  - {name: scrape, plugin: prometheus, config: {address: \"127.0.0.1:" +
                           std::to_string(port) + "\"}}\n";
  auto first = start_yaml(yaml);
  auto second = runtime::from_config(*parse_config(yaml, "again.yaml").effective);
  REQUIRE_FALSE(second);
  CHECK_THAT(second.err().message, Catch::StartsWith("again.yaml:4:") &&
                                     Catch::Contains("exporters[0].config.address: exporter 'scrape'") &&
                                     Catch::Contains("127.0.0.1:" + std::to_string(port)));
}

TEST_CASE("a StatsD host that does not resolve is refused at its key", "[plugins][statsd]") {
  CHECK_THAT(strata::testing::start_error("layers:\n  - {name: hot, plugin: predictive}\nexporters:\n"
                                          "  - {name: push, plugin: statsd, config: {host: no-such-host.invalid}}\n"),
             Catch::StartsWith("inline.yaml:4:") && Catch::Contains("exporters[0].config.host: exporter 'push'") &&
               Catch::Contains("cannot resolve StatsD host 'no-such-host.invalid'"));
}

TEST_CASE("the statsd exporter sends the runtime's counters and gauges over UDP", "[plugins][statsd]") {
  udp_receiver receiver;
  auto rt = start_yaml(R"(
layers:
  - {name: hot, plugin: predictive}
exporters:
  - {name: push, plugin: statsd, config: {port: )" + std::to_string(receiver.port) + R"(, tags: dogstatsd, interval: 1h}}
)");
  REQUIRE(rt->put("k", "v") == status::ok);
  REQUIRE(rt->get("k").code == status::ok);
  rt->export_now();
  const auto lines = receiver.lines();
  INFO(lines.size() << " lines");
  CHECK(contains(lines, "strata.cache_requests:1|c|#cache_layer:hot,operation:get,status:hit"));
  CHECK(contains(lines, "strata.cache_hits:1|c|#cache_layer:hot"));
  CHECK(contains(lines, "strata.health_status:0|g"));
}

TEST_CASE("the json exporter on standard output, its default, is refused beside a log on stdout", "[plugins][json]") {
  // Given no path, it was let through: the log's lines broke its JSON stream.
  const auto error = strata::testing::start_error(R"(
layers:
  - {name: hot, plugin: predictive}
logging: {output: stdout}
exporters:
  - {name: snapshots, plugin: json}
)");
  CHECK_THAT(error, Catch::Contains("exporters[0].config.path: writes to standard output, as logging.output does"));
}

TEST_CASE("the json exporter's file reads back as the runtime's snapshot", "[plugins][json]") {
  const auto path = std::filesystem::temp_directory_path() / ("strata_snapshot_" + std::to_string(::getpid()) + ".json");
  {
    auto rt = start_yaml(R"(
runtime: {stats_interval: 20ms}
layers:
  - {name: hot, plugin: predictive}
exporters:
  - {name: file, plugin: json, config: {path: ")" + path.string() + R"(", interval: 1h}}
)");
    REQUIRE(rt->put("k", "v") == status::ok);
    for (int i = 0; i < 3; ++i)
      rt->get("k");
    rt->get("absent");
    REQUIRE(eventually([&] { return rt->stats().layers.at(0).gets == 4; }));
  } // the final publish at shutdown writes the file
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  auto snapshot = telemetry::snapshot_from_json(text.str());
  std::filesystem::remove(path);
  REQUIRE(snapshot);
  REQUIRE(snapshot->stats.layers.size() == 1);
  CHECK(snapshot->stats.layers[0].name == "hot");
  CHECK(snapshot->stats.layers[0].hit_rate == Approx(0.75));
  CHECK(snapshot->health.layers.at(0).name == "hot");
}

TEST_CASE("the webhook handler posts the runtime's alert events", "[plugins][webhook]") {
  httplib::Server server;
  std::mutex mutex;
  std::vector<nlohmann::json> received;
  server.Post("/alerts", [&](const httplib::Request& request, httplib::Response& response) {
    std::lock_guard<std::mutex> guard(mutex);
    received.push_back(nlohmann::json::parse(request.body));
    response.status = 204;
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { server.listen_after_bind(); });
  {
    auto rt = start_yaml(R"(
runtime: {stats_interval: 20ms}
layers:
  - {name: hot, plugin: predictive}
alerts:
  rules:
    - {name: cold_cache, value: hit_rate, layer: hot, comparison: "<", threshold: 0.5, severity: critical}
  handlers:
    - {name: ops, plugin: webhook, config: {url: "http://127.0.0.1:)" + std::to_string(port) + R"(/alerts"}}
)");
    rt->get("absent");
    CHECK(eventually([&] {
      std::lock_guard<std::mutex> guard(mutex);
      return !received.empty();
    }));
  }
  server.stop();
  serving.join();
  std::lock_guard<std::mutex> guard(mutex);
  REQUIRE(!received.empty());
  CHECK(received[0]["rule"] == "cold_cache");
  CHECK(received[0]["transition"] == "firing");
  CHECK(received[0]["severity"] == "critical");
  CHECK(received[0]["subject"] == "hot");
  CHECK(received[0]["value"] == 0.0);
}
