#pragma once
// The diary's tables, their versions, and the statements it runs on them.

#include <strata/store.hpp>

#include <vector>

namespace strata::diary {

inline constexpr const char* schema_component = "diary";

/// Every version of the schema, oldest first (see storage/README.md for the rules).
std::vector<storage::migration> schema();

/// Records one statement of archiving moves (or deletes from the archive) at most.
inline constexpr long archive_batch = 10'000;

void prepare_statements(storage::store& db);

namespace sql {
inline constexpr const char* insert = "diary.insert";
inline constexpr const char* count = "diary.count";                 // ns → records
inline constexpr const char* count_archived = "diary.count_archived"; // ns → records
inline constexpr const char* top_queries = "diary.top_queries";     // ns, since_us, limit → query, n
inline constexpr const char* top_sequences = "diary.top_sequences"; // ns, since_us, limit → query, next, n
// A batch of archive_batch records at most, each: the copy, then the delete of the same batch.
inline constexpr const char* archive_copy = "diary.archive_copy";   // older_than_us, min_importance, low_before_us, now, upper, lower → at_us of each copied
inline constexpr const char* archive_delete = "diary.archive_delete"; // older_than_us, min_importance, low_before_us, upper, lower
inline constexpr const char* expire_archive = "diary.expire_archive"; // before_us
inline constexpr const char* archive_in_order = "diary.archive_in_order"; // PostgreSQL: a batch read in the index's order
} // namespace sql

} // namespace strata::diary
