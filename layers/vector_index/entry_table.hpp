#pragma once
// A layer's vector entries kept in a SQLite file through the Store, so that they survive a
// restart: written through as entries change, read back at start to rebuild the index. The
// semantic and the vector layer keep theirs this way and differ only in their columns, so each
// gives its constant SQL and turns its entries into rows and back; this class does the rest (the
// library strata_vector_entry_table).

#include "file_claim.hpp"

#include <strata/store.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace strata::vector_index {

/// What one layer's file runs: constant SQL text with `$n` placeholders.
struct entry_table_sql {
  std::string component; ///< the schema's component; statement names start with it
  std::string owner;     ///< who keeps the file, for errors ("semantic layer")
  std::vector<storage::migration> schema;
  std::string upsert;         ///< inserts or replaces an entry, every column; $1 is the id
  std::string remove_one;     ///< $1: the id
  std::string select_live;    ///< $1: now in ms; the id first, in id order
  std::string remove_expired; ///< $1: now in ms
  std::string raise_largest;  ///< $1: the largest id saved (kept if larger)
  std::string select_largest; ///< one row, one column, or none
};

class entry_table {
public:
  /// Opens (creating it and its folder when missing) and migrates the file. Throws
  /// std::runtime_error naming the owner and the file when it is not a database, holds a newer
  /// schema than this build knows, cannot be opened, or another process or another layer of this
  /// one has it open (file_claim; `layer` is the name of the layer that keeps it).
  entry_table(std::string sqlite_path, entry_table_sql sql, const std::string& layer);

  const std::string& path() const noexcept { return path_; }

  /// The largest id ever saved (0: none), erased entries included.
  std::uint64_t largest_id();

  /// Deletes the rows expired at `now_ms`, then passes each live row to `read`, in id order. What
  /// `read` or the file throws comes back as std::runtime_error naming the owner and the file.
  void load(std::int64_t now_ms, const std::function<void(const storage::row&)>& read);

  /// Inserts or replaces the rows (`upsert`'s parameters) and raises the largest id to `largest`,
  /// in one transaction; throws storage::store_error.
  void save(const std::vector<storage::params>& rows, std::uint64_t largest);

  /// Deletes an entry; throws storage::store_error.
  void remove(std::uint64_t id);

private:
  std::string name(const char* statement) const;
  [[noreturn]] void fail(const std::exception& e) const;

  std::string path_;
  entry_table_sql sql_;
  std::shared_ptr<const file_claim> claim_; ///< declared before db_: released after it is closed
  std::unique_ptr<storage::store> db_;
};

/// A vector as the bytes of its floats (native order: the file stays on its machine).
storage::blob vector_blob(const std::vector<float>& v);
/// The floats back; throws std::runtime_error naming entry `id` when the bytes are not whole floats.
std::vector<float> vector_from_blob(std::uint64_t id, const std::string& bytes);
/// Tags as a JSON list of strings, and back; throws std::runtime_error naming entry `id` on
/// anything but such a list.
std::string tags_text(const std::vector<std::string>& tags);
std::vector<std::string> tags_from_text(std::uint64_t id, const std::string& text);

} // namespace strata::vector_index
