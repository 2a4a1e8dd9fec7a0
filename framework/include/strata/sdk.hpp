#pragma once
/// @file sdk.hpp
/// What a plugin author includes: the layer interface, the configuration it receives, and one
/// macro that exports the versioned C entry point.
///
///     class my_layer : public strata::layer { public: my_layer(const strata::layer_context&); ... };
///     static const strata_config_key my_schema[] = {
///       {"max_entries", STRATA_VALUE_INT, "1000", "entries kept", 1, 1, 0, 0},
///     };
///     STRATA_LAYER_PLUGIN("my_layer", "1.0.0", my_layer, my_schema, 0)

#include <strata/layer.hpp>
#include <strata/plugin_abi.h>
#include <strata/plugin_config.hpp>

#include <cstdio>
#include <exception>
#include <string>

namespace strata {

/// What a layer's constructor receives.
struct layer_context {
  std::string name;             ///< the layer's name in the deployment
  const plugin_config& config;  ///< its validated configuration
};

namespace sdk_detail {

inline void write_error(char* buffer, std::size_t size, const char* message) {
  if (buffer != nullptr && size > 0) std::snprintf(buffer, size, "%s", message);
}

/// Builds a `T` from the context; never lets an exception out.
template <class T>
void* create_layer(const strata_plugin_context* ctx, char* error, std::size_t error_size) noexcept {
  try {
    if (ctx == nullptr || ctx->config == nullptr) {
      write_error(error, error_size, "no context or configuration given");
      return nullptr;
    }
    layer_context lc{ctx->instance_name ? ctx->instance_name : "", 
                     *static_cast<const plugin_config*>(ctx->config)};
    layer* instance = new T(lc);
    return static_cast<void*>(instance);
  } catch (const std::exception& e) {
    write_error(error, error_size, e.what());
  } catch (...) {
    write_error(error, error_size, "unknown exception");
  }
  return nullptr;
}

inline void destroy_layer(void* instance) noexcept {
  delete static_cast<layer*>(instance);
}

} // namespace sdk_detail
} // namespace strata

/// Exports `strata_plugin_entry` for a layer class `CLASS` constructible from
/// `const strata::layer_context&`. `SCHEMA` is a static array of strata_config_key.
#define STRATA_LAYER_PLUGIN(NAME, VERSION, CLASS, SCHEMA, FLAGS)                                  \
  extern "C" __attribute__((visibility("default"))) const strata_plugin_descriptor*              \
  strata_plugin_entry(void) {                                                                      \
    static const strata_plugin_descriptor descriptor = {                                           \
      STRATA_ABI_MAJOR, STRATA_ABI_MINOR, NAME, VERSION, STRATA_PLUGIN_LAYER, FLAGS, SCHEMA,       \
      sizeof(SCHEMA) / sizeof((SCHEMA)[0]), &::strata::sdk_detail::create_layer<CLASS>,           \
      &::strata::sdk_detail::destroy_layer};                                                       \
    return &descriptor;                                                                            \
  }
