// The backend-independent parts of the Store: row accessors, the one-statement shortcuts, and
// the choice of backend.

#include "connection_string.hpp"
#include "postgres_store.hpp"
#include "sqlite_store.hpp"

#include <strata/store.hpp>
#include <strata/utf8.hpp>

#include <algorithm>
#include <utility>

namespace strata::storage {

const value& row::at(std::size_t i) const {
  if (i >= values_.size())
    throw store_error(status::invalid, "column " + std::to_string(i) + " of a row of " +
                                         std::to_string(values_.size()) + " columns");
  return values_[i];
}

std::int64_t row::integer(std::size_t i) const {
  const auto& v = at(i);
  if (auto p = std::get_if<std::int64_t>(&v))
    return *p;
  if (auto p = std::get_if<double>(&v))
    return static_cast<std::int64_t>(*p);
  if (auto p = std::get_if<std::string>(&v)) {
    try {
      std::size_t used = 0;
      auto n = std::stoll(*p, &used);
      if (used == p->size())
        return n;
    } catch (const std::exception&) {
    }
  }
  throw store_error(status::invalid, "column " + std::to_string(i) + " is not an integer");
}

double row::real(std::size_t i) const {
  const auto& v = at(i);
  if (auto p = std::get_if<double>(&v))
    return *p;
  if (auto p = std::get_if<std::int64_t>(&v))
    return static_cast<double>(*p);
  if (auto p = std::get_if<std::string>(&v)) {
    try {
      std::size_t used = 0;
      auto d = std::stod(*p, &used);
      if (used == p->size())
        return d;
    } catch (const std::exception&) {
    }
  }
  throw store_error(status::invalid, "column " + std::to_string(i) + " is not a number");
}

std::string row::text(std::size_t i) const {
  const auto& v = at(i);
  if (auto p = std::get_if<std::string>(&v))
    return *p;
  if (auto p = std::get_if<blob>(&v))
    return p->bytes;
  if (auto p = std::get_if<std::int64_t>(&v))
    return std::to_string(*p);
  if (std::holds_alternative<std::monostate>(v))
    throw store_error(status::invalid, "column " + std::to_string(i) + " is NULL");
  throw store_error(status::invalid, "column " + std::to_string(i) + " is not text");
}

std::vector<row> store::query(std::string_view statement, const params& args) {
  std::vector<row> out;
  transact([&](session& s) { out = s.query(statement, args); });
  return out;
}

std::uint64_t store::execute(std::string_view statement, const params& args) {
  std::uint64_t changed = 0;
  transact([&](session& s) { changed = s.execute(statement, args); });
  return changed;
}

void store::execute_batch(std::string_view statement, const std::vector<params>& batch) {
  transact([&](session& s) {
    for (const auto& args : batch)
      s.execute(statement, args);
  });
}

bool store::holds_text(std::string_view text) const noexcept {
  return dialect() == dialect::sqlite ||
         (text.find('\0') == std::string_view::npos && invalid_utf8_at(text) == std::string_view::npos);
}

std::string other_layer_in(store& db, const std::string& mine) {
  db.schema_version(mine); // creates the table of versions when the database has none
  db.prepare("strata.schema.components", "SELECT component FROM strata_schema_version ORDER BY component");
  for (const auto& r : db.query("strata.schema.components"))
    if (r.text(0) != mine)
      return "holds the data of another layer (schema '" + r.text(0) + "'): give each layer its own sqlite_path";
  return {};
}

std::string storable_text(std::string_view text) {
  static constexpr std::string_view replacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) { // one pass: a key may be megabytes of bad bytes
    const auto length = text[i] == '\0' ? 0 : utf8_sequence_length(text.substr(i));
    if (length == 0) {
      out.append(replacement);
      ++i;
    } else {
      out.append(text.substr(i, length));
      i += length;
    }
  }
  return out;
}

std::unique_ptr<store> open_store(const store_options& options) {
  if (options.backend == dialect::sqlite)
    return std::make_unique<detail::sqlite_store>(options);
  auto resolved = options;
  auto dsn = detail::connection_string_of(options.dsn);
  if (dsn.text.empty())
    throw store_error(status::invalid, "postgres: no connection string (set dsn, or STRATA_PG_DSN)");
  if (resolved.pool_size == 0)
    throw store_error(status::invalid, "postgres: pool_size must be at least 1");
  resolved.dsn = std::move(dsn.text);
  return std::make_unique<detail::postgres_store>(resolved, std::move(dsn.origin));
}

} // namespace strata::storage
