#pragma once
/// @file sdk.hpp
/// What a plugin author includes: the interfaces a plugin implements (layer, exporter, alert
/// handler, embedder), the context its constructor receives, and one macro per kind that exports the
/// versioned C entry point.
///
///     class my_layer : public strata::layer { public: my_layer(const strata::layer_context&); ... };
///     static const strata_config_key my_schema[] = {
///       {"max_entries", STRATA_VALUE_INT, "1000", "entries kept", 1, 1, 0, 0},
///     };
///     STRATA_LAYER_PLUGIN("my_layer", "1.0.0", my_layer, my_schema, 0)
///
/// What the schema cannot say (a value from a list, keys that exclude each other) a class checks
/// in `static void check_config(const strata::plugin_config&)`, throwing std::invalid_argument
/// with a reason that starts with the key ("mode: 'x' is not one of a, b"), or, to report every
/// refused key at once, through strata::config_refusals (one reason per line); its constructor
/// calls it too. The macro exports it as the descriptor's `check` (ABI 1.3), which `strata
/// check-config`, `strata serve` and a reload run before any instance is created. It must create nothing and touch
/// no file, socket or server.
///
/// A layer whose operations wait on a server declares how long the coordinator waits for it when
/// the deployment names no `deadline` (ABI 1.7; the runtime's 100 ms otherwise), above its own
/// timeouts: `static constexpr std::chrono::milliseconds default_deadline{3000};`.
///
/// A key that applies only when another key has some value (ABI 1.8) is declared in
/// `static constexpr strata_key_condition key_conditions[] = {{"pool_size", "backend", "postgres"}};`:
/// the host then refuses it where a configuration sets it to other than its default and the other
/// key's value is another.

#if __cplusplus < 201703L
#error "Strata's headers need C++17 or later: compile with -std=c++17 (or the CMake target, which asks for it)"
#endif

#include <strata/alerts.hpp>
#include <strata/config_refusals.hpp>
#include <strata/embedder.hpp>
#include <strata/exporter.hpp>
#include <strata/layer.hpp>
#include <strata/plugin_abi.h>
#include <strata/plugin_config.hpp>
#include <strata/plugin_host.hpp>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace strata {

/// What a layer's constructor receives.
struct layer_context {
  std::string name;             ///< the layer's name in the deployment
  const plugin_config& config;  ///< its validated configuration; lives as long as the instance (keeping the reference is fine)
  plugin_host host = {};        ///< metrics, health and log; keep a copy (it is a handle)
};

/// What an exporter's constructor receives.
struct exporter_context {
  std::string name;
  const plugin_config& config;    ///< lives as long as the exporter
  const telemetry_source& source; ///< lives as long as the exporter
  plugin_host host = {};
};

/// What an alert handler's constructor receives.
struct alert_handler_context {
  std::string name;
  const plugin_config& config; ///< lives as long as the handler
  plugin_host host = {};
};

/// What an embedder's constructor receives (ABI 1.2).
struct embedder_context {
  std::string name; ///< the embedder's name in the deployment (`embedders[i].name`)
  const plugin_config& config; ///< lives as long as the embedder
  plugin_host host = {};
};

/// The `SCHEMA` of a plugin that takes no configuration keys (C++ has no empty array): every key a
/// deployment gives it is then refused as unknown.
struct no_config_keys_t {};
inline constexpr no_config_keys_t no_config_keys{};

