// vector: the FAISS engine's index types against exact search, at 100k vectors of dimension 384:
// the Quora question texts of ../shared/data/semantic/qqp_pairs.json.gz through the built-in
// lexical hashing embedder (queries: held-out questions), and random unit vectors
// (STRATA_BENCH_VECTOR_N and STRATA_BENCH_VECTOR_QUERIES override the sizes for quick runs;
// STRATA_BENCH_VECTOR_INDEXES=ivf,hnsw picks the approximate indexes, STRATA_BENCH_VECTOR_DATA=quora,random
// the data sets). For each index: build time,
// one query at a time (as a cache sees them) p50 and p99, recall@1 and recall@10 against an exact
// flat search over the same vectors, and the engine's memory estimate.
#include "suites.hpp"

#include "engine.hpp"
#include "lexical_hash.hpp"

#include <strata/units.hpp>

#include <faiss/IndexFlat.h>
#include <nlohmann/json.hpp>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <unordered_set>
#include <vector>

namespace strata::bench {

namespace {

using clock_type = std::chrono::steady_clock;
using vector_index::engine;
using vector_index::index_config;
using vector_index::index_kind;

constexpr std::size_t dimension = 384;
constexpr std::size_t k = 10;

/// What a STRATA_BENCH_VECTOR_* variable says, refused (std::invalid_argument naming it) when it
/// is not what it may be: a misspelt value ran another benchmark than the one asked for.
std::size_t env_size(const char* name, std::size_t fallback) {
  const char* text = std::getenv(name);
  if (text == nullptr)
    return fallback;
  const auto n = units::parse_int(text);
  if (!n || *n < 1 || text[0] < '0' || text[0] > '9')
    throw std::invalid_argument(std::string(name) + "='" + text + "': expected a whole number of at least 1");
  return static_cast<std::size_t>(*n);
}

/// The comma-separated names of a variable (all of `known` when it is not set); an unknown or
/// missing name is refused.
std::set<std::string> env_names(const char* name, const std::set<std::string>& known) {
  const char* text = std::getenv(name);
  if (text == nullptr)
    return known;
  std::set<std::string> names;
  const std::string list(text);
  for (std::size_t from = 0; from <= list.size();) {
    const auto comma = std::min(list.find(',', from), list.size());
    const auto item = list.substr(from, comma - from);
    if (known.count(item) == 0) {
      std::string choices;
      for (const auto& choice : known)
        choices += (choices.empty() ? "" : ", ") + choice;
      throw std::invalid_argument(std::string(name) + "='" + list + "': '" + item + "' is not one of " + choices);
    }
    names.insert(item);
    from = comma + 1;
  }
  return names;
}

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

struct dataset {
  std::string name;
  std::vector<float> base;    // n * dimension
  std::vector<float> queries; // nq * dimension
  std::size_t n = 0;
  std::size_t nq = 0;
  std::vector<faiss::Index::idx_t> truth; // nq * k exact neighbours
};

void normalise(float* v) {
  float norm = 0;
  for (std::size_t j = 0; j < dimension; ++j)
    norm += v[j] * v[j];
  norm = std::sqrt(norm);
  for (std::size_t j = 0; j < dimension; ++j)
    v[j] /= norm;
}

dataset random_unit(std::size_t n, std::size_t nq) {
  dataset d{"random unit vectors", std::vector<float>(n * dimension), std::vector<float>(nq * dimension), n, nq, {}};
  std::mt19937 gen{42};
  std::normal_distribution<float> normal;
  for (auto* v : {&d.base, &d.queries}) {
    for (auto& x : *v)
      x = normal(gen);
    for (std::size_t i = 0; i < v->size(); i += dimension)
      normalise(v->data() + i);
  }
  return d;
}

std::string gunzip(const std::string& path) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr)
    throw std::runtime_error(path + ": cannot open");
  std::string text;
  char buffer[1 << 16];
  int got;
  while ((got = gzread(file, buffer, sizeof buffer)) > 0)
    text.append(buffer, static_cast<std::size_t>(got));
  bool failed = got < 0;
  gzclose(file);
  if (failed)
    throw std::runtime_error(path + ": not a readable gzip file");
  return text;
}

