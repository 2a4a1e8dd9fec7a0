#pragma once
// The global layer's tables, their versions, and the statements it runs on them.

#include <strata/store.hpp>

#include <vector>

namespace strata::global {

/// The component name under which the schema version is recorded.
inline constexpr const char* schema_component = "global";

/// Every version of the schema, oldest first (see storage/README.md for the rules).
std::vector<storage::migration> schema();

/// Rows the entry count reads at most on PostgreSQL; from as many on, the count is PostgreSQL's
/// estimate when that is larger.
inline constexpr long exact_count_below = 1'000'000;

/// Rows one statement of maintenance deletes at most (expired entries; on PostgreSQL old changes too).
inline constexpr long maintenance_batch = 10'000;

/// Registers the layer's statements below on `db`.
void prepare_statements(storage::store& db);
/// Registers the listener's (PostgreSQL only; they need no table until a replay).
void prepare_listener_statements(storage::store& db);

namespace sql {
inline constexpr const char* get = "global.get";       // ns, key → value, confidence, state, expires_at_us, tags
inline constexpr const char* entry = "global.entry";   // ns, key → value, confidence, writer, state, expires, updated, tags
inline constexpr const char* upsert = "global.upsert"; // ns, key, value, confidence, writer, state, expires, updated, tags
inline constexpr const char* clear_tags = "global.clear_tags"; // ns, key
inline constexpr const char* add_tag = "global.add_tag";       // ns, tag, key
inline constexpr const char* erase = "global.erase";           // ns, key → expires_at_us of what it removed
inline constexpr const char* erase_tag = "global.erase_tag";   // ns, tag
inline constexpr const char* set_state = "global.set_state";   // ns, key, state, updated
inline constexpr const char* set_state_if = "global.set_state_if"; // ns, key, state, updated, updated as seen
inline constexpr const char* set_expiry = "global.set_expiry"; // ns, key, value, expires, now → rows changed: the one holding value
inline constexpr const char* purge = "global.purge";           // now → rows deleted (maintenance_batch at most)
inline constexpr const char* count = "global.count"; // rows: exact below exact_count_below
inline constexpr const char* write_probe = "global.write_probe"; // (delta) adds delta to the one row of strata_global_pruned
// PostgreSQL only:
inline constexpr const char* notify = "global.notify"; // channel, payload head, origin, tag, ns, what: logs and announces
inline constexpr const char* prune_changes = "global.prune_changes"; // retention_us: forgets maintenance_batch of the oldest changes, says up to when → rows deleted, or none
inline constexpr const char* database_now = "global.database_now";   // → the database's clock, microseconds (the layer's and the listener's)
inline constexpr const char* changes_since = "global.changes_since"; // logged_us, origin, limit → logged_us, tag, ns, what of the others'
inline constexpr const char* pruned_upto = "global.pruned_upto"; // → the latest logged_us of a change pruned (0: none)
inline constexpr const char* mark = "global.mark"; // channel, payload head: a listener's mark, with the database's clock
} // namespace sql

/// The validation state of an entry, as stored.
enum class validation : std::int64_t { unverified = 0, validated = 1, rejected = 2 };

const char* to_string(validation v) noexcept;

} // namespace strata::global
