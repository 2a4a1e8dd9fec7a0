// A layer flagged STRATA_PLUGIN_FLAG_OBSERVER whose instance counts what its own observer records:
// its command `seen` answers {"seen": N}; `hang` sleeps 11 s, past a command's deadline (5 s at least) and
// the 5 s more after which the runtime takes it to hang and replaces the instance. For the tests of what the runtime records into after a restart.
#include "support/nothing_layer.hpp"

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

namespace {

class counting_observer : public strata::interaction_observer {
public:
  void record(const strata::interaction&) noexcept override { ++seen; }
  std::atomic<long> seen{0};
};

class counting_observer_layer : public strata::test_plugins::nothing_layer {
public:
  explicit counting_observer_layer(const strata::layer_context& context) : nothing_layer(context) {}

  std::shared_ptr<strata::interaction_observer> observer() override { return observer_; }

  strata::status command(std::string_view name, std::string_view, std::string& json_out) override {
    if (name == "hang")
      std::this_thread::sleep_for(std::chrono::seconds(11));
    json_out = "{\"seen\":" + std::to_string(observer_->seen.load()) + "}";
    return strata::status::ok;
  }

private:
  std::shared_ptr<counting_observer> observer_ = std::make_shared<counting_observer>();
};

} // namespace

STRATA_LAYER_PLUGIN("test_counting_observer", "1.0.0", counting_observer_layer, strata::no_config_keys,
                    STRATA_PLUGIN_FLAG_OBSERVER)
