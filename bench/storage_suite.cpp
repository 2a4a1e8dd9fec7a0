// storage: the diary's append throughput and the global layer's put and get latency on a local
// PostgreSQL, each beside a raw libpqxx loop on the same server in the same run; what the diary
// adds to the hottest path, a first-layer hit; and what writing vectors through to SQLite costs. Uses STRATA_PG_DSN when set, else starts a
// throwaway server with scripts/pg-start and stops it at the end.
#include "suites.hpp"

#include <strata/runtime.hpp>

#include <pqxx/pqxx>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

namespace strata::bench {

namespace {

using clock_type = std::chrono::steady_clock;

constexpr long diary_records = 50000;
constexpr int batch = 512;
constexpr int global_keys = 1000;
constexpr int global_gets = 5000;
constexpr long hits_per_round = 50000; // below max_buffered: every record is accepted
constexpr int hit_rounds = 10;

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

/// The server: the one STRATA_PG_DSN names, or one of scripts/pg-start, stopped on destruction.
class server {
public:
  server() {
    if (const char* dsn = std::getenv("STRATA_PG_DSN"); dsn != nullptr && *dsn != '\0') {
      dsn_ = dsn;
      return;
    }
    std::FILE* out = ::popen(STRATA_SOURCE_DIR "/scripts/pg-start", "r");
    char line[1024];
    while (out != nullptr && std::fgets(line, sizeof line, out) != nullptr) {
      std::string l(line);
      const auto value = [&](const char* prefix) {
        auto v = l.substr(std::string(prefix).size());
        v.erase(v.find_last_not_of("'\n") + 1);
        return v;
      };
      if (l.rfind("export STRATA_PG_DSN='", 0) == 0)
        dsn_ = value("export STRATA_PG_DSN='");
      else if (l.rfind("export STRATA_PG_DIR='", 0) == 0)
        dir_ = value("export STRATA_PG_DIR='");
    }
    if (out == nullptr || ::pclose(out) != 0 || dsn_.empty())
      throw std::runtime_error("scripts/pg-start failed; set STRATA_PG_DSN to use a running server");
    std::printf("started a throwaway PostgreSQL in %s\n", dir_.c_str());
  }
  ~server() {
    if (!dir_.empty())
      std::system((std::string(STRATA_SOURCE_DIR "/scripts/pg-stop ") + dir_).c_str());
  }
  const std::string& dsn() const { return dsn_; }

private:
  std::string dsn_, dir_;
};

/// A schema of its own for this run, dropped at the end.
class scratch {
public:
  explicit scratch(const std::string& dsn) : admin_(dsn), name_("bench" + std::to_string(std::random_device{}() % 1000000)) {
    pqxx::nontransaction(admin_).exec("CREATE SCHEMA " + name_);
    dsn_ = dsn + " options='-c search_path=" + name_ + "'";
  }
  ~scratch() {
    try {
      pqxx::nontransaction(admin_).exec("DROP SCHEMA " + name_ + " CASCADE");
    } catch (...) {
    }
  }
  const std::string& dsn() const { return dsn_; }
  pqxx::connection& admin() { return admin_; }
  const std::string& name() const { return name_; }

private:
  pqxx::connection admin_;
  std::string name_, dsn_;
};

std::unique_ptr<runtime> start(const std::string& yaml) {
  auto parsed = parse_config(yaml, "storage-bench.yaml");
  if (!parsed.ok())
    throw std::runtime_error(parsed.errors_text());
  auto rt = runtime::from_config(*parsed.effective);
  if (!rt)
    throw std::runtime_error(rt.err().message);
  return std::move(*rt);
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

/// Raw libpqxx: the diary's row shape, prepared inserts, `batch` rows per transaction.
double raw_insert_rate(const std::string& dsn) {
  pqxx::connection c(dsn);
  pqxx::nontransaction(c).exec(
    "CREATE TABLE raw_diary (writer TEXT NOT NULL, seq BIGINT NOT NULL, at_us BIGINT NOT NULL, ns TEXT NOT NULL, "
    "operation TEXT NOT NULL, query TEXT NOT NULL, embedding BYTEA, layer TEXT NOT NULL, hit SMALLINT NOT NULL, "
    "latency_us BIGINT, importance DOUBLE PRECISION NOT NULL, PRIMARY KEY (writer, seq))");
  c.prepare("ins", "INSERT INTO raw_diary VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)");
  const auto t0 = clock_type::now();
  for (long i = 0; i < diary_records;) {
    pqxx::work w(c);
    for (int j = 0; j < batch && i < diary_records; ++j, ++i)
      w.exec_prepared("ins", "raw", i, 1700000000000000LL + i, "default", "get", "user:" + std::to_string(i % 1000),
                      nullptr, "hot", 1, nullptr, 0.2);
    w.commit();
  }
  return diary_records / seconds_since(t0);
}

/// The diary: records handed over by first-layer hits, until all are in the database.
double diary_rate(const std::string& dsn, scratch& db) {
  auto rt = start("layers:\n  - name: hot\n    plugin: predictive\n  - name: diary\n    plugin: diary\n"
                  "    config:\n      backend: postgres\n      dsn: " + quoted(dsn) +
                  "\n      batch_size: " + std::to_string(batch) + "\n      max_buffered: 1000000\n");
  rt->put("user:1", "v");
  rt->layer_command("diary", "flush");
  pqxx::nontransaction count(db.admin());
  const auto rows = [&] { return count.exec("SELECT COUNT(*) FROM " + db.name() + ".strata_diary")[0][0].as<long>(); };
  const long before = rows();
  const auto t0 = clock_type::now();
  for (long i = 0; i < diary_records; ++i)
    rt->get("user:1");
  const double handed = seconds_since(t0);
  rt->layer_command("diary", "flush");
  while (rows() < before + diary_records)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const double total = seconds_since(t0);
  std::printf("diary: %ld records handed over in %.3f s (%.0f ns each in the caller's thread), all written after %.3f s\n",
              diary_records, handed, handed * 1e9 / diary_records, total);
  return diary_records / total;
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  return v[static_cast<std::size_t>(p * (v.size() - 1))];
}

/// Raw libpqxx prepared selects of one key at a time, on the global layer's own table, in
/// autocommit (no BEGIN and COMMIT), as the Store runs a single statement.
std::vector<double> raw_get_us(const std::string& dsn) {
  pqxx::connection c(dsn);
  c.prepare("get", "SELECT value, confidence, state, expires_at_us, tags FROM strata_global_entries "
                   "WHERE ns = $1 AND key = $2");
  std::vector<double> us;
  std::mt19937 rng(3);
  for (int i = 0; i < global_gets; ++i) {
    const auto key = "k" + std::to_string(rng() % global_keys);
    const auto t0 = clock_type::now();
    pqxx::nontransaction w(c);
    auto r = w.exec_prepared("get", "default", key);
    if (r.empty())
      throw std::runtime_error("raw select found no row for " + key);
    us.push_back(seconds_since(t0) * 1e6);
  }
  return us;
}

/// Gets through a runtime whose only layer is the global one (every get goes to PostgreSQL).
std::vector<double> global_get_us(runtime& rt) {
  std::vector<double> us;
  std::mt19937 rng(3);
  for (int i = 0; i < global_gets; ++i) {
    const auto key = "k" + std::to_string(rng() % global_keys);
    const auto t0 = clock_type::now();
    if (rt.get(key).code != status::ok)
      throw std::runtime_error("the global layer missed " + key);
    us.push_back(seconds_since(t0) * 1e6);
  }
  return us;
}

/// A SQLite file name in the temporary folder, removed with its WAL and shared-memory files.
struct scratch_sqlite_file {
  explicit scratch_sqlite_file(const std::string& prefix)
    : path(std::filesystem::temp_directory_path() / (prefix + "-" + std::to_string(::getpid()))) {}
  ~scratch_sqlite_file() {
    for (const char* suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(path.string() + suffix);
  }
  scratch_sqlite_file(const scratch_sqlite_file&) = delete;
  scratch_sqlite_file& operator=(const scratch_sqlite_file&) = delete;

  std::filesystem::path path;
};

/// ns per first-layer hit, fastest of `hit_rounds`, with and without a diary observing (on
/// SQLite: what the caller's thread pays does not depend on the backend). The diary is flushed
/// between rounds, untimed: a round measures the accepting path with the buffer's memory reused,
/// as in a deployment whose writer keeps up.
void hot_path() {
  const scratch_sqlite_file file{"strata-bench-diary"};
  const std::string base = "runtime:\n  metrics: false\nlayers:\n  - name: hot\n    plugin: predictive\n";
  auto plain = start(base);
  auto observed = start(base + "  - name: diary\n    plugin: diary\n    config:\n      sqlite_path: " +
                        quoted(file.path.string()) + "\n      flush_interval: 10s\n");
  plain->put("user:1", "v");
  observed->put("user:1", "v");
  double best_plain = 1e9, best_observed = 1e9;
  std::size_t sink = 0;
  for (int r = 0; r < hit_rounds; ++r)
    for (auto* rt : {plain.get(), observed.get()}) {
      const auto t0 = clock_type::now();
      for (long i = 0; i < hits_per_round; ++i)
        sink += rt->get("user:1").value.size();
      const double ns = seconds_since(t0) * 1e9 / hits_per_round;
      (rt == plain.get() ? best_plain : best_observed) = std::min(rt == plain.get() ? best_plain : best_observed, ns);
      if (rt == observed.get())
        rt->layer_command("diary", "flush");
    }
  std::printf("first-layer hit: %.0f ns without a diary, %.0f ns with one observing (+%.0f ns) [%zu]\n", best_plain,
              best_observed, best_observed - best_plain, sink % 2);
  std::printf("RESULT storage.diary_hit_overhead_ns %.0f\n", best_observed - best_plain);
}

/// µs per vector add through the runtime (the lexical embedder, a flat index), with the entries
/// in memory only and written through to a SQLite file (`sqlite_path`): what persistence costs.
void vector_persistence() {
  const scratch_sqlite_file file{"strata-bench-vectors"};
  const std::string base = "embedders:\n  - name: lexical\n    plugin: lexical_hash\nlayers:\n"
                           "  - name: vectors\n    plugin: vector\n    write: around\n    promote: false\n"
                           "    embedder: lexical\n    config:\n      index: flat\n";
  auto memory = start(base);
  auto persisted = start(base + "      sqlite_path: " + quoted(file.path.string()) + "\n");
  constexpr int adds = 2000;
  double us[2] = {0, 0};
  for (int round = 0; round < 2; ++round) // the second round of each is timed: the first warms up
    for (int which = 0; which < 2; ++which) {
      auto& rt = which == 0 ? *memory : *persisted;
      const auto t0 = clock_type::now();
      for (int i = 0; i < adds; ++i) {
        vector_item item;
        item.text = "question " + std::to_string(round * adds + i) + " about topic " + std::to_string(i % 37);
        if (rt.vector_add(std::move(item)).code != status::ok)
          throw std::runtime_error("a vector add failed");
      }
      us[which] = seconds_since(t0) * 1e6 / adds;
    }
  std::printf("vector adds through the runtime: %.1f us in memory, %.1f us written through to SQLite (%.2fx)\n", us[0],
              us[1], us[1] / us[0]);
  std::printf("RESULT storage.vector_add_memory_us %.1f\n", us[0]);
  std::printf("RESULT storage.vector_add_persisted_us %.1f\n", us[1]);
}

} // namespace

int run_storage() try {
  server pg;
  scratch db(pg.dsn());
  std::printf("PostgreSQL: %s (schema %s)\n", pg.dsn().c_str(), db.name().c_str());

  const double raw_rate = raw_insert_rate(db.dsn());
  const double diary = diary_rate(db.dsn(), db);
  std::printf("appends: raw libpqxx prepared inserts %.0f rows/s, diary %.0f records/s (batches of %d)\n", raw_rate,
              diary, batch);

  auto rt = start("layers:\n  - name: shared\n    plugin: global\n    deadline: 2s\n    config:\n"
                  "      backend: postgres\n      dsn: " + quoted(db.dsn()) + "\n");
  std::vector<double> puts; // each a transaction: the row, its tags, the change logged and announced
  for (int i = 0; i < global_keys; ++i) {
    const auto start = std::chrono::steady_clock::now();
    if (rt->put("k" + std::to_string(i), std::string(100, 'v')) != status::ok)
      throw std::runtime_error("the global layer refused a put");
    puts.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
  }
  const auto raw = raw_get_us(db.dsn());
  const auto layer = global_get_us(*rt);
  std::printf("puts of %d keys through the runtime: p50 %.1f us p99 %.1f us\n", global_keys, percentile(puts, 0.5),
              percentile(puts, 0.99));
  std::printf("gets of %d keys: raw libpqxx select p50 %.1f us p99 %.1f us; global layer through the runtime "
              "p50 %.1f us p99 %.1f us\n",
              global_keys, percentile(raw, 0.5), percentile(raw, 0.99), percentile(layer, 0.5), percentile(layer, 0.99));
  rt.reset();
  hot_path();
  vector_persistence();

  std::printf("RESULT storage.raw_insert_rows_per_s %.0f\n", raw_rate);
  std::printf("RESULT storage.diary_records_per_s %.0f\n", diary);
  std::printf("RESULT storage.diary_vs_raw_insert %.3f\n", diary / raw_rate);
  std::printf("RESULT storage.raw_get_p50_us %.1f\n", percentile(raw, 0.5));
  std::printf("RESULT storage.global_get_p50_us %.1f\n", percentile(layer, 0.5));
  std::printf("RESULT storage.global_put_p50_us %.1f\n", percentile(puts, 0.5));
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "strata-bench storage: %s\n", e.what());
  return 1;
}

} // namespace strata::bench
