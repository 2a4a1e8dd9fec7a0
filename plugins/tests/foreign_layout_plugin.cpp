// A layer plugin built for another layout of libstdc++'s types than the SDK's (see CMakeLists.txt:
// test_old_string_abi with the pre-C++11 std::string, _GLIBCXX_USE_CXX11_ABI=0; test_debug_mode
// with the debug containers, _GLIBCXX_DEBUG): it would read the SDK's strings or maps wrong, so the
// loader must refuse it before any of its code runs. Its name is STRATA_TEST_PLUGIN_NAME.
#include <strata/sdk.hpp>

#include <string>

namespace {

class foreign_layout_layer : public strata::layer {
public:
  explicit foreign_layout_layer(const strata::layer_context& context)
    : prefix_(context.config.get_string("prefix")), copies_(context.config.get_int("copies")) {}

  strata::status get(std::string_view, std::string_view key, strata::layer_hit& out) override {
    for (std::int64_t i = 0; i < copies_; ++i)
      out.value += prefix_ + std::string(key);
    return strata::status::ok;
  }
  strata::status put(std::string_view, std::string_view, std::string_view, const strata::entry_options&) override {
    return strata::status::ok;
  }
  strata::status erase(std::string_view, std::string_view) override { return strata::status::ok; }
  std::size_t invalidate_tag(std::string_view, std::string_view) override { return 0; }

private:
  std::string prefix_;
  std::int64_t copies_;
};

const strata_config_key schema[] = {
  {"prefix", STRATA_VALUE_STRING, "", "put before each key", 0, 0, 0, 0},
  {"copies", STRATA_VALUE_INT, "1", "copies of the prefixed key a get answers", 1, 1, 0, 0},
};

} // namespace

STRATA_LAYER_PLUGIN(STRATA_TEST_PLUGIN_NAME, "1.0.0", foreign_layout_layer, schema, 0)
