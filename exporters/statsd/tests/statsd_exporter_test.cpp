// Loads libstrata_statsd.so as the runtime does, publishes snapshots and reads what arrives on a
// real UDP socket, line by line.

#include "support/plugin_library.hpp"
#include "support/recording_host.hpp"
#include "support/sample_telemetry.hpp"

#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <sstream>
#include <string>
#include <regex>
#include <thread>
#include <vector>

using namespace strata::testing;
using strata::metric_family;
using strata::metric_type;

namespace {

/// One StatsD line: name:value|type[|@rate][|#key:value,...]
struct statsd_line {
  std::string text;
  std::string name;
  double value = 0;
  std::string type;
  double rate = 1;
  bool has_rate = false;
  std::map<std::string, std::string> tags;
};

statsd_line parse(const std::string& text) {
  INFO("line: " << text);
  statsd_line l;
  l.text = text;
  const auto colon = text.find(':');
  REQUIRE(colon != std::string::npos);
  REQUIRE(colon > 0);
  l.name = text.substr(0, colon);
  std::vector<std::string> fields;
  std::stringstream rest(text.substr(colon + 1));
  for (std::string field; std::getline(rest, field, '|');)
    fields.push_back(field);
  REQUIRE(fields.size() >= 2);
  std::size_t used = 0;
  l.value = std::stod(fields[0], &used);
  REQUIRE(used == fields[0].size());
  l.type = fields[1];
  REQUIRE((l.type == "c" || l.type == "g" || l.type == "ms"));
  for (std::size_t i = 2; i < fields.size(); ++i) {
    REQUIRE(fields[i].size() > 1);
    if (fields[i][0] == '@') {
      l.rate = std::stod(fields[i].substr(1), &used);
      REQUIRE(used == fields[i].size() - 1);
      REQUIRE(l.rate > 0);
      REQUIRE(l.rate <= 1);
      l.has_rate = true;
    } else {
      REQUIRE(fields[i][0] == '#');
      std::stringstream tags(fields[i].substr(1));
      for (std::string tag; std::getline(tags, tag, ',');) {
        const auto sep = tag.find(':');
        REQUIRE(sep != std::string::npos);
        l.tags[tag.substr(0, sep)] = tag.substr(sep + 1);
      }
    }
  }
  return l;
}

/// A UDP socket on a free loopback port: the StatsD server of the tests.
class udp_receiver {
public:
  /// On `port`, or on one the system picks.
  explicit udp_receiver(std::uint16_t port = 0) : fd_(socket(AF_INET, SOCK_DGRAM, 0)) {
    REQUIRE(fd_ >= 0);
    const int buffer = 4 << 20; // room for every datagram of the larger tests
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    REQUIRE(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t size = sizeof addr;
    REQUIRE(getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &size) == 0);
    port_ = ntohs(addr.sin_port);
  }
  ~udp_receiver() { close(fd_); }
  std::string port() const { return std::to_string(port_); }

  /// What arrived: waits up to a second for the first datagram, then until none comes for 100 ms.
  std::vector<std::string> datagrams() {
    std::vector<std::string> out;
    pollfd p{fd_, POLLIN, 0};
    for (int wait_ms = 1000; poll(&p, 1, wait_ms) == 1; wait_ms = 100) {
      char buffer[65536];
      const auto n = recv(fd_, buffer, sizeof buffer, 0);
      REQUIRE(n >= 0);
      out.emplace_back(buffer, static_cast<std::size_t>(n));
    }
    return out;
  }

