#pragma once
// Shared by the integration tests: start a runtime from a test deployment, or fail loudly.

#include <strata/runtime.hpp>

#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>

namespace strata::testing {

#ifdef STRATA_TEST_CONFIG_DIR // the tests that keep their deployments in files, in that folder
inline std::string test_config(const std::string& name) {
  return std::string(STRATA_TEST_CONFIG_DIR) + "/" + name;
}

inline std::unique_ptr<runtime> start(const std::string& name, runtime_options options = {}) {
  auto rt = runtime::from_file(test_config(name), std::move(options));
  if (!rt)
    FAIL("runtime did not start: " << rt.err().message);
  return std::move(*rt);
}
#endif

/// Starts a deployment written inline in a test.
inline std::unique_ptr<runtime> start_yaml(const std::string& yaml, runtime_options options = {}) {
  auto parsed = parse_config(yaml, "inline.yaml");
  if (!parsed.ok())
    FAIL("bad test YAML: " << parsed.errors_text());
  auto rt = runtime::from_config(*parsed.effective, std::move(options));
  if (!rt)
    FAIL("runtime did not start: " << rt.err().message);
  return std::move(*rt);
}

/// The error a deployment written inline fails to start with; fails the test if it starts.
inline std::string start_error(const std::string& yaml) {
  auto parsed = parse_config(yaml, "inline.yaml");
  if (!parsed.ok())
    FAIL("bad test YAML: " << parsed.errors_text());
  auto rt = runtime::from_config(*parsed.effective);
  if (rt)
    FAIL("the runtime started, but should have been refused");
  return rt.err().message;
}

/// What `promtool check metrics` says of an exposition: its exit status and output.
inline std::pair<int, std::string> promtool_check_metrics(const std::string& exposition, const std::string& promtool) {
  const auto path = std::filesystem::temp_directory_path() / ("strata_exposition_" + std::to_string(::getpid()));
  std::ofstream(path) << exposition;
  const std::string command = promtool + " check metrics < " + path.string() + " 2>&1";
  std::FILE* pipe = ::popen(command.c_str(), "r");
  std::string output;
  if (pipe == nullptr)
    return {-1, "cannot run " + command};
  char chunk[512];
  while (std::fgets(chunk, sizeof chunk, pipe) != nullptr)
    output += chunk;
  const int status = ::pclose(pipe);
  std::filesystem::remove(path);
  return {status, output};
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
