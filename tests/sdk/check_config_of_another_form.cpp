// Must not compile: a check_config the SDK would never call (CHECK_CONFIG_FORM picks which).
#include <strata/sdk.hpp>

namespace {

const strata_config_key fixture_schema[] = {{"mode", STRATA_VALUE_STRING, "a", "a setting", 0, 0, 0, 0}};

class fixture_layer : public strata::layer {
public:
  explicit fixture_layer(const strata::layer_context&) {}
#if CHECK_CONFIG_FORM == 1
  static void check_config(strata::plugin_config&) {} // not const: never bound
#elif CHECK_CONFIG_FORM == 2
  static bool check_config(const strata::plugin_config&) { return false; } // its false would be ignored
#else
  void check_config(const strata::plugin_config&) const {} // not static
#endif
  strata::status get(std::string_view, std::string_view, strata::layer_hit&) override { return strata::status::not_found; }
  strata::status put(std::string_view, std::string_view, std::string_view, const strata::entry_options&) override {
    return strata::status::ok;
  }
  strata::status erase(std::string_view, std::string_view) override { return strata::status::not_found; }
  std::size_t invalidate_tag(std::string_view, std::string_view) override { return 0; }
};

} // namespace

STRATA_LAYER_PLUGIN("fixture", "1.0.0", fixture_layer, fixture_schema, 0)