  /// Every line that arrived, parsed.
  std::vector<statsd_line> lines() {
    std::vector<statsd_line> out;
    for (const auto& datagram : datagrams()) {
      std::stringstream in(datagram);
      for (std::string line; std::getline(in, line);)
        out.push_back(parse(line));
    }
    return out;
  }

private:
  int fd_;
  int port_ = 0;
};

/// The lines named `name`.
std::vector<statsd_line> named(const std::vector<statsd_line>& lines, const std::string& name) {
  std::vector<statsd_line> out;
  std::copy_if(lines.begin(), lines.end(), std::back_inserter(out), [&](const auto& l) { return l.name == name; });
  return out;
}

/// Observations per timing value: each line stands for 1/rate of them.
std::map<double, double> timings(const std::vector<statsd_line>& lines) {
  std::map<double, double> out;
  for (const auto& l : lines) {
    CHECK(l.type == "ms");
    out[l.value] += 1 / l.rate;
  }
  return out;
}

metric_family& family(strata::telemetry_snapshot& s, const std::string& name) {
  auto it = std::find_if(s.metrics.begin(), s.metrics.end(), [&](const auto& f) { return f.name == name; });
  REQUIRE(it != s.metrics.end());
  return *it;
}

/// A snapshot with one gauge family of `count` samples, each with a distinct label value.
strata::telemetry_snapshot many_gauges(std::size_t count) {
  strata::telemetry_snapshot s;
  metric_family f{"strata_cache_entries", "Entries held.", metric_type::gauge, {}, {}};
  for (std::size_t i = 0; i < count; ++i)
    f.samples.push_back({{{"cache_layer", "layer" + std::to_string(i)}}, static_cast<double>(i), {}, 0, 0});
  s.metrics.push_back(f);
  return s;
}

/// An exporter instance sending to `receiver`, with `overrides` on top of the defaults.
plugin_ptr<strata::exporter> statsd_to(udp_receiver& receiver, const fixed_telemetry_source& source,
                                       std::map<std::string, std::string> overrides = {}) {
  overrides.emplace("port", receiver.port());
  return create_exporter(load_plugin("statsd"), "statsd", overrides, source);
}

const std::string hot_ok = "strata.cache_requests.hot.get.ok";
const std::string hot_not_found = "strata.cache_requests.hot.get.not_found";
const std::string deep_ok = "strata.cache_requests.deep.get.ok";
const std::string hot_entries = "strata.cache_entries.hot";
const std::string hot_durations = "strata.cache_operation_duration.hot.get";

} // namespace

TEST_CASE("the statsd plugin describes itself", "[statsd][exporter]") {
  const auto& d = load_plugin("statsd");
  CHECK(d.abi_major == STRATA_ABI_MAJOR);
  CHECK(std::string(d.name) == "statsd");
  CHECK(d.kind == STRATA_PLUGIN_EXPORTER);
  std::map<std::string, const strata_config_key*> keys;
  for (std::size_t i = 0; i < d.config_schema_size; ++i)
    keys[d.config_schema[i].key] = &d.config_schema[i];
  REQUIRE(keys.size() == 7);
  CHECK(std::string(keys.at("host")->default_value) == "127.0.0.1");
  CHECK(keys.at("port")->type == STRATA_VALUE_INT);
  CHECK(keys.at("port")->max == 65535);
  CHECK(std::string(keys.at("prefix")->default_value) == "strata");
  CHECK(keys.at("interval")->type == STRATA_VALUE_DURATION);
  CHECK(keys.at("interval")->min == 10);
  CHECK(keys.at("sample_rate")->type == STRATA_VALUE_DOUBLE);
  CHECK(std::string(keys.at("tags")->default_value) == "none");
  CHECK(keys.at("max_packet_size")->type == STRATA_VALUE_SIZE);
  CHECK(std::string(keys.at("max_packet_size")->default_value) == "1432");

  udp_receiver receiver;
  fixed_telemetry_source source;
  CHECK(statsd_to(receiver, source)->push_interval() == std::chrono::seconds(10));
  CHECK(statsd_to(receiver, source, {{"interval", "250ms"}})->push_interval() == std::chrono::milliseconds(250));
}

TEST_CASE("counters are sent as their increase since the previous publish", "[statsd][exporter]") {
  udp_receiver receiver;
  fixed_telemetry_source source;
  auto exporter = statsd_to(receiver, source);

  exporter->publish(source.snapshot());
  auto first = receiver.lines();
  REQUIRE(named(first, hot_ok).size() == 1);
  CHECK(named(first, hot_ok)[0].text == hot_ok + ":30|c"); // the first publish: all of it; no _total
  CHECK(named(first, hot_not_found)[0].value == 10);
  CHECK(named(first, deep_ok)[0].value == 5);

  auto changed = sample_snapshot();
  family(changed, "strata_cache_requests_total").samples[0].value = 42; // hot get ok: 30 → 42
  source.set(changed);
  exporter->publish(source.snapshot());
  auto second = receiver.lines();
  REQUIRE(named(second, hot_ok).size() == 1);
  CHECK(named(second, hot_ok)[0].text == hot_ok + ":12|c");
  CHECK(named(second, hot_not_found).empty()); // unchanged: nothing to add
  CHECK(named(second, deep_ok).empty());

  exporter->publish(source.snapshot());
  CHECK(named(receiver.lines(), hot_ok).empty());
}

