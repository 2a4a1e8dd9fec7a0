// A layer flagged STRATA_PLUGIN_FLAG_OBSERVER whose observer() gives none: refused at start, since
// an observer is kept out of the chain and this one would then do nothing at all.
#include <strata/sdk.hpp>

namespace {
class silent_observer : public strata::layer {
public:
  explicit silent_observer(const strata::layer_context&) {}
  strata::status get(std::string_view, std::string_view, strata::layer_hit&) override { return strata::status::not_found; }
  strata::status put(std::string_view, std::string_view, std::string_view, const strata::entry_options&) override {
    return strata::status::ok;
  }
  strata::status erase(std::string_view, std::string_view) override { return strata::status::not_found; }
  std::size_t invalidate_tag(std::string_view, std::string_view) override { return 0; }
};
} // namespace

STRATA_LAYER_PLUGIN("test_silent_observer", "1.0.0", silent_observer, strata::no_config_keys,
                    STRATA_PLUGIN_FLAG_OBSERVER)
