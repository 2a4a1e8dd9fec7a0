#pragma once
/// @file nothing_layer.hpp
/// A layer that holds nothing and refuses nothing: for the test plugins that exist for their
/// descriptor (a name taken twice, a flag), not for what they store, and to derive the test
/// layers built into a test from (static_layer.hpp), which override what they are about.

#include <strata/sdk.hpp>

namespace strata::test_plugins {

class nothing_layer : public layer {
public:
  explicit nothing_layer(const layer_context&) {}
  status get(std::string_view, std::string_view, layer_hit&) override { return status::not_found; }
  status put(std::string_view, std::string_view, std::string_view, const entry_options&) override { return status::ok; }
  status erase(std::string_view, std::string_view) override { return status::not_found; }
  std::size_t invalidate_tag(std::string_view, std::string_view) override { return 0; }
};

} // namespace strata::test_plugins
