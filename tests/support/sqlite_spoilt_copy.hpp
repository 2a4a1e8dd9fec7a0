#pragma once
// A copy of a layer's SQLite file with one row changed outside strata (damaged, or edited by
// hand): for the tests of what a layer says of such a file at start.

#include <strata/store.hpp>

#include <filesystem>
#include <stdexcept>
#include <string>

namespace strata::test {

/// Copies `file` to `copy` (replacing it) and runs `statement` there, which must change one row.
inline void spoilt_copy(const std::filesystem::path& file, const std::filesystem::path& copy,
                        const std::string& statement) {
  std::filesystem::copy_file(file, copy, std::filesystem::copy_options::overwrite_existing);
  auto db = storage::open_store({storage::dialect::sqlite, "", copy.string()});
  db->prepare("spoil", statement);
  if (db->execute("spoil") != 1)
    throw std::runtime_error("'" + statement + "' did not change one row of " + copy.string());
}

} // namespace strata::test
