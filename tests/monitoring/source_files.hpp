#pragma once
// What the monitoring tests share: reading files of the source tree, and running a command.

#include <cstdio>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

namespace strata::testing {

/// The text of `path`, relative to the source tree's root.
inline std::string source_file(const std::string& path) {
  std::ifstream in(std::string(STRATA_SOURCE_DIR) + "/" + path);
  if (!in)
    throw std::runtime_error("cannot read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

struct command_result {
  int exit_status = -1;
  std::string output; ///< stdout and stderr
};

inline command_result run_command(const std::string& command) {
  command_result result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr)
    return result;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe) != nullptr)
    result.output += buffer;
  result.exit_status = ::pclose(pipe);
  return result;
}

} // namespace strata::testing
