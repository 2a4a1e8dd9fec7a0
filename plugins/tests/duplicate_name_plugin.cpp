// A valid plugin that declares the name of another one ("test_map"): loading both must fail. It
// takes no configuration keys (strata::no_config_keys).
#include <strata/sdk.hpp>

namespace {
class nothing_layer : public strata::layer {
public:
  explicit nothing_layer(const strata::layer_context&) {}
  strata::status get(std::string_view, std::string_view, strata::layer_hit&) override { return strata::status::not_found; }
  strata::status put(std::string_view, std::string_view, std::string_view, const strata::entry_options&) override {
    return strata::status::ok;
  }
  strata::status erase(std::string_view, std::string_view) override { return strata::status::not_found; }
  std::size_t invalidate_tag(std::string_view, std::string_view) override { return 0; }
};
} // namespace

STRATA_LAYER_PLUGIN("test_map", "2.0.0", nothing_layer, strata::no_config_keys, 0)
