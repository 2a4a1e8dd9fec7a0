#include "entry_file.hpp"

#include <algorithm>

namespace strata::vector_layer {

namespace {

vector_index::entry_table_sql vector_sql() {
  // Schema version 1. One row of strata_vector_ids keeps the largest id ever given, so that the id
  // of an entry erased before a restart is not given again.
  return {"vector_layer",
          "vector layer",
          {{1,
            "vector entries",
            {"CREATE TABLE strata_vector_entries (id INTEGER PRIMARY KEY, ns TEXT NOT NULL, model TEXT NOT NULL, "
             "vector BLOB NOT NULL, metadata BLOB NOT NULL, tags TEXT NOT NULL, expires_at_ms INTEGER NOT NULL)",
             "CREATE TABLE strata_vector_ids (one INTEGER PRIMARY KEY CHECK (one = 1), largest INTEGER NOT NULL)"},
            {"CREATE TABLE strata_vector_entries (id BIGINT PRIMARY KEY, ns TEXT NOT NULL, model TEXT NOT NULL, "
             "vector BYTEA NOT NULL, metadata BYTEA NOT NULL, tags TEXT NOT NULL, expires_at_ms BIGINT NOT NULL)",
             "CREATE TABLE strata_vector_ids (one INTEGER PRIMARY KEY CHECK (one = 1), largest BIGINT NOT NULL)"}}},
          "INSERT INTO strata_vector_entries (id, ns, model, vector, metadata, tags, expires_at_ms) "
          "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET ns = excluded.ns, "
          "model = excluded.model, vector = excluded.vector, metadata = excluded.metadata, "
          "tags = excluded.tags, expires_at_ms = excluded.expires_at_ms",
          "DELETE FROM strata_vector_entries WHERE id = $1",
          "SELECT id, ns, model, vector, metadata, tags, expires_at_ms FROM strata_vector_entries "
          "WHERE expires_at_ms = 0 OR expires_at_ms > $1 ORDER BY id",
          "DELETE FROM strata_vector_entries WHERE expires_at_ms <> 0 AND expires_at_ms <= $1",
          "INSERT INTO strata_vector_ids (one, largest) VALUES (1, $1) ON CONFLICT (one) DO "
          "UPDATE SET largest = MAX(strata_vector_ids.largest, excluded.largest)",
          "SELECT largest FROM strata_vector_ids"};
}

} // namespace

entry_file::entry_file(std::string sqlite_path, const std::string& layer)
  : table_(std::move(sqlite_path), vector_sql(), layer) {
}

std::vector<vector_entry> entry_file::load(std::int64_t now_ms) {
  std::vector<vector_entry> out;
  table_.load(now_ms, [&](const storage::row& r) {
    vector_entry e;
    e.id = static_cast<std::uint64_t>(r.integer(0));
    e.ns = r.text(1);
    e.model = r.text(2);
    e.vector = vector_index::vector_from_blob(e.id, r.text(3));
    e.metadata = r.text(4);
    e.tags = vector_index::tags_from_text(e.id, r.text(5));
    e.expires_at_ms = r.integer(6);
    out.push_back(std::move(e));
  });
  return out;
}

void entry_file::save(const std::vector<vector_entry>& entries) {
  std::vector<storage::params> rows;
  std::uint64_t largest = 0;
  for (const auto& e : entries) {
    rows.push_back({static_cast<std::int64_t>(e.id), e.ns, e.model, vector_index::vector_blob(e.vector),
                    storage::blob{e.metadata}, vector_index::tags_text(e.tags), e.expires_at_ms});
    largest = std::max(largest, e.id);
  }
  table_.save(rows, largest);
}

} // namespace strata::vector_layer