namespace sdk_detail {

template <std::size_t N>
constexpr const strata_config_key* schema_keys(const strata_config_key (&schema)[N]) noexcept { return schema; }
template <std::size_t N>
constexpr std::size_t schema_size(const strata_config_key (&)[N]) noexcept { return N; }
constexpr const strata_config_key* schema_keys(no_config_keys_t) noexcept { return nullptr; }
constexpr std::size_t schema_size(no_config_keys_t) noexcept { return 0; }

inline void write_error(char* buffer, std::size_t size, const char* message) {
  if (buffer != nullptr && size > 0) std::snprintf(buffer, size, "%s", message);
}

/// ABI 1.0 hosts pass no host table; this one is refused by them anyway (newer minor), but a
/// context is read only as far as its own minor defines it.
inline plugin_host host_of(const strata_plugin_context* ctx) {
  return ctx->abi_minor >= 1 ? plugin_host(ctx->host) : plugin_host();
}

template <class Base, class T>
Base* construct(const strata_plugin_context* ctx, const plugin_config& config) {
  const std::string name = ctx->instance_name ? ctx->instance_name : "";
  if constexpr (std::is_same_v<Base, layer>) {
    return new T(layer_context{name, config, host_of(ctx)});
  } else if constexpr (std::is_same_v<Base, exporter>) {
    if (ctx->abi_minor < 1 || ctx->source == nullptr)
      throw std::invalid_argument("the host gave no telemetry source");
    return new T(exporter_context{name, config, *static_cast<const telemetry_source*>(ctx->source), host_of(ctx)});
  } else if constexpr (std::is_same_v<Base, embedder>) {
    return new T(embedder_context{name, config, host_of(ctx)});
  } else {
    return new T(alert_handler_context{name, config, host_of(ctx)});
  }
}

/// Builds a `T` (derived from `Base`) from the context; never lets an exception out.
template <class Base, class T>
void* create(const strata_plugin_context* ctx, char* error, std::size_t error_size) noexcept {
  try {
    if (ctx == nullptr || ctx->config == nullptr) {
      write_error(error, error_size, "no context or configuration given");
      return nullptr;
    }
    Base* instance = construct<Base, T>(ctx, *static_cast<const plugin_config*>(ctx->config));
    return static_cast<void*>(instance);
  } catch (const std::exception& e) {
    write_error(error, error_size, e.what());
  } catch (...) {
    write_error(error, error_size, "unknown exception");
  }
  return nullptr;
}

template <class Base>
void destroy(void* instance) noexcept {
  delete static_cast<Base*>(instance);
}

/// Whether `T` declares `static void check_config(const strata::plugin_config&)`.
template <class T, class = void>
struct has_check_config : std::false_type {};
template <class T>
struct has_check_config<T, std::void_t<decltype(T::check_config(std::declval<const plugin_config&>()))>>
    : std::true_type {};

/// Runs `T::check_config` on a configuration; never lets an exception out.
template <class T>
int check(const void* config, char* error, std::size_t error_size) noexcept {
  try {
    if (config == nullptr) {
      write_error(error, error_size, "no configuration given");
      return 0;
    }
    T::check_config(*static_cast<const plugin_config*>(config));
    return 1;
  } catch (const config_refusals::reasons& e) { // one reason per line already
    write_error(error, error_size, e.what());
  } catch (const std::exception& e) { // one reason, whatever its line breaks
    write_error(error, error_size, config_refusals::as_one_reason(e.what()).c_str());
  } catch (...) {
    write_error(error, error_size, "unknown exception");
  }
  return 0;
}

/// Whether `T` has a member named `check_config`, of whatever form.
template <class T, class = void>
struct names_check_config : std::false_type {};
template <class T>
struct names_check_config<T, std::void_t<decltype(&T::check_config)>> : std::true_type {};

/// The descriptor's `check`: `check<T>` when `T` declares `check_config`, else none. A
/// `check_config` of another form would never be called: it does not compile.
template <class T>
constexpr int (*check_of())(const void*, char*, std::size_t) {
  if constexpr (has_check_config<T>::value) {
    static_assert(std::is_void_v<decltype(T::check_config(std::declval<const plugin_config&>()))>,
                  "check_config must return void: it refuses by throwing std::invalid_argument");
    return &check<T>;
  } else {
    static_assert(!names_check_config<T>::value,
                  "check_config must be `static void check_config(const strata::plugin_config&)`; this one would "
                  "never be called");
    return nullptr;
  }
}

/// The descriptor's `default_deadline_ms`: `T::default_deadline` when `T` declares it, else 0 (the
/// runtime's).
template <class T, class = void>
struct has_default_deadline : std::false_type {};
template <class T>
struct has_default_deadline<T, std::void_t<decltype(T::default_deadline)>> : std::true_type {};

template <class T>
constexpr std::uint32_t default_deadline_of() {
  if constexpr (has_default_deadline<T>::value) {
    static_assert(std::is_base_of_v<layer, T>, "only a layer has a deadline: the host refuses another kind that declares one");
    static_assert(std::is_same_v<std::remove_cv_t<decltype(T::default_deadline)>, std::chrono::milliseconds>,
                  "default_deadline must be `static constexpr std::chrono::milliseconds default_deadline{...};`");
    static_assert(T::default_deadline.count() > 0 && T::default_deadline.count() <= 0xFFFFFFFF,
                  "default_deadline must be above 0 and fit 32 bits of milliseconds");
    return static_cast<std::uint32_t>(T::default_deadline.count());
  } else {
    return 0;
  }
}

/// The descriptor's `key_conditions` and their number: `T::key_conditions` when `T` declares
/// them (ABI 1.8), else none.
template <class T, class = void>
struct has_key_conditions : std::false_type {};
template <class T>
struct has_key_conditions<T, std::void_t<decltype(T::key_conditions)>> : std::true_type {};

template <class T>
constexpr const strata_key_condition* key_conditions_of() {
  if constexpr (has_key_conditions<T>::value) {
    static_assert(std::is_same_v<std::remove_extent_t<std::remove_cv_t<decltype(T::key_conditions)>>, strata_key_condition>,
                  "key_conditions must be `static constexpr strata_key_condition key_conditions[] = {...};`");
    return T::key_conditions;
  } else {
    return nullptr;
  }
}
template <class T>
constexpr std::size_t key_conditions_size_of() {
  if constexpr (has_key_conditions<T>::value)
    return std::extent_v<std::remove_cv_t<decltype(T::key_conditions)>>;
  else
    return 0;
}

} // namespace sdk_detail
} // namespace strata

