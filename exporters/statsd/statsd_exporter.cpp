// The plugin libstrata_statsd.so: pushes the runtime's telemetry to a StatsD server over UDP.

#include "datagrams.hpp"
#include "line_renderer.hpp"
#include "statsd_text.hpp"
#include "udp_sender.hpp"

#include <strata/paced_lines.hpp>
#include <strata/sdk.hpp>

#include <chrono>
#include <mutex>
#include <stdexcept>
#include <string>
#include <system_error>

namespace strata::exporters::statsd {

namespace {

tag_style tag_style_of(const std::string& text) {
  if (text == "none")
    return tag_style::folded;
  if (text == "dogstatsd")
    return tag_style::dogstatsd;
  throw std::invalid_argument("tags: must be 'none' or 'dogstatsd', not '" + text + "'");
}

line_options options_of(const plugin_config& config) {
  config_refusals refused;
  refused.check([&] {
    const auto host = config.get_string("host");
    if (host.empty())
      throw std::invalid_argument("host: names no host; give a name or an address such as 127.0.0.1");
    // "127.0.0.1:8125" or "[::1]:8125", as the prometheus exporter's `address` is written: the
    // resolver would refuse it only at start, as a name it cannot find. (An IPv6 address holds
    // more than one ':'.)
    const auto colon = host.rfind(':');
    const bool bracketed = host.front() == '[';
    if (bracketed || (colon != std::string::npos && host.find(':') == colon))
      throw std::invalid_argument("host: '" + host + "' is not a name or an address" +
                                  (bracketed ? " (an IPv6 address is written without brackets)"
                                             : "; give the port in `port`"));
  });
  line_options options;
  options.prefix = sanitise(config.get_string("prefix"));
  refused.check([&] { options.tags = tag_style_of(config.get_string("tags")); });
  options.sample_rate = config.get_double("sample_rate");
  refused.check([&] {
    // The schema's bounds are inclusive; a rate of 0 would send nothing and divide by zero.
    if (!(options.sample_rate > 0))
      throw std::invalid_argument("sample_rate: must be greater than 0 and at most 1");
  });
  refused.done();
  return options;
}

} // namespace

/// Sends each snapshot it is given as StatsD lines, packed into datagrams of at most
/// `max_packet_size` bytes. Send failures are counted and logged, never thrown.
class statsd_exporter final : public exporter {
public:
  /// What the schema cannot say: the tag style's name, a sample rate above 0.
  static void check_config(const plugin_config& config) { options_of(config); }

  explicit statsd_exporter(const exporter_context& ctx)
    : host_(ctx.host),
      // The host adds the `exporter` label naming this instance.
      errors_(host_.counter("strata_exporter_errors_total", "Exports that failed.")),
      interval_(std::chrono::duration_cast<std::chrono::milliseconds>(ctx.config.get_duration("interval"))),
      max_packet_size_(ctx.config.get_size("max_packet_size")),
      target_(ctx.config.get_string("host") + ':' + std::to_string(ctx.config.get_int("port"))),
      lines_(options_of(ctx.config)),
      sender_(ctx.config.get_string("host"), static_cast<std::uint16_t>(ctx.config.get_int("port"))) {
    host_.log(log_level::info, "sending to StatsD at " + target_ + " every " + std::to_string(interval_.count()) + " ms");
  }

  /// The failed publishes held back since the last line: no line comes after the stop.
  ~statsd_exporter() override {
    if (const auto untold = lines_logged_.untold(); untold > 0)
      host_.log(log_level::warn, std::to_string(untold) + " more failed publishes to " + target_ +
                                   " since the last line, not logged before the stop");
  }

  std::chrono::milliseconds push_interval() const override { return interval_; }

  void publish(const telemetry_snapshot& snapshot) override {
    // The runtime may publish on its schedule and on demand at the same time.
    std::lock_guard<std::mutex> guard(mutex_);
    const auto datagrams = pack(lines_.render(snapshot), max_packet_size_);
    std::size_t failed = 0;
    int last_error = 0;
    for (const auto& datagram : datagrams) {
      if (const int error = sender_.send(datagram); error != 0) {
        ++failed;
        last_error = error;
      }
    }
    // One line a second at most, the next saying how many were not written, as the runtime logs an
    // exporter that throws: against a port nobody listens on, every other publish fails.
    if (failed == 0) {
      if (const auto held = lines_logged_.success())
        host_.log(log_level::info, "sending to StatsD at " + target_ + " again" +
                                       (*held > 0 ? " (" + std::to_string(*held) + " more failed publishes since the last line)"
                                                  : ""));
      return;
    }
    errors_.inc(); // one failed export, as every exporter counts (however many datagrams it had)
    const auto held = lines_logged_.failure();
    if (!held)
      return;
    std::string line = std::to_string(failed) + " of " + std::to_string(datagrams.size()) + " datagrams to " +
                       target_ + " not sent: " + std::system_category().message(last_error);
    if (*held > 0)
      line += "; " + std::to_string(*held) + " more failed publishes since the last line";
    host_.log(log_level::error, line);
  }

private:
  plugin_host host_;
  instruments::counter& errors_;
  const std::chrono::milliseconds interval_;
  const std::size_t max_packet_size_;
  const std::string target_; ///< host:port, for the log
  std::mutex mutex_;
  line_renderer lines_;
  udp_sender sender_;
  paced_lines lines_logged_; ///< of failed publishes, under mutex_
};

} // namespace strata::exporters::statsd

static const strata_config_key statsd_schema[] = {
  {"host", STRATA_VALUE_STRING, "127.0.0.1", "StatsD server: a name or an address", 0, 0, 0, 0},
  {"port", STRATA_VALUE_INT, "8125", "StatsD server's UDP port", 1, 1, 1, 65535},
  {"prefix", STRATA_VALUE_STRING, "strata", "first segment of every metric name; empty for none", 0, 0, 0, 0},
  {"interval", STRATA_VALUE_DURATION, "10s", "how often the telemetry is sent", 1, 10, 0, 0},
  {"sample_rate", STRATA_VALUE_DOUBLE, "1.0",
   "share of the lines sent, each marked |@rate so that the server scales it back (0 excluded)", 1, 0, 1, 1},
  {"tags", STRATA_VALUE_STRING, "none",
   "labels: 'none' folds their values into the name, 'dogstatsd' sends them as |#key:value tags", 0, 0, 0, 0},
  {"max_packet_size", STRATA_VALUE_SIZE, "1432",
   "largest datagram in bytes; lines are never split (1432 fits an Ethernet MTU)", 1, 64, 1, 65507},
};

STRATA_EXPORTER_PLUGIN("statsd", "0.1.0", strata::exporters::statsd::statsd_exporter, statsd_schema)