TEST_CASE("gauges are sent with their value on every publish", "[statsd][exporter]") {
  udp_receiver receiver;
  fixed_telemetry_source source;
  auto exporter = statsd_to(receiver, source);
  for (int i = 0; i < 2; ++i) {
    exporter->publish(source.snapshot());
    const auto entries = named(receiver.lines(), hot_entries);
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].text == hot_entries + ":1234|g");
  }

  SECTION("a negative gauge is set to zero first, since a signed value is an increment in StatsD") {
    auto negative = sample_snapshot();
    family(negative, "strata_cache_entries").samples[0].value = -5;
    exporter->publish(negative);
    const auto datagrams = receiver.datagrams();
    const bool together = std::any_of(datagrams.begin(), datagrams.end(), [](const std::string& d) {
      return d.find(hot_entries + ":0|g\n" + hot_entries + ":-5|g") != std::string::npos;
    });
    CHECK(together);
  }
}

TEST_CASE("histogram buckets that grew are sent as timings standing for their growth", "[statsd][exporter]") {
  udp_receiver receiver;
  fixed_telemetry_source source; // buckets 6, 3, 1, 0 over bounds 1 ms, 10 ms, 100 ms, +Inf
  auto exporter = statsd_to(receiver, source);

  exporter->publish(source.snapshot());
  const auto first = named(receiver.lines(), hot_durations); // no _seconds: the values are in ms
  CHECK(timings(first) == std::map<double, double>{{1, 6}, {10, 3}, {100, 1}});
  for (const auto& l : first)
    CHECK(l.has_rate == (l.value != 100)); // one observation needs no rate

  auto changed = sample_snapshot();
  auto& sample = family(changed, "strata_cache_operation_duration_seconds").samples[0];
  sample.buckets = {6, 5, 1, 2}; // 2 more under 10 ms, 2 more above 100 ms
  sample.count = 14;
  source.set(changed);
  exporter->publish(source.snapshot());
  const auto second = named(receiver.lines(), hot_durations);
  REQUIRE(second.size() == 2);
  // +Inf is sent with the largest finite bound.
  CHECK(timings(second) == std::map<double, double>{{10, 2}, {100, 2}});
  for (const auto& l : second)
    CHECK_THAT(l.text, Catch::EndsWith("|ms|@0.5"));
}

TEST_CASE("labels are folded into the name, or sent as dogstatsd tags", "[statsd][exporter]") {
  udp_receiver receiver;
  fixed_telemetry_source source;

  SECTION("folded") {
    statsd_to(receiver, source)->publish(source.snapshot());
    const auto lines = receiver.lines();
    CHECK(named(lines, hot_ok).size() == 1);
    for (const auto& l : lines)
      CHECK(l.tags.empty());
  }
  SECTION("dogstatsd, without a prefix") {
    statsd_to(receiver, source, {{"tags", "dogstatsd"}, {"prefix", ""}})->publish(source.snapshot());
    const auto lines = receiver.lines();
    const auto requests = named(lines, "cache_requests");
    REQUIRE(requests.size() == 3);
    CHECK(std::any_of(requests.begin(), requests.end(), [](const statsd_line& l) {
      return l.text == "cache_requests:30|c|#cache_layer:hot,operation:get,status:ok";
    }));
    const auto entries = named(lines, "cache_entries");
    REQUIRE(entries.size() == 1);
    CHECK(entries[0].tags == std::map<std::string, std::string>{{"cache_layer", "hot"}});
    const auto durations = named(lines, "cache_operation_duration");
    REQUIRE(durations.size() == 3);
    CHECK(durations[0].tags.at("operation") == "get");
  }
}

TEST_CASE("names, labels and tags are made safe for the protocol", "[statsd][exporter]") {
  udp_receiver receiver;
  fixed_telemetry_source source;
  strata::telemetry_snapshot odd;
  odd.metrics.push_back(metric_family{"odd", "", metric_type::gauge, {}, {}});
  odd.metrics[0].samples.push_back({{{"cache_layer", "a:b|c@d#e,f\ng h.i"}}, 1, {}, 0, 0});

  SECTION("folded: a label value stays one segment of the name") {
    statsd_to(receiver, source, {{"prefix", "my app"}})->publish(odd);
    const auto lines = receiver.lines();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].text == "my_app.odd.a_b_c_d_e_f_g_h_i:1|g");
  }
  SECTION("dogstatsd") {
    statsd_to(receiver, source, {{"tags", "dogstatsd"}})->publish(odd);
    const auto lines = receiver.lines();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].text == "strata.odd:1|g|#cache_layer:a_b_c_d_e_f_g_h.i");
  }
}

