#include "diary_schema.hpp"

#include <string>

namespace strata::diary {

namespace {

/// The columns of a record, shared by the live table and the archive.
std::string columns(const char* blob, const char* real, const char* integer) {
  return std::string("writer TEXT NOT NULL, seq ") + integer + " NOT NULL, at_us " + integer +
         " NOT NULL, ns TEXT NOT NULL, operation TEXT NOT NULL, query TEXT NOT NULL, embedding " + blob +
         ", layer TEXT NOT NULL, hit SMALLINT NOT NULL, latency_us " + integer + ", importance " + real +
         " NOT NULL";
}

std::vector<std::string> version_1(const char* blob, const char* real, const char* integer) {
  return {
    "CREATE TABLE strata_diary (" + columns(blob, real, integer) + ", PRIMARY KEY (writer, seq))",
    "CREATE INDEX strata_diary_at ON strata_diary (at_us)",
    "CREATE INDEX strata_diary_ns_query ON strata_diary (ns, query)",
    "CREATE TABLE strata_diary_archive (" + columns(blob, real, integer) + ", archived_at_us " + integer +
      " NOT NULL, PRIMARY KEY (writer, seq))",
    "CREATE INDEX strata_diary_archive_at ON strata_diary_archive (archived_at_us)",
  };
}

/// What a request answered (`to_string(status)`: "ok", "not_found", "timeout", ...); rows of
/// version 1 have '', which did not keep it: a failed get was recorded as a miss, a failed write
/// as one that happened.
std::vector<std::string> version_2() {
  return {
    "ALTER TABLE strata_diary ADD COLUMN outcome TEXT NOT NULL DEFAULT ''",
    "ALTER TABLE strata_diary_archive ADD COLUMN outcome TEXT NOT NULL DEFAULT ''",
  };
}

} // namespace

std::vector<storage::migration> schema() {
  // Version 1. A record is (writer, seq): the writing process and its sequence number, which
  // also makes a batch retried after a lost commit harmless (ON CONFLICT DO NOTHING).
  return {{1, "interactions and their archive", version_1("BLOB", "REAL", "INTEGER"),
           version_1("BYTEA", "DOUBLE PRECISION", "BIGINT")},
          {2, "what each interaction answered", version_2(), version_2()}};
}

void prepare_statements(storage::store& db) {
  db.prepare(sql::insert, "INSERT INTO strata_diary (writer, seq, at_us, ns, operation, query, embedding, layer, hit, "
                          "latency_us, importance, outcome) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) "
                          "ON CONFLICT (writer, seq) DO NOTHING");
  db.prepare(sql::count, "SELECT COUNT(*) FROM strata_diary WHERE ns = $1");
  db.prepare(sql::count_archived, "SELECT COUNT(*) FROM strata_diary_archive WHERE ns = $1");
  db.prepare(sql::top_queries, "SELECT query, COUNT(*) AS n FROM strata_diary WHERE ns = $1 AND at_us >= $2 "
                               "AND operation = 'get' GROUP BY query ORDER BY n DESC, query LIMIT $3");
  // Pairs of consecutive gets of one writer in one namespace.
  db.prepare(sql::top_sequences,
             "SELECT query, next, COUNT(*) AS n FROM (SELECT query, LEAD(query) OVER (PARTITION BY writer ORDER BY seq) "
             "AS next FROM strata_diary WHERE ns = $1 AND at_us >= $2 AND operation = 'get') pairs "
             "WHERE next IS NOT NULL GROUP BY query, next ORDER BY n DESC, query, next LIMIT $3");
  // Archiving moves archive_batch records a statement, the oldest first, through strata_diary_at:
  // from `lower`, where the last batch ended (important records it passed are not walked again),
  // to `upper`, the later of the two bounds. One statement for everything ran past
  // statement_timeout on PostgreSQL with an hour of records at a thousand a second, was rolled
  // back and tried again at each archiving, never done; on SQLite it held the file's lock as long
  // (4.2 s for a million here), the writer's batches waiting.
  const auto batch_of = [](const std::string& upper, const std::string& lower) {
    return "(writer, seq) IN (SELECT writer, seq FROM strata_diary WHERE at_us >= " + lower + " AND at_us < " + upper +
           " AND (at_us < $1 OR (importance < $2 AND at_us < $3)) ORDER BY at_us LIMIT " + std::to_string(archive_batch) +
           ")";
  };
  db.prepare(sql::archive_copy,
             "INSERT INTO strata_diary_archive (writer, seq, at_us, ns, operation, query, embedding, layer, hit, "
             "latency_us, importance, outcome, archived_at_us) SELECT writer, seq, at_us, ns, operation, query, embedding, "
             "layer, hit, latency_us, importance, outcome, CAST($4 AS BIGINT) FROM strata_diary WHERE " +
               batch_of("$5", "$6") + " ON CONFLICT (writer, seq) DO NOTHING RETURNING at_us");
  // The same batch, and only what the archive holds: on PostgreSQL a record written meanwhile (a
  // writer's buffer after an outage, older than the bound) may enter the second statement's batch.
  db.prepare(sql::archive_delete, "DELETE FROM strata_diary WHERE " + batch_of("$4", "$5") +
                                    " AND EXISTS (SELECT 1 FROM strata_diary_archive a WHERE a.writer = "
                                    "strata_diary.writer AND a.seq = strata_diary.seq)");
  if (db.dialect() == storage::dialect::postgres)
    // For the transaction: without statistics yet (a table loaded in bulk), PostgreSQL estimated a
    // batch's range of at_us to hold a few thousand rows, and read every record in it to sort
    // them (1 s a batch for 3 million here) rather than reading the index in order (10 ms).
    db.prepare(sql::archive_in_order, "SELECT set_config('enable_bitmapscan', 'off', true)");
  db.prepare(sql::expire_archive, "DELETE FROM strata_diary_archive WHERE (writer, seq) IN (SELECT writer, seq FROM "
                                  "strata_diary_archive WHERE archived_at_us < $1 LIMIT " +
                                    std::to_string(archive_batch) + ")");
}

} // namespace strata::diary
