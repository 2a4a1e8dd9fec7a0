// A plugin written against the raw C ABI whose `check` or `create` throws, as `throw_in` says
// (`check`, `create`): the host must refuse the instance, not end.
#include <strata/plugin_abi.h>
#include <strata/plugin_config.hpp>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace {

const strata_config_key schema[] = {
  {"throw_in", STRATA_VALUE_STRING, "none", "where to throw: none, check, create", 0, 0, 0, 0},
};

std::string throw_in(const void* config) {
  return static_cast<const strata::plugin_config*>(config)->get_string("throw_in");
}

} // namespace

extern "C" __attribute__((visibility("default"))) const strata_plugin_descriptor* strata_plugin_entry(void) {
  static const strata_plugin_descriptor descriptor = {
    STRATA_ABI_MAJOR, 3, "test_throwing_factory", "1.0.0", STRATA_PLUGIN_LAYER, 0, schema, 1,
    [](const strata_plugin_context* context, char* error, size_t size) -> void* {
      if (throw_in(context->config) == "create")
        throw std::runtime_error("create exploded");
      std::snprintf(error, size, "creates nothing");
      return nullptr;
    },
    [](void*) {},
    [](const void* config, char*, size_t) -> int {
      if (throw_in(config) == "check")
        throw std::runtime_error("check exploded");
      return 1;
    }, 0, nullptr, 0};
  return &descriptor;
}
