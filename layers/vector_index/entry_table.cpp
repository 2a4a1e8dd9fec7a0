#include "entry_table.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>
#include <string_view>

namespace strata::vector_index {

namespace {

/// The columns `select` (SELECT a, b, c FROM ...) reads, in order.
std::vector<std::string> columns_of(const std::string& select) {
  std::vector<std::string> out;
  const auto from = select.find(" FROM ");
  if (from == std::string::npos)
    return out; // no names: the store's message is given as it is
  std::size_t at = select.find(' ') + 1;
  while (at < from) {
    const auto end = std::min(select.find(',', at), from);
    out.push_back(select.substr(at, end - at));
    at = end + 1;
    while (at < from && select[at] == ' ')
      ++at;
  }
  return out;
}

/// The store's "column N is not an integer" of a row that cannot be read, with the column's name
/// and the entry's id: "column 8 is not an integer" sent the operator to no table, column or row
/// (audit).
std::string unreadable_row(const storage::row& r, const std::vector<std::string>& columns, const std::string& why) {
  std::string where = "a row";
  try {
    where = "entry " + std::to_string(r.integer(0));
  } catch (const storage::store_error&) {
  }
  std::size_t column = 0, digits = 0;
  constexpr std::string_view lead = "column ";
  if (why.compare(0, lead.size(), lead) == 0) {
    while (lead.size() + digits < why.size() && std::isdigit(static_cast<unsigned char>(why[lead.size() + digits])))
      column = column * 10 + static_cast<std::size_t>(why[lead.size() + digits++] - '0');
  }
  if (digits == 0 || column >= columns.size())
    return where + ": " + why;
  const auto named = why.substr(0, lead.size() + digits) + " (" + columns[column] + ")" + why.substr(lead.size() + digits);
  return where + ": " + named;
}

} // namespace

entry_table::entry_table(std::string sqlite_path, entry_table_sql sql, const std::string& layer)
  : path_(std::move(sqlite_path)), sql_(std::move(sql)) {
  try {
    storage::store_options o;
    o.backend = storage::dialect::sqlite;
    o.sqlite_path = path_;
    db_ = storage::open_store(o); // creates the folder
    claim_ = file_claim::take(path_, layer); // before anything is written
    if (const auto problem = storage::other_layer_in(*db_, sql_.component); !problem.empty())
      throw std::runtime_error("it " + problem);
    db_->migrate(sql_.component, sql_.schema);
    db_->prepare(name("upsert"), sql_.upsert);
    db_->prepare(name("remove"), sql_.remove_one);
    db_->prepare(name("select_live"), sql_.select_live);
    db_->prepare(name("remove_expired"), sql_.remove_expired);
    db_->prepare(name("raise_largest"), sql_.raise_largest);
    db_->prepare(name("select_largest"), sql_.select_largest);
  } catch (const std::exception& e) {
    fail(e);
  }
}

std::string entry_table::name(const char* statement) const {
  return sql_.component + "." + statement;
}

void entry_table::fail(const std::exception& e) const {
  // Led by the key, the start's error is placed at it (`FILE:LINE:COL: layers[0].config.sqlite_path`).
  std::string_view why = e.what();
  constexpr std::string_view key = "sqlite_path: ";
  if (why.substr(0, key.size()) == key) // the store's own refusal names the key too
    why.remove_prefix(key.size());
  throw std::runtime_error(std::string(key) + sql_.owner + ": persistence file '" + path_ + "': " + std::string(why));
}

std::uint64_t entry_table::largest_id() {
  try {
    const auto rows = db_->query(name("select_largest"));
    return rows.empty() ? 0 : static_cast<std::uint64_t>(rows.front().integer(0));
  } catch (const std::exception& e) {
    fail(e);
  }
}

void entry_table::load(std::int64_t now_ms, const std::function<void(const storage::row&)>& read) {
  try {
    db_->execute(name("remove_expired"), {now_ms});
    const auto columns = columns_of(sql_.select_live);
    for (const auto& r : db_->query(name("select_live"), {now_ms})) {
      try {
        read(r);
      } catch (const storage::store_error& e) {
        throw std::runtime_error(unreadable_row(r, columns, e.what()));
      }
    }
  } catch (const std::exception& e) {
    fail(e);
  }
}

void entry_table::save(const std::vector<storage::params>& rows, std::uint64_t largest) {
  db_->transact([&](storage::session& s) {
    for (const auto& r : rows)
      s.execute(name("upsert"), r);
    s.execute(name("raise_largest"), {static_cast<std::int64_t>(largest)});
  });
}

void entry_table::remove(std::uint64_t id) {
  db_->execute(name("remove"), {static_cast<std::int64_t>(id)});
}

storage::blob vector_blob(const std::vector<float>& v) {
  std::string bytes(v.size() * sizeof(float), '\0');
  if (!v.empty())
    std::memcpy(bytes.data(), v.data(), bytes.size());
  return storage::blob{std::move(bytes)};
}

std::vector<float> vector_from_blob(std::uint64_t id, const std::string& bytes) {
  if (bytes.size() % sizeof(float) != 0)
    throw std::runtime_error("entry " + std::to_string(id) + ": a vector of " + std::to_string(bytes.size()) +
                             " bytes is not whole floats");
  std::vector<float> v(bytes.size() / sizeof(float));
  if (!bytes.empty())
    std::memcpy(v.data(), bytes.data(), bytes.size());
  return v;
}

std::string tags_text(const std::vector<std::string>& tags) {
  return nlohmann::json(tags).dump();
}

std::vector<std::string> tags_from_text(std::uint64_t id, const std::string& text) {
  try {
    return nlohmann::json::parse(text).get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error("entry " + std::to_string(id) + ": its tags are not a JSON list of strings (" + e.what() +
                             ")");
  }
}

} // namespace strata::vector_index
