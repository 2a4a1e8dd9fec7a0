// An exporter that appends one line per publish to a file: "publish <families> <overall health>".
// With `fail: true` every publish throws, to test that the runtime counts it and carries on; with
// `fail_while: PATH` a publish throws while PATH exists; with `hang: D` every publish first sleeps
// D (a stuck exporter); with `gauge: NAME` it registers a gauge
// of that name through the host.

#include <strata/sdk.hpp>

#include <fstream>
#include <stdexcept>
#include <thread>

namespace {

class test_exporter : public strata::exporter {
public:
  explicit test_exporter(const strata::exporter_context& context)
    : path_(context.config.get_string("path")),
      interval_(std::chrono::duration_cast<std::chrono::milliseconds>(context.config.get_duration("interval"))),
      fail_(context.config.get_bool("fail")),
      fail_while_(context.config.get_string("fail_while")),
      hang_(std::chrono::duration_cast<std::chrono::milliseconds>(context.config.get_duration("hang"))),
      source_(context.source) {
    // A pull exporter reads the source whenever it likes: check it works from the constructor.
    source_.snapshot();
    if (const auto& gauge = context.config.get_string("gauge"); !gauge.empty()) {
      strata::plugin_host host = context.host;
      host.gauge(gauge, "A gauge of the test exporter's own.");
    }
  }

  std::chrono::milliseconds push_interval() const override { return interval_; }

  void publish(const strata::telemetry_snapshot& snapshot) override {
    std::this_thread::sleep_for(hang_);
    if (fail_)
      throw std::runtime_error("configured to fail");
    if (!fail_while_.empty() && std::ifstream(fail_while_))
      throw std::runtime_error("failing while " + fail_while_ + " exists");
    std::ofstream out(path_, std::ios::app);
    out << "publish " << snapshot.metrics.size() << ' ' << strata::to_string(snapshot.health.overall) << '\n';
  }

private:
  std::string path_;
  std::chrono::milliseconds interval_;
  bool fail_;
  std::string fail_while_;
  std::chrono::milliseconds hang_;
  const strata::telemetry_source& source_;
};

const strata_config_key schema[] = {
  {"path", STRATA_VALUE_FILE, nullptr, "file appended to on each publish", 0, 0, 0, 0},
  {"interval", STRATA_VALUE_DURATION, "0", "push period; 0: on demand and at shutdown only", 1, 0, 0, 0},
  {"fail", STRATA_VALUE_BOOL, "false", "throw from every publish", 0, 0, 0, 0},
  {"fail_while", STRATA_VALUE_STRING, "", "throw from a publish while this file exists; empty: never", 0, 0, 0, 0},
  {"hang", STRATA_VALUE_DURATION, "0", "how long each publish sleeps first", 1, 0, 0, 0},
  {"gauge", STRATA_VALUE_STRING, "", "name of a gauge to register through the host; empty: none", 0, 0, 0, 0},
};

} // namespace

STRATA_EXPORTER_PLUGIN("test_exporter", "1.0.0", test_exporter, schema)