/// Exports `strata_plugin_entry` for a class `CLASS` derived from `BASE` (strata::layer, ...).
#define STRATA_PLUGIN_(KIND, BASE, NAME, VERSION, CLASS, SCHEMA, FLAGS)                           \
  extern "C" __attribute__((visibility("default"))) const strata_plugin_descriptor*              \
  strata_plugin_entry(void) {                                                                      \
    static const strata_plugin_descriptor descriptor = {                                           \
      STRATA_ABI_MAJOR, STRATA_ABI_MINOR, NAME, VERSION, KIND, FLAGS,                              \
      ::strata::sdk_detail::schema_keys(SCHEMA), ::strata::sdk_detail::schema_size(SCHEMA),        \
      &::strata::sdk_detail::create<BASE, CLASS>,                                                  \
      &::strata::sdk_detail::destroy<BASE>, ::strata::sdk_detail::check_of<CLASS>(),                \
      ::strata::sdk_detail::default_deadline_of<CLASS>(),                                          \
      ::strata::sdk_detail::key_conditions_of<CLASS>(),                                            \
      ::strata::sdk_detail::key_conditions_size_of<CLASS>()};                                      \
    return &descriptor;                                                                            \
  }

/// A layer class `CLASS` constructible from `const strata::layer_context&`. `SCHEMA` is a static
/// array of strata_config_key, or `strata::no_config_keys`; `FLAGS` e.g.
/// STRATA_PLUGIN_FLAG_COOPERATIVE.
#define STRATA_LAYER_PLUGIN(NAME, VERSION, CLASS, SCHEMA, FLAGS)                                   \
  STRATA_PLUGIN_(STRATA_PLUGIN_LAYER, ::strata::layer, NAME, VERSION, CLASS, SCHEMA, FLAGS)

/// An exporter class constructible from `const strata::exporter_context&`.
#define STRATA_EXPORTER_PLUGIN(NAME, VERSION, CLASS, SCHEMA)                                       \
  STRATA_PLUGIN_(STRATA_PLUGIN_EXPORTER, ::strata::exporter, NAME, VERSION, CLASS, SCHEMA, 0u)

/// An embedder class constructible from `const strata::embedder_context&` (ABI 1.2).
#define STRATA_EMBEDDER_PLUGIN(NAME, VERSION, CLASS, SCHEMA)                                       \
  STRATA_PLUGIN_(STRATA_PLUGIN_EMBEDDER, ::strata::embedder, NAME, VERSION, CLASS, SCHEMA, 0u)

/// An alert handler class constructible from `const strata::alert_handler_context&`.
#define STRATA_ALERT_HANDLER_PLUGIN(NAME, VERSION, CLASS, SCHEMA)                                  \
  STRATA_PLUGIN_(STRATA_PLUGIN_ALERT_HANDLER, ::strata::alert_handler, NAME, VERSION, CLASS, SCHEMA, 0u)
