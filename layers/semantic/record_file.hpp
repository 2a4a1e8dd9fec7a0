#pragma once
// The semantic layer's entries kept in a SQLite file through the Store: one row per entry, written
// through as entries change, read back at start to rebuild the index.

#include "entry_table.hpp"
#include "semantic_cache.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace strata::semantic_layer {

class record_file {
public:
  /// Opens (creating it and its folder when missing) and migrates the file. Throws
  /// std::runtime_error naming the file when it is not a database, holds a newer schema than this
  /// build knows, cannot be opened, or is in use by another process or another layer of this one
  /// (`layer`: the name of the layer that keeps it).
  record_file(std::string sqlite_path, const std::string& layer);

  const std::string& path() const noexcept { return table_.path(); }

  /// The entries not expired at `now_ms` (the expired ones are deleted from the file); throws std::runtime_error naming the file on a row that
  /// cannot be read (a vector blob of a size that is not whole floats, tags that are not a list).
  std::vector<semantic_record> load(std::int64_t now_ms);

  /// The largest id ever saved (0: none), erased entries included.
  std::uint64_t largest_id() { return table_.largest_id(); }

  /// Inserts or replaces every entry in one transaction; throws storage::store_error.
  void save(const std::vector<semantic_record>& entries);
  /// Deletes the entry; throws storage::store_error.
  void remove(std::uint64_t id) { table_.remove(id); }

private:
  vector_index::entry_table table_;
};

} // namespace strata::semantic_layer
