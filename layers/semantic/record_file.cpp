#include "record_file.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace strata::semantic_layer {

namespace {

constexpr const char* component = "semantic_layer";
constexpr const char* upsert = "semantic_layer.upsert";
constexpr const char* remove_one = "semantic_layer.remove";
constexpr const char* select_live = "semantic_layer.select_live";
constexpr const char* remove_expired = "semantic_layer.remove_expired";
constexpr const char* raise_largest = "semantic_layer.raise_largest";
constexpr const char* select_largest = "semantic_layer.select_largest";

std::vector<storage::migration> schema() {
  // Version 1. The vector is its floats as bytes (native order: the file stays on its machine);
  // tags are a JSON list of strings. One row of strata_semantic_ids keeps the largest id ever given,
  // so that the id of an entry erased before a restart is not given again.
  return {{1,
           "semantic entries",
           {"CREATE TABLE strata_semantic_entries (id INTEGER PRIMARY KEY, ns TEXT NOT NULL, model TEXT NOT NULL, "
            "vector BLOB NOT NULL, query BLOB NOT NULL, answer BLOB NOT NULL, metadata BLOB NOT NULL, tags TEXT NOT NULL, expires_at_ms INTEGER NOT NULL)",
            "CREATE TABLE strata_semantic_ids (one INTEGER PRIMARY KEY CHECK (one = 1), largest INTEGER NOT NULL)"},
           {"CREATE TABLE strata_semantic_entries (id BIGINT PRIMARY KEY, ns TEXT NOT NULL, model TEXT NOT NULL, "
            "vector BYTEA NOT NULL, query BYTEA NOT NULL, answer BYTEA NOT NULL, metadata BYTEA NOT NULL, tags TEXT NOT NULL, expires_at_ms BIGINT NOT NULL)",
            "CREATE TABLE strata_semantic_ids (one INTEGER PRIMARY KEY CHECK (one = 1), largest BIGINT NOT NULL)"}}};
}

std::string floats_to_bytes(const std::vector<float>& v) {
  std::string bytes(v.size() * sizeof(float), '\0');
  if (!v.empty())
    std::memcpy(bytes.data(), v.data(), bytes.size());
  return bytes;
}

storage::params row_of(const semantic_record& e) {
  return {static_cast<std::int64_t>(e.id), e.ns, e.model, storage::blob{floats_to_bytes(e.vector)},
          storage::blob{e.query}, storage::blob{e.answer}, storage::blob{e.metadata}, nlohmann::json(e.tags).dump(), e.expires_at_ms};
}

} // namespace


record_file::record_file(std::string sqlite_path) : path_(std::move(sqlite_path)) {
  try {
    storage::store_options o;
    o.backend = storage::dialect::sqlite;
    o.sqlite_path = path_;
    db_ = storage::open_store(o);
    db_->migrate(component, schema());
    db_->prepare(upsert, "INSERT INTO strata_semantic_entries (id, ns, model, vector, query, answer, metadata, tags, "
                         "expires_at_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO UPDATE SET "
                         "ns = excluded.ns, model = excluded.model, vector = excluded.vector, query = excluded.query, "
                         "answer = excluded.answer, metadata = excluded.metadata, "
                         "tags = excluded.tags, expires_at_ms = excluded.expires_at_ms");
    db_->prepare(remove_one, "DELETE FROM strata_semantic_entries WHERE id = $1");
    db_->prepare(select_live, "SELECT id, ns, model, vector, query, answer, metadata, tags, expires_at_ms "
                              "FROM strata_semantic_entries "
                              "WHERE expires_at_ms = 0 OR expires_at_ms > $1 ORDER BY id");
    db_->prepare(remove_expired, "DELETE FROM strata_semantic_entries WHERE expires_at_ms <> 0 AND expires_at_ms <= $1");
    db_->prepare(raise_largest, "INSERT INTO strata_semantic_ids (one, largest) VALUES (1, $1) ON CONFLICT (one) DO "
                                "UPDATE SET largest = MAX(strata_semantic_ids.largest, excluded.largest)");
    db_->prepare(select_largest, "SELECT largest FROM strata_semantic_ids");
  } catch (const std::exception& e) {
    throw std::runtime_error("semantic layer: persistence file '" + path_ + "': " + e.what());
  }
}

std::uint64_t record_file::largest_id() {
  try {
    const auto rows = db_->query(select_largest);
    return rows.empty() ? 0 : static_cast<std::uint64_t>(rows.front().integer(0));
  } catch (const std::exception& e) {
    throw std::runtime_error("semantic layer: persistence file '" + path_ + "': " + e.what());
  }
}

std::vector<semantic_record> record_file::load(std::int64_t now_ms) {
  std::vector<semantic_record> out;
  try {
    db_->execute(remove_expired, {now_ms});
    for (const auto& r : db_->query(select_live, {now_ms})) {
      semantic_record e;
      e.id = static_cast<std::uint64_t>(r.integer(0));
      e.ns = r.text(1);
      e.model = r.text(2);
      const auto bytes = r.text(3);
      if (bytes.size() % sizeof(float) != 0)
        throw std::runtime_error("entry " + std::to_string(e.id) + ": a vector of " + std::to_string(bytes.size()) +
                                 " bytes is not whole floats");
      e.vector.resize(bytes.size() / sizeof(float));
      if (!bytes.empty())
        std::memcpy(e.vector.data(), bytes.data(), bytes.size());
      e.query = r.text(4);
      e.answer = r.text(5);
      e.metadata = r.text(6);
      e.tags = nlohmann::json::parse(r.text(7)).get<std::vector<std::string>>();
      e.expires_at_ms = r.integer(8);
      out.push_back(std::move(e));
    }
  } catch (const std::exception& e) {
    throw std::runtime_error("semantic layer: persistence file '" + path_ + "': " + e.what());
  }
  return out;
}

void record_file::save(const std::vector<semantic_record>& entries) {
  db_->transact([&](storage::session& s) {
    std::uint64_t largest = 0;
    for (const auto& e : entries) {
      s.execute(upsert, row_of(e));
      largest = std::max(largest, e.id);
    }
    s.execute(raise_largest, {static_cast<std::int64_t>(largest)});
  });
}

void record_file::remove(std::uint64_t id) {
  db_->execute(remove_one, {static_cast<std::int64_t>(id)});
}

} // namespace strata::semantic_layer
