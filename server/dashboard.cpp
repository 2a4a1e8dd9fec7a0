#include "commands.hpp"

#include "dashboard_html.hpp"
#include "snapshot_json.hpp"

#include <strata/runtime.hpp>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace strata::server {

int dashboard(const std::string& snapshot_path, const std::string& output_path) {
  // A directory opens as a stream that reads nothing, which would be reported as "not JSON".
  std::error_code ec;
  if (std::filesystem::is_directory(snapshot_path, ec)) {
    std::cerr << "strata dashboard: cannot read " << snapshot_path << ": it is a directory\n";
    return 1;
  }
  std::ifstream in(snapshot_path, std::ios::binary);
  if (!in) {
    std::cerr << "strata dashboard: cannot read " << snapshot_path << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto snapshot = telemetry::snapshot_from_json(text.str());
  if (!snapshot) {
    std::cerr << "strata dashboard: " << snapshot_path << ": " << snapshot.err().message << "\n";
    return 1;
  }
  const std::string html = telemetry::render_dashboard(*snapshot);
  if (output_path.empty()) { // main says, and exits 1, when standard output cannot take it
    std::cout << html;
    return 0;
  }
  std::ofstream out(output_path, std::ios::binary);
  out << html;
  out.close();
  if (!out) {
    std::cerr << "strata dashboard: cannot write " << output_path << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  return 0;
}

std::optional<std::string> snapshot_file_of(const std::string& path) {
  const auto report = check_config_file(path);
  if (!report.ok()) {
    std::cerr << report.errors_text();
    return std::nullopt;
  }
  for (const auto& exporter : report.effective->exporters) {
    if (exporter.plugin != "json")
      continue;
    const auto& settings = exporter.settings;
    if (settings.at("mode") == "snapshot" && settings.at("path") != "-")
      return settings.at("path");
  }
  std::cerr << "strata dashboard: " << path
            << ": no exporter with plugin json, mode snapshot and a file path; add one, or give --snapshot FILE\n";
  return std::nullopt;
}

} // namespace strata::server
