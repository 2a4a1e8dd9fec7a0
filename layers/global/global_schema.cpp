#include "global_schema.hpp"

namespace strata::global {

namespace {
/// PostgreSQL's clock now (not the transaction's start), in microseconds since the Unix epoch.
constexpr const char* database_clock_us = "(extract(epoch from clock_timestamp()) * 1000000)::bigint";
} // namespace

std::vector<storage::migration> schema() {
  // Version 1. Times are microseconds since the Unix epoch; expires_at_us 0 never expires. The
  // tags are kept twice: as a JSON array with the entry (returned with a hit, so that the layers
  // above can invalidate the copy by tag) and one row per tag (to find the entries of a tag).
  return {
    {1,
     "entries with confidence, writer, validation state, expiry and tags",
     {
       "CREATE TABLE strata_global_entries (ns TEXT NOT NULL, key TEXT NOT NULL, value BLOB NOT NULL, "
       "confidence REAL NOT NULL, writer TEXT NOT NULL, state INTEGER NOT NULL, expires_at_us INTEGER NOT NULL, "
       "updated_at_us INTEGER NOT NULL, tags TEXT NOT NULL, PRIMARY KEY (ns, key))",
       "CREATE TABLE strata_global_tags (ns TEXT NOT NULL, tag TEXT NOT NULL, key TEXT NOT NULL, "
       "PRIMARY KEY (ns, tag, key), FOREIGN KEY (ns, key) REFERENCES strata_global_entries (ns, key) ON DELETE CASCADE)",
       "CREATE INDEX strata_global_tags_key ON strata_global_tags (ns, key)",
       "CREATE INDEX strata_global_expiry ON strata_global_entries (expires_at_us) WHERE expires_at_us > 0",
     },
     {
       "CREATE TABLE strata_global_entries (ns TEXT NOT NULL, key TEXT NOT NULL, value BYTEA NOT NULL, "
       "confidence DOUBLE PRECISION NOT NULL, writer TEXT NOT NULL, state SMALLINT NOT NULL, "
       "expires_at_us BIGINT NOT NULL, updated_at_us BIGINT NOT NULL, tags TEXT NOT NULL, PRIMARY KEY (ns, key))",
       "CREATE TABLE strata_global_tags (ns TEXT NOT NULL, tag TEXT NOT NULL, key TEXT NOT NULL, "
       "PRIMARY KEY (ns, tag, key), FOREIGN KEY (ns, key) REFERENCES strata_global_entries (ns, key) ON DELETE CASCADE)",
       "CREATE INDEX strata_global_tags_key ON strata_global_tags (ns, key)",
       "CREATE INDEX strata_global_expiry ON strata_global_entries (expires_at_us) WHERE expires_at_us > 0",
     }},
    // Version 2. Every announced change, by the database's clock, kept for `change_retention`: what
    // an instance replays when it listens again after a lost connection; and the latest time of a
    // change pruned, by whichever instance, so that a replay knows when it cannot be whole.
    // Written on PostgreSQL only (on SQLite there is no other instance), but for the write probe,
    // which changes the one row of strata_global_pruned and changes it back, on both.
    {2,
     "the log of announced changes, replayed by a listener that lost its connection",
     {
       "CREATE TABLE strata_global_changes (logged_us INTEGER NOT NULL, origin TEXT NOT NULL, tag INTEGER NOT NULL, "
       "ns TEXT NOT NULL, what TEXT NOT NULL)",
       "CREATE INDEX strata_global_changes_logged ON strata_global_changes (logged_us)",
       "CREATE TABLE strata_global_pruned (upto_us INTEGER NOT NULL)",
       "INSERT INTO strata_global_pruned (upto_us) VALUES (0)",
     },
     {
       "CREATE TABLE strata_global_changes (logged_us BIGINT NOT NULL, origin TEXT NOT NULL, tag SMALLINT NOT NULL, "
       "ns TEXT NOT NULL, what TEXT NOT NULL)",
       "CREATE INDEX strata_global_changes_logged ON strata_global_changes (logged_us)",
       "CREATE TABLE strata_global_pruned (upto_us BIGINT NOT NULL)",
       "INSERT INTO strata_global_pruned (upto_us) VALUES (0)",
     }},
  };
}

void prepare_statements(storage::store& db) {
  db.prepare(sql::get, "SELECT value, confidence, state, expires_at_us, tags FROM strata_global_entries "
                       "WHERE ns = $1 AND key = $2");
  db.prepare(sql::entry, "SELECT value, confidence, writer, state, expires_at_us, updated_at_us, tags "
                         "FROM strata_global_entries WHERE ns = $1 AND key = $2");
  db.prepare(sql::upsert,
             "INSERT INTO strata_global_entries (ns, key, value, confidence, writer, state, expires_at_us, "
             "updated_at_us, tags) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (ns, key) DO UPDATE SET "
             "value = excluded.value, confidence = excluded.confidence, writer = excluded.writer, "
             "state = excluded.state, expires_at_us = excluded.expires_at_us, updated_at_us = excluded.updated_at_us, "
             "tags = excluded.tags");
  db.prepare(sql::clear_tags, "DELETE FROM strata_global_tags WHERE ns = $1 AND key = $2");
  db.prepare(sql::add_tag, "INSERT INTO strata_global_tags (ns, tag, key) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING");
  db.prepare(sql::erase, "DELETE FROM strata_global_entries WHERE ns = $1 AND key = $2 RETURNING expires_at_us");
  db.prepare(sql::erase_tag, "DELETE FROM strata_global_entries WHERE ns = $1 AND key IN "
                             "(SELECT key FROM strata_global_tags WHERE ns = $1 AND tag = $2)");
  db.prepare(sql::set_state, "UPDATE strata_global_entries SET state = $3, updated_at_us = $4 WHERE ns = $1 AND key = $2");
  db.prepare(sql::set_state_if, "UPDATE strata_global_entries SET state = $3, updated_at_us = $4 "
                                "WHERE ns = $1 AND key = $2 AND updated_at_us = $5");
  // A compare-and-set on the value: another instance may have replaced or erased it meanwhile.
  // Expired since the runtime found it alive (and not purged yet), the row takes the new TTL too:
  // the EXPIRE came first. Left expired, the copy the runtime wrote above outlived it, served by
  // this node alone for the new TTL (audit: 7 of 60 EXPIREs sent as the TTL ran out).
  db.prepare(sql::set_expiry, "UPDATE strata_global_entries SET expires_at_us = $4, updated_at_us = $5 "
                              "WHERE ns = $1 AND key = $2 AND value = $3");
  // Run twice in one transaction, by +1 and by -1: a write that changes nothing once committed
  // but still writes (a page to the WAL, a new row version), refused as the layer's writes are by
  // a full disk or a read-only server. One statement setting the row as it is would not do:
  // SQLite writes no page for a row rewritten with the same bytes.
  db.prepare(sql::write_probe, "UPDATE strata_global_pruned SET upto_us = upto_us + $1");
  // In batches of maintenance_batch rows. On PostgreSQL each is well within statement_timeout: a
  // million rows expiring at once (a bulk load with one TTL) took one statement past it, which was
  // rolled back and tried again at each maintenance, never done. On SQLite, which has no such
  // timeout, that one statement held the layer's thread 8.6 s here (every request to the layer
  // waited, past its deadline); a batch takes ~80 ms.
  const auto batch = std::to_string(maintenance_batch);
  if (db.dialect() != storage::dialect::postgres) {
    db.prepare(sql::purge, "DELETE FROM strata_global_entries WHERE rowid IN (SELECT rowid FROM strata_global_entries "
                           "WHERE expires_at_us > 0 AND expires_at_us <= $1 LIMIT " + batch + ")");
    db.prepare(sql::count, "SELECT COUNT(*) FROM strata_global_entries");
    return;
  }
  db.prepare(sql::database_now, "SELECT " + std::string(database_clock_us));
  db.prepare(sql::purge, "DELETE FROM strata_global_entries WHERE ctid IN (SELECT ctid FROM strata_global_entries "
                         "WHERE expires_at_us > 0 AND expires_at_us <= $1 LIMIT " + batch + ")");
  // Counted up to a million rows (90 ms here), PostgreSQL's estimate beyond (as of its last
  // ANALYZE, which autovacuum runs as the table changes), when larger: a count of every row reads
  // the whole table, 0.2 s at 3 M rows here, and past statement_timeout (500 ms) each maintenance
  // failed, and the layer with it.
  const auto cap = std::to_string(exact_count_below);
  db.prepare(sql::count, "SELECT CASE WHEN counted.n < " + cap + " THEN counted.n ELSE GREATEST(counted.n, "
                           "(SELECT c.reltuples::bigint FROM pg_class c WHERE c.oid = 'strata_global_entries'::regclass)) "
                           "END FROM (SELECT COUNT(*) AS n FROM (SELECT 1 FROM strata_global_entries LIMIT " + cap +
                           ") AS capped) AS counted");
  // One statement, one round trip: the change is logged, and its notification, completed with
  // the time it was logged, is sent when the transaction commits.
  db.prepare(sql::notify, "WITH logged AS (INSERT INTO strata_global_changes (logged_us, origin, tag, ns, what) "
                          "VALUES (" + std::string(database_clock_us) + ", $3, $4, $5, $6) RETURNING logged_us) "
                          "SELECT pg_notify($1, $2 || logged_us::text || '}') FROM logged");
  // The bound in a subquery, evaluated once: compared with clock_timestamp() itself, which is
  // volatile, every row was (a scan of the whole log: 0.75 s at 2.5 M rows, past
  // statement_timeout, so the log never shrank); the index finds the rows below a constant.
  // The oldest first, in batches as the purge, so that what is pruned is always all up to a time.
  db.prepare(sql::prune_changes, "WITH gone AS (DELETE FROM strata_global_changes WHERE ctid IN (SELECT ctid FROM "
                                   "strata_global_changes WHERE logged_us < (SELECT " + std::string(database_clock_us) +
                                   " - $1) ORDER BY logged_us LIMIT " + batch + ") RETURNING logged_us) "
                                   "UPDATE strata_global_pruned SET upto_us = GREATEST(upto_us, "
                                   "(SELECT MAX(logged_us) FROM gone)) WHERE EXISTS (SELECT 1 FROM gone) "
                                   "RETURNING (SELECT COUNT(*) FROM gone)");
}

void prepare_listener_statements(storage::store& db) {
  db.prepare(sql::database_now, "SELECT " + std::string(database_clock_us));
  db.prepare(sql::changes_since, "SELECT logged_us, tag, ns, what FROM strata_global_changes "
                                 "WHERE logged_us >= $1 AND origin <> $2 ORDER BY logged_us LIMIT $3");
  db.prepare(sql::pruned_upto, "SELECT upto_us FROM strata_global_pruned");
  db.prepare(sql::mark, "SELECT pg_notify($1, $2 || " + std::string(database_clock_us) + "::text || '}')");
}

const char* to_string(validation v) noexcept {
  switch (v) {
  case validation::unverified: return "unverified";
  case validation::validated: return "validated";
  case validation::rejected: return "rejected";
  }
  return "unknown";
}

} // namespace strata::global
