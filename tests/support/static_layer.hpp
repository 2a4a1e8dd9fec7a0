#pragma once
// The descriptor of a layer class built into a test (runtime_options::static_plugins), as
// STRATA_LAYER_PLUGIN declares a plugin's, for ABI 1.<minor>: a plugin built before a virtual was
// appended has no slot for it, and the host must not call it.

#include <strata/sdk.hpp>

#include <cstdint>

namespace strata::test {

/// One key nothing reads: a test layer's schema.
inline constexpr strata_config_key unused_key[] = {{"unused", STRATA_VALUE_INT, "0", "nothing", 0, 0, 0, 0}};

template <class Layer>
constexpr strata_plugin_descriptor static_layer(const char* name, std::uint32_t minor = STRATA_ABI_MINOR) {
  return {STRATA_ABI_MAJOR, minor, name, "1.0", STRATA_PLUGIN_LAYER, 0, unused_key, 1,
          &sdk_detail::create<layer, Layer>, &sdk_detail::destroy<layer>, nullptr, 0, nullptr, 0};
}

} // namespace strata::test
