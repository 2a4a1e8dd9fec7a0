#include "commands.hpp"
#include "hidden_secrets.hpp"
#include "served_defaults.hpp"

#include <strata/runtime.hpp>
#include <strata/secrets.hpp>

#include <iostream>
#include <string>

namespace strata::server {

int check_config(const std::string& path) {
  auto report = check_config_file(path);
  if (!report.ok()) {
    std::cerr << without_password(report.errors_text()); // a plugin's reason may quote a URL
    std::cerr << report.errors.size() << (report.errors.size() == 1 ? " error" : " errors") << " in " << path << "\n";
    return 1;
  }
  // Not an error here: the file may be meant for a host that embeds the runtime.
  if (const auto refused = refused_as_served(*report.effective); !refused.empty())
    std::cerr << without_password("note: strata serve would refuse " + path + ": " + refused) << "\n";
  config shown = *report.effective;
  // The output lands in terminals and CI logs; the token is a secret. Saying that it is set is
  // enough to check that its ${VAR} expanded.
  if (!shown.server.http.token.empty())
    shown.server.http.token = "(set, hidden)";
  for (auto& layer : shown.layers)
    hide_secrets(layer.settings);
  for (auto* instances : {&shown.exporters, &shown.embedders, &shown.alerts.handlers})
    for (auto& instance : *instances)
      hide_secrets(instance.settings);
  std::cout << to_yaml(shown) << "\n";
  return 0;
}

} // namespace strata::server
