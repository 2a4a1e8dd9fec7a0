#include "commands.hpp"

#include <strata/runtime.hpp>

#include <iostream>

namespace strata::server {

int check_config(const std::string& path) {
  auto report = check_config_file(path);
  if (!report.ok()) {
    std::cerr << report.errors_text();
    std::cerr << report.errors.size() << (report.errors.size() == 1 ? " error" : " errors") << " in " << path << "\n";
    return 1;
  }
  std::cout << to_yaml(*report.effective) << "\n";
  return 0;
}

} // namespace strata::server
