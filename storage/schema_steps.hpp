#pragma once
// What both backends do to migrate a component's schema, given the backend's own way of running
// DDL and of reading and writing the recorded version inside the migration's transaction.

#include <strata/store.hpp>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

namespace strata::storage::detail {

/// The table that records each component's schema version (the same in both dialects).
inline constexpr const char* version_table_ddl =
  "CREATE TABLE IF NOT EXISTS strata_schema_version (component TEXT PRIMARY KEY, version INTEGER NOT NULL, "
  "description TEXT NOT NULL, applied_at_us BIGINT NOT NULL)";

/// Why a database whose `component` is at `version` is refused by a build that knows `known` steps
/// of it; `where` names the database ("in the database", "in 'FILE'").
inline std::string newer_schema(const std::string& component, const std::string& where, int version, int known) {
  return "schema of '" + component + "' " + where + " is version " + std::to_string(version) +
         ", newer than this build knows (" + std::to_string(known) + "): upgrade strata or use another database";
}

struct schema_access {
  std::function<void(const std::string&)> run_ddl;
  std::function<int()> current;                    ///< 0 when the component has no row
  std::function<void(const migration&)> record;    ///< writes the step's version
};

/// Applies the steps newer than the recorded version, in order; returns the final version.
/// `where` names the database in a refusal ("in the database", "in 'FILE'").
inline int apply_steps(const std::string& component, std::vector<migration> steps, dialect d,
                       const schema_access& db, const std::string& where) {
  std::sort(steps.begin(), steps.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
  for (std::size_t i = 0; i < steps.size(); ++i)
    if (steps[i].version != static_cast<int>(i) + 1)
      throw store_error(status::invalid, "schema of '" + component + "': migrations must be numbered 1, 2, 3, ... "
                                         "without gaps; step " + std::to_string(i + 1) + " is numbered " +
                                         std::to_string(steps[i].version));
  const int known = static_cast<int>(steps.size());
  const int version = db.current();
  if (version > known)
    throw store_error(status::invalid, newer_schema(component, where, version, known));
  // Below 0 the steps all ran again on the tables they had made ("table ... already exists").
  if (version < 0)
    throw store_error(status::invalid, "schema of '" + component + "' " + where + " is version " +
                                         std::to_string(version) + ", which no build writes: the database was "
                                         "changed outside strata");
  // A step still to apply with nothing for this backend would be recorded as done, and never run
  // once written: refused before any is applied (one that is done already is left alone).
  const char* backend = d == dialect::sqlite ? "sqlite" : "postgres";
  const auto statements_of = [d](const migration& step) -> const std::vector<std::string>& {
    return d == dialect::sqlite ? step.sqlite : step.postgres;
  };
  for (const auto& step : steps)
    if (step.version > version && statements_of(step).empty())
      throw store_error(status::invalid, "schema of '" + component + "': step " + std::to_string(step.version) +
                                           " ('" + step.description + "') has no statement for " + backend +
                                           " (migration::" + backend + " is empty; a step for the other backend "
                                           "only takes 'SELECT 1' here): it would be recorded as applied");
  for (const auto& step : steps) {
    if (step.version <= version)
      continue;
    for (const auto& ddl : statements_of(step))
      db.run_ddl(ddl);
    db.record(step);
  }
  return std::max(version, known);
}

} // namespace strata::storage::detail
