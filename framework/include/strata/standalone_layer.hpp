#pragma once
/// @file standalone_layer.hpp
/// One layer instance made outside a running deployment, by the runtime's own plugin loader, for
/// offline tools (trace replay) that must drive the real layer code. Nothing is started: no actor,
/// no coordinator, no telemetry; the caller calls the layer directly, from one thread at a time.

#include <strata/config.hpp>
#include <strata/expected.hpp>
#include <strata/layer.hpp>

#include <memory>
#include <string>

namespace strata {

/// A layer built exactly as the runtime builds each layer of its chain: its plugin resolved from
/// the deployment's plugin path, files and the default path, refused for the same reasons (ABI,
/// kind, schema), its settings validated against the plugin's schema with defaults filled, and an
/// instance created through the plugin's factory with a host of its own (metrics are kept but never
/// exported; health and log reports go nowhere).
class standalone_layer {
public:
  /// Builds the one layer of `cfg`, which configures exactly one layer and no exporter or alert
  /// handler. The error names what was refused and why, as `runtime::from_config` would.
  static expected<std::unique_ptr<standalone_layer>> create(config cfg);

  ~standalone_layer();
  standalone_layer(const standalone_layer&) = delete;
  standalone_layer& operator=(const standalone_layer&) = delete;

  /// The instance. Not thread-safe: call it from one thread at a time, as the runtime's actor does.
  strata::layer& layer() noexcept;

  /// The plugin's declared name and version, and the file it was loaded from.
  const std::string& plugin_name() const noexcept;
  const std::string& plugin_version() const noexcept;
  const std::string& plugin_origin() const noexcept;

private:
  struct impl;
  explicit standalone_layer(std::unique_ptr<impl> state);
  std::unique_ptr<impl> impl_;
};

} // namespace strata
