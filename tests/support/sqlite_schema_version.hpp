#pragma once
// A SQLite file left by a later build: for the tests of a layer that refuses to start on a schema
// newer than its own.

#include <strata/store.hpp>

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>

namespace strata::test {

/// Sets `component`'s schema version in the SQLite file `file` to `version`, as a build that
/// migrated it further would leave it; throws std::runtime_error when the file has no such row.
inline void set_sqlite_schema_version(const std::filesystem::path& file, const std::string& component, int version) {
  auto db = storage::open_store({storage::dialect::sqlite, "", file.string()});
  db->prepare("set_version", "UPDATE strata_schema_version SET version = $1 WHERE component = $2");
  if (db->execute("set_version", {std::int64_t{version}, component}) != 1)
    throw std::runtime_error("no schema version of " + component + " in " + file.string());
}

} // namespace strata::test