TEST_CASE("datagrams respect max_packet_size and never split a line", "[statsd][exporter]") {
  udp_receiver receiver;
  fixed_telemetry_source source;
  // Most lines are 42 bytes: two with their newline make 85, a third would make 128.
  const std::size_t max = 127;
  statsd_to(receiver, source, {{"max_packet_size", std::to_string(max)}})->publish(many_gauges(300));
  const auto datagrams = receiver.datagrams();
  std::size_t lines = 0;
  for (std::size_t i = 0; i < datagrams.size(); ++i) {
    INFO(datagrams[i]);
    CHECK(datagrams[i].size() <= max);
    std::stringstream in(datagrams[i]);
    for (std::string line; std::getline(in, line); ++lines)
      CHECK(parse(line).name.rfind("strata.cache_entries.layer", 0) == 0);
    // Packed as full as the limit allows: the next datagram's first line did not fit in this one.
    if (i + 1 < datagrams.size())
      CHECK(datagrams[i].size() + 1 + datagrams[i + 1].substr(0, datagrams[i + 1].find('\n')).size() > max);
  }
  CHECK(lines == 300);
}

TEST_CASE("a sample rate below 1 sends a share of the lines, each marked with its rate", "[statsd][exporter]") {
  udp_receiver receiver;
  fixed_telemetry_source source;
  auto snapshot = many_gauges(400);
  auto sample = sample_snapshot();
  snapshot.metrics.push_back(family(sample, "strata_cache_operation_duration_seconds"));
  statsd_to(receiver, source, {{"sample_rate", "0.25"}})->publish(snapshot);
  const auto lines = receiver.lines();
  const auto gauges = std::count_if(lines.begin(), lines.end(), [](const auto& l) { return l.type == "g"; });
  CHECK(gauges > 50); // about 100 of 400
  CHECK(gauges < 150);
  for (const auto& l : lines) {
    INFO(l.text);
    if (l.type == "g") {
      CHECK_THAT(l.text, Catch::Contains("|@0.25"));
    } else {
      // A histogram line's own rate (1/growth) multiplies the sampling rate.
      const double growth = l.value == 1 ? 6 : l.value == 10 ? 3 : 1;
      CHECK(l.rate == Approx(0.25 / growth));
    }
  }
}

/// An exporter sending to a UDP port nobody listens on, in datagrams so small that each publish
/// sends several.
struct pushing_to_nobody {
  static std::string closed_port() {
    udp_receiver gone;
    return gone.port();
  }
  std::string port = closed_port();
  fixed_telemetry_source source;
  recording_host host{STRATA_PLUGIN_EXPORTER, "push"};
  plugin_ptr<strata::exporter> push =
    create_exporter(load_plugin("statsd"), "push", {{"port", port}, {"max_packet_size", "64"}}, source, host.api());
};

