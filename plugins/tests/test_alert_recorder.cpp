// An alert handler that appends one line per event to a file: "<rule> <transition> <severity>".
// With `fail: true` it throws instead, to test that the runtime counts it and carries on; with
// `delay` each event takes that long, as a slow endpoint would.

#include <strata/sdk.hpp>

#include <chrono>
#include <fstream>
#include <thread>
#include <stdexcept>

namespace {

class test_alert_recorder : public strata::alert_handler {
public:
  explicit test_alert_recorder(const strata::alert_handler_context& context)
    : path_(context.config.get_string("path")), fail_(context.config.get_bool("fail")),
      delay_(context.config.get_duration("delay")) {}

  void handle(const strata::alert_event& event) override {
    std::this_thread::sleep_for(delay_);
    if (fail_)
      throw std::runtime_error("configured to fail");
    std::ofstream out(path_, std::ios::app);
    out << event.rule << ' ' << strata::to_string(event.transition) << ' ' << strata::to_string(event.severity)
        << '\n';
  }

private:
  std::string path_;
  bool fail_;
  std::chrono::nanoseconds delay_;
};

const strata_config_key schema[] = {
  {"path", STRATA_VALUE_STRING, nullptr, "file appended to on each event", 0, 0, 0, 0},
  {"fail", STRATA_VALUE_BOOL, "false", "throw from every event", 0, 0, 0, 0},
  {"delay", STRATA_VALUE_DURATION, "0", "how long each event takes (a slow endpoint)", 0, 0, 0, 0},
};

} // namespace

STRATA_ALERT_HANDLER_PLUGIN("test_alert_recorder", "1.0.0", test_alert_recorder, schema)
