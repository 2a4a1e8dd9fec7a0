// Prints the shared sample snapshot as JSON (as the json exporter writes it), for the end-to-end
// tests of `strata dashboard`.
#include "sample_telemetry.hpp"
#include "snapshot_json.hpp"

#include <iostream>

int main() {
  std::cout << strata::telemetry::to_json_text(strata::testing::sample_snapshot(), true) << "\n";
  return std::cout ? 0 : 1;
}
