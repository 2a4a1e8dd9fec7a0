// A plugin that claims the next ABI major: the loader must refuse it.
#include <strata/plugin_abi.h>

extern "C" __attribute__((visibility("default"))) const strata_plugin_descriptor* strata_plugin_entry(void) {
  static const strata_plugin_descriptor descriptor = {
    STRATA_ABI_MAJOR + 1, 0, "test_bad_abi", "1.0.0", STRATA_PLUGIN_LAYER, 0, nullptr, 0,
    [](const strata_plugin_context*, char*, size_t) -> void* { return nullptr; },
    [](void*) {}, nullptr, 0, nullptr, 0};
  return &descriptor;
}
