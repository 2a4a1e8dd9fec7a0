// A plugin whose entry point throws, which no exception may cross: the loader must refuse it, not
// end the host.
#include <strata/plugin_abi.h>

#include <stdexcept>

extern "C" __attribute__((visibility("default"))) const strata_plugin_descriptor* strata_plugin_entry(void) {
  throw std::runtime_error("entry exploded");
}
