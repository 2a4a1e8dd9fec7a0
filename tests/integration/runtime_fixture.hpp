#pragma once
// Shared by the integration tests: start a runtime from a test deployment, or fail loudly.

#include <strata/runtime.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace strata::testing {

inline std::string test_config(const std::string& name) {
  return std::string(STRATA_TEST_CONFIG_DIR) + "/" + name;
}

inline std::unique_ptr<runtime> start(const std::string& name, runtime_options options = {}) {
  auto rt = runtime::from_file(test_config(name), std::move(options));
  if (!rt)
    FAIL("runtime did not start: " << rt.err().message);
  return std::move(*rt);
}

/// Polls `condition` for up to `limit`; for effects that happen on another thread.
inline bool eventually(const std::function<bool()>& condition,
                       std::chrono::milliseconds limit = std::chrono::milliseconds(5000)) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (condition())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return condition();
}

} // namespace strata::testing