/// The distinct question texts of the Quora pairs, in file order, embedded: the first n are stored,
/// the next nq (questions the store has not seen) are the queries.
dataset quora(std::size_t n, std::size_t nq) {
  const auto path = std::string(STRATA_DATA_DIR) + "/semantic/qqp_pairs.json.gz";
  auto pairs = nlohmann::json::parse(gunzip(path));
  std::vector<std::string> texts;
  std::unordered_set<std::string> seen;
  for (const auto& pair : pairs)
    for (const char* side : {"text_a", "text_b"}) {
      auto text = pair.at(side).get<std::string>();
      if (seen.insert(text).second)
        texts.push_back(std::move(text));
    }
  lexical::embedder embed{lexical::options{}};
  if (embed.dimension() != dimension)
    throw std::runtime_error("the lexical embedder's dimension is not 384");
  auto start = clock_type::now();
  std::vector<float> vectors;
  vectors.reserve(std::min(texts.size(), n + nq) * dimension);
  std::size_t kept = 0;
  for (const auto& text : texts) {
    if (kept == n + nq)
      break;
    auto v = embed.embed(text);
    if (std::all_of(v.begin(), v.end(), [](float x) { return x == 0.0f; }))
      continue; // a text without words
    vectors.insert(vectors.end(), v.begin(), v.end());
    ++kept;
  }
  auto queries = std::min(nq, kept / 10);
  dataset d{"Quora questions (" + embed.model() + ")", {}, {}, kept - queries, queries, {}};
  d.base.assign(vectors.begin(), vectors.begin() + static_cast<std::ptrdiff_t>(d.n * dimension));
  d.queries.assign(vectors.begin() + static_cast<std::ptrdiff_t>(d.n * dimension), vectors.end());
  std::printf("\n%zu distinct questions in %s; %zu embedded in %.1f s\n", texts.size(), path.c_str(), kept,
              seconds_since(start));
  return d;
}

/// Exact neighbours by FAISS's flat index, all queries in one BLAS call.
void ground_truth(dataset& d) {
  auto start = clock_type::now();
  faiss::IndexFlatIP flat(dimension);
  flat.add(static_cast<faiss::Index::idx_t>(d.n), d.base.data());
  std::vector<float> distances(d.nq * k);
  d.truth.resize(d.nq * k);
  flat.search(static_cast<faiss::Index::idx_t>(d.nq), d.queries.data(), k, distances.data(), d.truth.data());
  std::printf("  exact neighbours of %zu queries (FAISS IndexFlatIP, one batch): %.1f s\n", d.nq, seconds_since(start));
}

struct measured {
  double p50_us = 0, p99_us = 0, cpu_p50_us = 0, cpu_p99_us = 0, recall1 = 0, recall10 = 0;
};

/// CPU time of the calling thread: what a query costs, whatever else the machine runs (the engine
/// searches in the calling thread alone).
double thread_cpu_us() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) * 1e6 + static_cast<double>(t.tv_nsec) / 1e3;
}

/// One query at a time through the engine, as a cache asks; `limit` caps the queries timed.
measured measure(engine& e, const dataset& d, std::size_t limit) {
  std::size_t nq = std::min(limit, d.nq);
  std::vector<double> micros, cpu;
  micros.reserve(nq);
  cpu.reserve(nq);
  std::size_t top1 = 0, found10 = 0;
  const vector_index::query_filter all{"default", {}};
  for (std::size_t q = 0; q < nq; ++q) {
    auto start = clock_type::now();
    auto cpu_start = thread_cpu_us();
    auto hits = e.search(d.queries.data() + q * dimension, k, all);
    cpu.push_back(thread_cpu_us() - cpu_start);
    micros.push_back(seconds_since(start) * 1e6);
    const auto* truth = d.truth.data() + q * k;
    if (!hits.empty() && static_cast<faiss::Index::idx_t>(hits[0].id) == truth[0])
      ++top1;
    std::set<faiss::Index::idx_t> expected(truth, truth + k);
    for (const auto& h : hits)
      found10 += expected.count(static_cast<faiss::Index::idx_t>(h.id));
  }
  std::sort(micros.begin(), micros.end());
  std::sort(cpu.begin(), cpu.end());
  measured m;
  m.p50_us = micros[nq / 2];
  m.p99_us = micros[std::min(nq - 1, nq * 99 / 100)];
  m.cpu_p50_us = cpu[nq / 2];
  m.cpu_p99_us = cpu[std::min(nq - 1, nq * 99 / 100)];
  m.recall1 = static_cast<double>(top1) / static_cast<double>(nq);
  m.recall10 = static_cast<double>(found10) / static_cast<double>(nq * k);
  return m;
}

std::unique_ptr<engine> build(const index_config& config, const dataset& d, double& build_s) {
  auto e = std::make_unique<engine>(config);
  std::vector<vector_index::record> batch(d.n);
  for (std::size_t i = 0; i < d.n; ++i)
    batch[i] = {i, "default", {}, std::vector<float>(d.base.data() + i * dimension, d.base.data() + (i + 1) * dimension)};
  auto start = clock_type::now();
  e->add(batch);
  e->wait(); // IVF trains in the background once it holds train_min vectors
  build_s = seconds_since(start);
  return e;
}

void row(const char* index, const std::string& params, double build_s, const measured& m, std::size_t bytes) {
  std::printf("  %-5s %-28s %8.1f %9.0f %9.0f %9.0f %9.0f %9.3f %9.3f %6.0f\n", index, params.c_str(), build_s, m.p50_us,
              m.p99_us, m.cpu_p50_us, m.cpu_p99_us, m.recall1, m.recall10, static_cast<double>(bytes) / (1 << 20));
}

