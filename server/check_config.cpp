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
  config shown = *report.effective;
  // The output lands in terminals and CI logs; the token is a secret. Saying that it is set is
  // enough to check that its ${VAR} expanded.
  if (!shown.server.http.token.empty())
    shown.server.http.token = "(set, hidden)";
  std::cout << to_yaml(shown) << "\n";
  return 0;
}

} // namespace strata::server
