// A layer plugin built with the pre-C++11 std::string (_GLIBCXX_USE_CXX11_ABI=0, see
// CMakeLists.txt): it would read the SDK's strings with the wrong layout, so the loader must
// refuse it before any of its code runs.
#include <strata/sdk.hpp>

#include <string>

namespace {

class old_string_layer : public strata::layer {
public:
  explicit old_string_layer(const strata::layer_context& context) : prefix_(context.config.get_string("prefix")) {}

  strata::status get(std::string_view, std::string_view key, strata::layer_hit& out) override {
    out.value = prefix_ + std::string(key);
    return strata::status::ok;
  }
  strata::status put(std::string_view, std::string_view, std::string_view, const strata::entry_options&) override {
    return strata::status::ok;
  }
  strata::status erase(std::string_view, std::string_view) override { return strata::status::ok; }
  std::size_t invalidate_tag(std::string_view, std::string_view) override { return 0; }

private:
  std::string prefix_;
};

const strata_config_key schema[] = {
  {"prefix", STRATA_VALUE_STRING, "", "put before each key", 0, 0, 0, 0},
};

} // namespace

STRATA_LAYER_PLUGIN("test_old_string_abi", "1.0.0", old_string_layer, schema, 0)
