// A plugin whose check_config refuses several keys at once through strata::config_refusals: one
// reason quotes a value with a line break, one names no key, one names its key on a line of its own.
#include "support/nothing_layer.hpp"

#include <stdexcept>

namespace {

class refusing_check_layer : public strata::test_plugins::nothing_layer {
public:
  using nothing_layer::nothing_layer;

  static void check_config(const strata::plugin_config& config) {
    strata::config_refusals refused;
    for (const char* key : {"a", "b"})
      refused.check([&] {
        if (config.get_string(key) != "ok")
          throw std::invalid_argument(std::string(key) + ": '" + config.get_string(key) + "' is not ok");
      });
    refused.check([&] {
      if (config.get_string("c") != "ok")
        throw std::invalid_argument("the settings do not go together");
    });
    refused.check([&] {
      if (config.get_string("d") != "ok")
        throw std::invalid_argument("d:\nthe reason begins on the next line");
    });
    refused.done();
  }
};

const strata_config_key schema[] = {
  {"a", STRATA_VALUE_STRING, "ok", "must be ok", 0, 0, 0, 0},
  {"b", STRATA_VALUE_STRING, "ok", "must be ok", 0, 0, 0, 0},
  {"c", STRATA_VALUE_STRING, "ok", "must be ok", 0, 0, 0, 0},
  {"d", STRATA_VALUE_STRING, "ok", "must be ok", 0, 0, 0, 0},
};

} // namespace

STRATA_LAYER_PLUGIN("test_refusing_check", "1.0.0", refusing_check_layer, schema, 0)
