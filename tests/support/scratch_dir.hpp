#pragma once
// A folder of the test's own under the system's temporary directory, removed with everything in
// it when the test ends (also when it fails).

#include <stdlib.h> // mkdtemp

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace strata::test {

class scratch_dir {
public:
  /// Creates `<tmp>/<prefix>-XXXXXX`, a name no other test or run has.
  explicit scratch_dir(const std::string& prefix = "strata-test") {
    auto pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (mkdtemp(pattern.data()) == nullptr)
      throw std::runtime_error("cannot create a scratch folder like " + pattern);
    path = pattern;
  }
  ~scratch_dir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  std::filesystem::path path;
};

} // namespace strata::test