/// Runs every index on one dataset; returns the default index's figures, if it ran.
std::optional<measured> run_dataset(dataset& d, const std::set<std::string>& indexes) {
  std::printf("\n%s: %zu vectors of dimension %zu, %zu queries, k = %zu\n", d.name.c_str(), d.n, dimension, d.nq, k);
  ground_truth(d);
  std::printf("  %-5s %-28s %8s %9s %9s %9s %9s %9s %9s %6s\n", "index", "parameters", "build s", "p50 us", "p99 us",
              "cpu p50", "cpu p99", "recall@1", "recall@10", "MiB");
  index_config base;
  base.dimension = dimension;
  const index_config defaults = base;
  std::optional<measured> default_figures;
  double build_s = 0;
  {
    auto config = base;
    config.kind = index_kind::flat;
    auto e = build(config, d, build_s);
    row("flat", "exact", build_s, measure(*e, d, 100), e->stats().bytes);
  }
  if (indexes.count("ivf") != 0) {
    auto config = base;
    config.kind = index_kind::ivf;
    auto e = build(config, d, build_s);
    char params[64];
    for (std::size_t nprobe : {16, 64, 256}) {
      e->set_search_effort(config.ef_search, nprobe);
      auto m = measure(*e, d, d.nq);
      std::snprintf(params, sizeof params, "nlist %zu nprobe %zu", vector_index::auto_nlist(d.n), nprobe);
      row("ivf", params, build_s, m, e->stats().bytes);
      if (defaults.kind == index_kind::ivf && nprobe == defaults.nprobe)
        default_figures = m;
    }
  }
  if (indexes.count("hnsw") != 0) {
    for (auto codes : {vector_index::vector_codes::f32, vector_index::vector_codes::sq8}) {
      auto config = base;
      config.kind = index_kind::hnsw;
      config.hnsw_codes = codes;
      auto e = build(config, d, build_s);
      char params[64];
      for (int ef : std::set<int>{32, 64, 96, 128, 256, defaults.ef_search}) {
        e->set_search_effort(ef, config.nprobe);
        auto m = measure(*e, d, d.nq);
        std::snprintf(params, sizeof params, "%s M %d efC %d efS %d", vector_index::to_string(codes), config.hnsw_m,
                      config.ef_construction, ef);
        row("hnsw", params, build_s, m, e->stats().bytes);
        if (defaults.kind == index_kind::hnsw && codes == defaults.hnsw_codes && ef == defaults.ef_search)
          default_figures = m;
      }
    }
  }
  return default_figures;
}

} // namespace

int run_vector() {
  std::setvbuf(stdout, nullptr, _IOLBF, 0); // progress shows in a log while the builds run
  std::size_t n = 0, nq = 0;
  std::set<std::string> indexes, datasets;
  try {
    n = env_size("STRATA_BENCH_VECTOR_N", 100000);
    nq = env_size("STRATA_BENCH_VECTOR_QUERIES", 500);
    indexes = env_names("STRATA_BENCH_VECTOR_INDEXES", {"ivf", "hnsw"});
    datasets = env_names("STRATA_BENCH_VECTOR_DATA", {"quora", "random"});
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "strata-bench vector: %s\n", e.what());
    return 2;
  }
  index_config defaults;
  std::printf("default index: %s (%s codes re-ranked from %zu * k candidates, M %d, efConstruction %d, efSearch %d; "
              "IVF: nlist 4 * sqrt(n), nprobe %zu), metric %s\n",
              vector_index::to_string(defaults.kind), vector_index::to_string(defaults.hnsw_codes), defaults.refine,
              defaults.hnsw_m, defaults.ef_construction, defaults.ef_search, defaults.nprobe,
              vector_index::to_string(defaults.metric));

  std::optional<measured> on_text;
  if (datasets.count("quora") != 0) {
    auto text = quora(n, nq);
    on_text = run_dataset(text, indexes);
  }
  if (datasets.count("random") != 0) {
    auto random = random_unit(n, nq);
    run_dataset(random, indexes);
  }
  // The figures of the default index on embedded text: what a cache of questions sees. Only when
  // measured: a figure of 0 would read as a target met.
  if (!on_text) {
    std::printf("\nno RESULT: the default index (%s) did not run on the Quora questions\n",
                vector_index::to_string(defaults.kind));
    return 0;
  }
  const std::string size = n == 100000 ? "100k" : std::to_string(n);
  std::printf("\nRESULT vector.p99_us_%s %.1f\n", size.c_str(), on_text->p99_us);
  std::printf("RESULT vector.recall10_%s %.4f\n", size.c_str(), on_text->recall10);
  return 0;
}

} // namespace strata::bench