TEST_CASE("send errors are counted and logged, never thrown", "[statsd][exporter]") {
  pushing_to_nobody nobody;
  auto& [port, source, host, push] = nobody;
  // The first datagram leaves; the "port unreachable" it provokes fails a later send.
  for (int i = 0; i < 5; ++i) {
    CHECK_NOTHROW(push->publish(many_gauges(300)));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // One per failed export, as every exporter counts them (alerts.yml fires on 3 in 15 minutes):
  // it counted each datagram.
  const auto errors = host.value("strata_exporter_errors_total");
  REQUIRE(errors.has_value());
  CHECK(*errors > 0);
  CHECK(*errors <= 5);
  const auto logs = host.logs();
  CHECK(std::any_of(logs.begin(), logs.end(), [](const recorded_log& l) {
    return l.message.find("not sent: Connection refused") != std::string::npos;
  }));
}

TEST_CASE("send errors are logged once a second at most, the next line counting those not logged",
          "[statsd][exporter]") {
  // Against a port nobody listens on, every other publish logged an error line.
  pushing_to_nobody nobody;
  auto& [port, source, host, push] = nobody;
  const auto failure_lines = [&] {
    std::vector<std::string> lines;
    for (const auto& l : host.logs())
      if (l.message.find("not sent: Connection refused") != std::string::npos)
        lines.push_back(l.message);
    return lines;
  };
  const auto failures = [&] { return static_cast<std::size_t>(host.value("strata_exporter_errors_total").value_or(0)); };
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) {
    push->publish(many_gauges(300));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (std::chrono::steady_clock::now() - started >= std::chrono::seconds(1)) {
    WARN("10 publishes took a second or more: a second line was due; the pacing is not tested");
    return;
  }
  REQUIRE(failures() >= 2);
  CHECK(failure_lines().size() == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1000));
  for (int i = 0; i < 20 && failure_lines().size() < 2; ++i) {
    push->publish(many_gauges(300));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto lines = failure_lines();
  REQUIRE(lines.size() == 2);
  // Every failure is counted; those between the two lines are named in the second.
  CHECK_THAT(lines[1], Catch::EndsWith("; " + std::to_string(failures() - 2) + " more failed publishes since the last line"));
}

TEST_CASE("send errors held back when the exporter stops are told then", "[statsd][exporter]") {
  pushing_to_nobody nobody;
  auto& [port, source, host, push] = nobody;
  const auto failures = [&] { return static_cast<std::size_t>(host.value("strata_exporter_errors_total").value_or(0)); };
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 10; ++i) {
    push->publish(many_gauges(300));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (std::chrono::steady_clock::now() - started >= std::chrono::seconds(1)) {
    WARN("10 publishes took a second or more: the held-back count is not tested");
    return;
  }
  REQUIRE(failures() >= 2); // one logged, the others held back
  const auto failed = failures();
  push.reset();
  const auto logs = host.logs();
  REQUIRE(!logs.empty());
  CHECK(logs.back().level == STRATA_LOG_WARN);
  CHECK(logs.back().message == std::to_string(failed - 1) + " more failed publishes to 127.0.0.1:" + port +
                                 " since the last line, not logged before the stop");
}

TEST_CASE("the first publish sent after failures says so, with the failures not logged since the last line",
          "[statsd][exporter]") {
  // The failures held back after the last line were never told when no later failure came.
  pushing_to_nobody nobody;
  auto& [port, source, host, push] = nobody;
  const auto lines_with = [&](const std::string& text) {
    std::vector<std::string> lines;
    for (const auto& l : host.logs())
      if (l.message.find(text) != std::string::npos)
        lines.push_back(l.message);
    return lines;
  };
  const auto failures = [&] { return static_cast<std::size_t>(host.value("strata_exporter_errors_total").value_or(0)); };
  for (int i = 0; i < 10 && failures() < 3; ++i) {
    push->publish(many_gauges(300));
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(failures() >= 3);
  REQUIRE(lines_with("not sent").size() == 1); // the others held back
  udp_receiver listening(static_cast<std::uint16_t>(std::stoi(port))); // somebody listens there now
  push->publish(many_gauges(300)); // its first send may still meet the last refusal
  std::this_thread::sleep_for(std::chrono::milliseconds(1050)); // a line a second at most, this one too
  for (int i = 0; i < 5 && lines_with(" again").empty(); ++i)
    push->publish(many_gauges(300));
  const auto again = lines_with(" again");
  REQUIRE(again.size() == 1);
  // Every failure is told: a line of its own, or counted in a later line.
  std::size_t told = lines_with("not sent").size();
  std::smatch held;
  for (const auto& line : lines_with("more failed publishes since the last line"))
    if (std::regex_search(line, held, std::regex("([0-9]+) more failed publishes since the last line")))
      told += std::stoul(held[1]);
  CHECK(told == failures());
  CHECK_THAT(again[0], Catch::StartsWith("sending to StatsD at 127.0.0.1:" + port + " again"));
  // One line for the recovery, not one per publish.
  push->publish(many_gauges(300));
  CHECK(lines_with(" again").size() == 1);
}

TEST_CASE("a configuration the exporter cannot use is refused with the reason", "[statsd][exporter]") {
  const auto& d = load_plugin("statsd");
  fixed_telemetry_source source;
  SECTION("a host that does not resolve") {
    CHECK_THROWS_WITH(create_exporter(d, "statsd", {{"host", "no-such-host.invalid"}}, source),
                      Catch::Contains("no-such-host.invalid"));
  }
  SECTION("a host written with its port, or bracketed") {
    CHECK_THROWS_WITH(create_exporter(d, "statsd", {{"host", "127.0.0.1:8125"}}, source),
                      Catch::Contains("host: '127.0.0.1:8125' is not a name or an address; give the port in `port`"));
    CHECK_THROWS_WITH(create_exporter(d, "statsd", {{"host", "[::1]"}}, source),
                      Catch::Contains("without brackets"));
  }
  SECTION("an unknown tag style") {
    CHECK_THROWS_WITH(create_exporter(d, "statsd", {{"tags", "influx"}}, source),
                      Catch::Contains("tags") && Catch::Contains("influx"));
  }
  SECTION("a sample rate of 0") {
    CHECK_THROWS_WITH(create_exporter(d, "statsd", {{"sample_rate", "0"}}, source), Catch::Contains("sample_rate"));
  }
}
