#include "engine.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <memory>
#include <random>
#include <set>
#include <thread>

using namespace strata::vector_index;

namespace {

constexpr std::size_t dim = 32;

/// Unit vectors around `clusters` random centres: what embeddings look like, so that IVF and HNSW
/// have structure to find.
std::vector<std::vector<float>> clustered(std::size_t n, std::uint32_t seed, std::size_t clusters = 20) {
  std::mt19937 gen{seed};
  std::normal_distribution<float> normal;
  std::vector<std::vector<float>> centres(clusters, std::vector<float>(dim));
  for (auto& c : centres)
    for (auto& x : c)
      x = normal(gen);
  std::vector<std::vector<float>> out(n, std::vector<float>(dim));
  for (std::size_t i = 0; i < n; ++i) {
    const auto& c = centres[i % clusters];
    float norm = 0;
    for (std::size_t j = 0; j < dim; ++j) {
      out[i][j] = c[j] + 0.5f * normal(gen);
      norm += out[i][j] * out[i][j];
    }
    for (auto& x : out[i])
      x /= std::sqrt(norm);
  }
  return out;
}

/// The last `n` vectors of `data`, removed from it: queries from the same distribution.
std::vector<std::vector<float>> take_queries(std::vector<std::vector<float>>& data, std::size_t n) {
  std::vector<std::vector<float>> queries(data.end() - static_cast<std::ptrdiff_t>(n), data.end());
  data.resize(data.size() - n);
  return queries;
}

record entry(std::uint64_t id, const std::vector<float>& v, std::string ns = "default",
             std::vector<std::string> tags = {}) {
  return record{id, std::move(ns), std::move(tags), v};
}

/// Exact top-k ids among `ids` (inner product).
std::vector<std::uint64_t> brute_force(const std::vector<std::vector<float>>& data, const std::vector<std::uint64_t>& ids,
                                       const std::vector<float>& q, std::size_t k) {
  std::vector<std::pair<float, std::uint64_t>> scored;
  for (auto id : ids) {
    float s = 0;
    for (std::size_t j = 0; j < dim; ++j)
      s += data[id][j] * q[j];
    scored.emplace_back(s, id);
  }
  std::sort(scored.begin(), scored.end(), [](auto& a, auto& b) { return a.first > b.first; });
  std::vector<std::uint64_t> out;
  for (std::size_t i = 0; i < std::min(k, scored.size()); ++i)
    out.push_back(scored[i].second);
  return out;
}

std::vector<std::uint64_t> ids_of(const std::vector<hit>& hits) {
  std::vector<std::uint64_t> out;
  for (const auto& h : hits)
    out.push_back(h.id);
  return out;
}

double recall(engine& e, const std::vector<std::vector<float>>& data, const std::vector<std::uint64_t>& ids,
              const std::vector<std::vector<float>>& queries, std::size_t k) {
  std::size_t found = 0;
  for (const auto& q : queries) {
    auto truth = brute_force(data, ids, q, k);
    auto got = ids_of(e.search(q.data(), k, {"default", {}}));
    for (auto id : got)
      found += std::count(truth.begin(), truth.end(), id);
  }
  return static_cast<double>(found) / static_cast<double>(queries.size() * k);
}

index_config config_of(index_kind kind, vector_codes codes = vector_codes::f32) {
  index_config c;
  c.dimension = dim;
  c.kind = kind;
  c.hnsw_codes = codes;
  c.exact_scan_max = 0; // every search goes through FAISS unless a test says otherwise
  return c;
}

/// An IVF engine (train_min 1000) whose first training has just started: the first 1000 of
/// `data` added one by one, ids 0 to 999.
std::unique_ptr<engine> ivf_training_from_1000(const std::vector<std::vector<float>>& data) {
  auto c = config_of(index_kind::ivf);
  c.train_min = 1000;
  auto e = std::make_unique<engine>(c);
  for (std::uint64_t id = 0; id < 1000; ++id)
    e->add(entry(id, data[id % data.size()]));
  return e;
}

/// Both ways HNSW holds its vectors; on 8-bit codes trained from `train_min` vectors.
std::vector<index_config> hnsw_configs(std::size_t train_min) {
  auto on_codes = config_of(index_kind::hnsw, vector_codes::sq8);
  on_codes.train_min = train_min;
  return {config_of(index_kind::hnsw), on_codes};
}

/// Adds `data` under ids 0.. in one batch and waits for any background build.
void fill(engine& e, const std::vector<std::vector<float>>& data) {
  std::vector<record> batch;
  for (std::size_t i = 0; i < data.size(); ++i)
    batch.push_back(entry(i, data[i]));
  e.add(batch);
  e.wait();
}

std::string name_of(const index_config& c) {
  return std::string(to_string(c.kind)) + (c.kind == index_kind::hnsw ? std::string("/") + to_string(c.hnsw_codes) : "");
}

std::vector<std::uint64_t> iota_ids(std::size_t n) {
  std::vector<std::uint64_t> ids(n);
  for (std::size_t i = 0; i < n; ++i)
    ids[i] = i;
  return ids;
}

/// Adds `data` under ids 0.. to an engine that trains at 1000 entries: 999 one by one, which it
/// must answer exactly and untrained, then the rest in one batch, and waits for the training.
void add_across_training(engine& e, const std::vector<std::vector<float>>& data,
                         const std::vector<std::vector<float>>& queries) {
  REQUIRE(e.config().train_min == 1000);
  for (std::size_t i = 0; i < 999; ++i)
    e.add(entry(i, data[i]));
  CHECK_FALSE(e.stats().trained);
  CHECK(recall(e, data, iota_ids(999), queries, 10) == 1.0);
  std::vector<record> rest;
  for (std::size_t i = 999; i < data.size(); ++i)
    rest.push_back(entry(i, data[i]));
  e.add(rest);
  e.wait();
}

} // namespace

TEST_CASE("flat search is exact, for inner product and L2", "[vector_index]") {
  auto data = clustered(630, 1);
  auto queries = take_queries(data, 30);
  engine e{config_of(index_kind::flat)};
  std::vector<record> batch;
  for (std::size_t i = 0; i < data.size(); ++i)
    batch.push_back(entry(i, data[i]));
  e.add(batch);
  CHECK(e.size() == 600);
  for (const auto& q : queries)
    CHECK(ids_of(e.search(q.data(), 10, {"default", {}})) == brute_force(data, iota_ids(600), q, 10));

  auto l2 = config_of(index_kind::flat);
  l2.metric = metric_kind::l2;
  engine el{l2};
  el.add(batch);
  // On unit vectors the L2 order is the inner-product order; the score is the squared distance.
  auto hits = el.search(data[7].data(), 3, {"default", {}});
  REQUIRE(hits.size() == 3);
  CHECK(hits[0].id == 7);
  CHECK(hits[0].score == Approx(0.0f).margin(1e-5));
  CHECK(hits[1].score >= hits[0].score);
}

TEST_CASE("deletes on flat really remove, and the rest stays exact", "[vector_index]") {
  auto data = clustered(500, 3);
  engine e{config_of(index_kind::flat)};
  for (std::size_t i = 0; i < data.size(); ++i)
    e.add(entry(i, data[i]));
  std::vector<std::uint64_t> kept;
  for (std::uint64_t i = 0; i < 500; ++i) {
    if (i % 3 == 0)
      CHECK(e.erase(i));
    else
      kept.push_back(i);
  }
  CHECK_FALSE(e.erase(0));
  CHECK(e.size() == kept.size());
  CHECK(e.stats().stored == kept.size());
  CHECK(e.stats().tombstones == 0);
  CHECK_FALSE(e.get(3).has_value());
  for (std::uint64_t i = 0; i < 500; i += 7) {
    auto got = ids_of(e.search(data[i].data(), 10, {"default", {}}));
    CHECK(got == brute_force(data, kept, data[i], 10));
  }
}

TEST_CASE("a tag filter holds whatever the order and repeats of either side's tags", "[vector_index]") {
  // Both sides are merged as sorted sets: an entry's tags are kept sorted, a query's sorted once.
  auto data = clustered(3, 5);
  engine e{config_of(index_kind::flat)};
  e.add(entry(1, data[0], "default", {"zeta", "alpha", "zeta", "mid"}));
  e.add(entry(2, data[1], "default", {"alpha"}));
  e.add(entry(3, data[2], "default", {}));
  const auto ids = [&](std::vector<std::string> tags) {
    std::vector<std::uint64_t> out;
    for (const auto& h : e.search(data[0].data(), 10, {"default", std::move(tags)}))
      out.push_back(h.id);
    std::sort(out.begin(), out.end());
    return out;
  };
  CHECK(ids({}) == std::vector<std::uint64_t>{1, 2, 3});
  CHECK(ids({"alpha"}) == std::vector<std::uint64_t>{1, 2});
  CHECK(ids({"zeta", "alpha", "alpha"}) == std::vector<std::uint64_t>{1});
  CHECK(ids({"mid", "zeta"}) == std::vector<std::uint64_t>{1});
  CHECK(ids({"alpha", "beta"}).empty());
  CHECK(e.get(1)->tags == std::vector<std::string>{"alpha", "mid", "zeta"});
}

TEST_CASE("namespaces are never crossed and tags filter, on FAISS and by exact scan", "[vector_index]") {
  auto data = clustered(900, 4);
  for (std::size_t exact_max : {std::size_t{0}, std::size_t{100000}}) {
    auto configs = hnsw_configs(256);
    configs.push_back(config_of(index_kind::flat));
    configs.push_back(config_of(index_kind::ivf));
    for (auto c : configs) {
      INFO(name_of(c) << ", exact_scan_max " << exact_max);
      c.exact_scan_max = exact_max;
      c.train_min = 256;
      engine e{c};
      std::vector<record> batch;
      for (std::size_t i = 0; i < data.size(); ++i)
        batch.push_back(entry(i, data[i], i % 3 == 0 ? "tenant-a" : "tenant-b",
                              i % 2 == 0 ? std::vector<std::string>{"even", "all"} : std::vector<std::string>{"all"}));
      e.add(batch);
      e.wait();
      for (std::size_t q = 0; q < 900; q += 37) {
        auto a = e.search(data[q].data(), 20, {"tenant-a", {}});
        CHECK(a.size() == 20);
        for (const auto& h : a)
          CHECK(h.id % 3 == 0);
        auto b_even = e.search(data[q].data(), 20, {"tenant-b", {"even", "all"}});
        CHECK(b_even.size() == 20);
        for (const auto& h : b_even) {
          CHECK(h.id % 3 != 0);
          CHECK(h.id % 2 == 0);
        }
        CHECK(e.search(data[q].data(), 5, {"tenant-c", {}}).empty());
        CHECK(e.search(data[q].data(), 5, {"tenant-a", {"no-such-tag"}}).empty());
      }
      CHECK(e.size("tenant-a") == 300);
    }
  }
}

TEST_CASE("a filter matching fewer than k entries returns all of them", "[vector_index]") {
  auto data = clustered(800, 5);
  for (const auto& c : hnsw_configs(256)) {
    INFO(name_of(c));
    engine e{c};
    for (std::size_t i = 0; i < data.size(); ++i)
      e.add(entry(i, data[i], "default", i < 4 ? std::vector<std::string>{"rare"} : std::vector<std::string>{}));
    e.wait();
    REQUIRE(e.stats().trained);
    auto hits = e.search(data[500].data(), 10, {"default", {"rare"}});
    std::set<std::uint64_t> got;
    for (const auto& h : hits)
      got.insert(h.id);
    CHECK(got == std::set<std::uint64_t>{0, 1, 2, 3});
  }
}

TEST_CASE("update replaces vector and metadata and keeps the id", "[vector_index]") {
  auto data = clustered(400, 6);
  auto configs = hnsw_configs(256);
  configs.push_back(config_of(index_kind::flat));
  for (const auto& c : configs) {
    INFO(name_of(c));
    engine e{c};
    for (std::size_t i = 0; i < 300; ++i)
      e.add(entry(i, data[i]));
    e.wait();
    REQUIRE(e.update(entry(5, data[350], "default", {"moved"})));
    CHECK_FALSE(e.update(entry(9999, data[1])));
    CHECK(e.size() == 300);
    auto hits = e.search(data[350].data(), 1, {"default", {}});
    REQUIRE(hits.size() == 1);
    CHECK(hits[0].id == 5);
    CHECK(hits[0].score == Approx(1.0f).epsilon(1e-4));
    auto stored = e.get(5);
    REQUIRE(stored);
    CHECK(stored->tags == std::vector<std::string>{"moved"});
    CHECK(stored->vector == data[350]);
    // The old vector no longer finds id 5 first.
    auto old = e.search(data[5].data(), 1, {"default", {}});
    REQUIRE(old.size() == 1);
    CHECK(old[0].id != 5);
  }
}

TEST_CASE("bad input throws and changes nothing", "[vector_index]") {
  auto data = clustered(10, 7);
  engine e{config_of(index_kind::flat)};
  e.add(entry(1, data[1]));
  CHECK_THROWS_WITH(e.add(entry(1, data[2])), Catch::Contains("id 1 exists"));
  CHECK_THROWS_WITH(e.add(entry(2, std::vector<float>(dim + 1))), Catch::Contains("dimension 33"));
  auto nan = data[3];
  nan[4] = std::nanf("");
  CHECK_THROWS_WITH(e.add(entry(3, nan)), Catch::Contains("component 4 is not finite"));
  CHECK_THROWS_WITH(e.add(entry(4, data[4], "")), Catch::Contains("empty namespace"));
  // A batch is all or nothing.
  CHECK_THROWS(e.add(std::vector<record>{entry(5, data[5]), entry(6, std::vector<float>(3))}));
  CHECK_THROWS(e.add(std::vector<record>{entry(7, data[7]), entry(7, data[8])}));
  CHECK(e.size() == 1);
  CHECK_FALSE(e.contains(5));
  CHECK_THROWS(e.update(entry(1, std::vector<float>(2))));
  CHECK(e.get(1)->vector == data[1]);

  index_config bad;
  CHECK_THROWS_WITH(engine{bad}, Catch::Contains("dimension"));
  bad.dimension = 8;
  bad.nprobe = 0;
  CHECK_THROWS_WITH(engine{bad}, Catch::Contains("nprobe"));
}

TEST_CASE("batch search answers as single searches do", "[vector_index]") {
  auto data = clustered(712, 8);
  auto queries = take_queries(data, 12);
  std::vector<float> flat_queries;
  for (const auto& q : queries)
    flat_queries.insert(flat_queries.end(), q.begin(), q.end());
  for (const auto& c : hnsw_configs(256)) {
    INFO(name_of(c));
    engine e{c};
    fill(e, data);
    auto all = e.search(flat_queries.data(), queries.size(), 5, {"default", {}});
    REQUIRE(all.size() == queries.size());
    for (std::size_t i = 0; i < queries.size(); ++i)
      CHECK(ids_of(all[i]) == ids_of(e.search(queries[i].data(), 5, {"default", {}})));
  }
}

TEST_CASE("HNSW: recall sanity, tombstones, compaction in the background, stable ids", "[vector_index]") {
  auto data = clustered(3050, 10);
  auto queries = take_queries(data, 50);
  for (auto c : hnsw_configs(1000)) {
    INFO(name_of(c));
    c.compact_min = 1000000; // compaction only when asked, in this test
    engine e{c};
    fill(e, data);
    CHECK(recall(e, data, iota_ids(3000), queries, 10) >= 0.9);

    std::vector<std::uint64_t> kept;
    for (std::uint64_t i = 0; i < 3000; ++i) {
      if (i % 2 == 0)
        e.erase(i);
      else
        kept.push_back(i);
    }
    auto before = e.stats();
    CHECK(before.entries == 1500);
    CHECK(before.tombstones == 1500);
    CHECK(before.stored == 3000);
    for (const auto& q : queries)
      for (const auto& h : e.search(q.data(), 10, {"default", {}}))
        CHECK(h.id % 2 == 1);

    REQUIRE(e.compact());
    // Writes while the new index is built off to the side: they must survive the swap.
    e.add(entry(100000, data[0]));
    e.erase(1);
    kept.erase(kept.begin());
    REQUIRE(e.update(entry(3, data[2])));
    e.wait();
    auto after = e.stats();
    CHECK(after.compactions == 1);
    CHECK(after.entries == 1500);
    CHECK(after.tombstones <= 2); // the erase and the update replayed on the new index
    CHECK(after.stored == 1500 + after.tombstones);
    CHECK_FALSE(e.contains(1));
    // Ids are stable: each kept vector still finds its own id first.
    for (std::size_t i = 5; i < kept.size(); i += 50) {
      auto top = e.search(data[kept[i]].data(), 1, {"default", {}});
      REQUIRE(top.size() == 1);
      CHECK(top[0].id == kept[i]);
    }
    auto moved = e.search(data[2].data(), 1, {"default", {}});
    CHECK(ids_of(moved) == std::vector<std::uint64_t>{3});
    CHECK(e.search(data[0].data(), 1, {"default", {}})[0].id == 100000);
  }
}

TEST_CASE("HNSW compacts by itself when tombstones pass the ratio", "[vector_index]") {
  auto data = clustered(1200, 12);
  for (auto c : hnsw_configs(500)) {
    INFO(name_of(c));
    c.hnsw_m = 8;
    c.compact_min = 100;
    c.compact_ratio = 0.25;
    engine e{c};
    for (std::size_t i = 0; i < data.size(); ++i)
      e.add(entry(i, data[i]));
    e.wait();
    for (std::uint64_t i = 0; i < 400; ++i)
      e.erase(i);
    e.wait();
    auto s = e.stats();
    CHECK(s.compactions == 1);
    CHECK(s.tombstones < 300); // the rebuild started at 300 (a quarter of 1200); later erases are replayed
    CHECK(s.entries == 800);
  }
}

TEST_CASE("HNSW on 8-bit codes: exact until trained, exact scores, back to exact when it shrinks", "[vector_index]") {
  auto data = clustered(2050, 17);
  auto queries = take_queries(data, 50);
  auto c = config_of(index_kind::hnsw, vector_codes::sq8);
  c.train_min = 1000;
  c.compact_min = 100;
  engine e{c};
  add_across_training(e, data, queries); // the codes' ranges are trained and the graph built in the background
  auto s = e.stats();
  CHECK(s.trained);
  CHECK(s.trainings == 1);
  CHECK(s.stored == 2000);
  CHECK(recall(e, data, iota_ids(2000), queries, 10) >= 0.9);
  // FAISS holds 8-bit codes instead of a second float copy.
  engine floats{config_of(index_kind::hnsw)};
  for (std::size_t i = 0; i < 2000; ++i)
    floats.add(entry(i, data[i]));
  CHECK(s.bytes < floats.stats().bytes);
  // The candidates are re-ranked with the float vectors: a score is the exact inner product, in order.
  for (const auto& q : queries) {
    auto hits = e.search(q.data(), 10, {"default", {}});
    REQUIRE(hits.size() == 10);
    for (std::size_t i = 0; i < hits.size(); ++i) {
      float exact = 0;
      for (std::size_t j = 0; j < dim; ++j)
        exact += q[j] * data[hits[i].id][j];
      CHECK(hits[i].score == Approx(exact).margin(1e-5));
      if (i > 0)
        CHECK(hits[i - 1].score >= hits[i].score);
    }
  }
  // Deleted down below train_min: too little to train on, so exact scans answer again.
  for (std::uint64_t i = 0; i < 1500; ++i)
    e.erase(i);
  e.wait();
  CHECK_FALSE(e.stats().trained);
  CHECK(e.stats().entries == 500);
  std::vector<std::uint64_t> left;
  for (std::uint64_t i = 1500; i < 2000; ++i)
    left.push_back(i);
  CHECK(recall(e, data, left, queries, 10) == 1.0);
}

TEST_CASE("IVF: exact until trained, trained in the background, real deletes, recall sanity", "[vector_index]") {
  auto data = clustered(4050, 13);
  auto queries = take_queries(data, 50);
  auto c = config_of(index_kind::ivf);
  c.train_min = 1000;
  c.nprobe = 16;
  engine e{c};
  add_across_training(e, data, queries);
  auto s = e.stats();
  CHECK(s.trained);
  CHECK(s.trainings == 1);
  CHECK(s.stored == 4000);
  CHECK(recall(e, data, iota_ids(4000), queries, 10) >= 0.9);
  for (std::uint64_t i = 0; i < 100; ++i)
    e.erase(i);
  CHECK(e.stats().stored == 3900);
  CHECK(e.stats().tombstones == 0);
  for (std::uint64_t i = 0; i < 100; i += 9)
    for (const auto& h : e.search(data[i].data(), 10, {"default", {}}))
      CHECK(h.id >= 100);
}

TEST_CASE("IVF probing every list answers as flat does: one query or a batch and inner product or L2", "[vector_index]") {
  // One or a few queries go through the engine's own quantizer and list scanner (SIMD); 20 or
  // more through FAISS's BLAS quantizer.
  auto data = clustered(1530, 18);
  auto queries = take_queries(data, 30);
  std::vector<float> batch_queries;
  for (const auto& q : queries)
    batch_queries.insert(batch_queries.end(), q.begin(), q.end());
  for (auto metric : {metric_kind::inner_product, metric_kind::l2}) {
    INFO((metric == metric_kind::l2 ? "l2" : "inner product"));
    auto flat = config_of(index_kind::flat);
    flat.metric = metric;
    auto ivf = config_of(index_kind::ivf);
    ivf.metric = metric;
    ivf.train_min = 1000;
    ivf.nlist = 16;
    ivf.nprobe = 16;
    engine exact{flat};
    engine e{ivf};
    fill(exact, data);
    fill(e, data);
    REQUIRE(e.stats().trained);
    auto batch = e.search(batch_queries.data(), queries.size(), 10, {"default", {}});
    REQUIRE(batch.size() == queries.size());
    for (std::size_t i = 0; i < queries.size(); ++i) {
      auto want = exact.search(queries[i].data(), 10, {"default", {}});
      auto got = e.search(queries[i].data(), 10, {"default", {}});
      CHECK(ids_of(got) == ids_of(want));
      CHECK(ids_of(batch[i]) == ids_of(want));
      REQUIRE(got.size() == want.size());
      for (std::size_t j = 0; j < got.size(); ++j)
        CHECK(got[j].score == Approx(want[j].score).margin(1e-5));
    }
  }
}

TEST_CASE("IVF retrains when it has grown", "[vector_index]") {
  auto data = clustered(3000, 15);
  auto c = config_of(index_kind::ivf);
  c.train_min = 500;
  c.retrain_growth = 2.0;
  engine e{c};
  for (std::size_t i = 0; i < 600; ++i)
    e.add(entry(i, data[i]));
  e.wait();
  CHECK(e.stats().trainings == 1);
  std::vector<record> rest;
  for (std::size_t i = 600; i < data.size(); ++i)
    rest.push_back(entry(i, data[i]));
  e.add(rest);
  e.wait();
  CHECK(e.stats().trainings == 2);
  CHECK(e.stats().stored == 3000);
  CHECK(e.search(data[2500].data(), 1, {"default", {}})[0].id == 2500);
}

TEST_CASE("a background build ends while writes come faster than it replays them", "[vector_index]") {
  // A store-and-evict churn, as a full semantic cache sees it: before training the caller's
  // writes cost a copy each, far less than the builder's replay of them. The builder used to
  // replay its journal until few writes were left, one FAISS call per write: it never caught up,
  // so the index was never trained and the journal grew by a vector per write without end.
  auto data = clustered(2000, 17);
  auto training = ivf_training_from_1000(data);
  auto& e = *training;
  std::uint64_t next = 1000;
  std::uint64_t oldest = 0;
  // Paced so that the build gets the time it needs on a loaded machine (2 s at least), and still
  // far faster than one FAISS call per write.
  constexpr std::uint64_t max_writes = 1000000;
  while (e.stats().trainings == 0 && next < max_writes) {
    e.add(entry(next, data[next % data.size()]));
    ++next;
    e.erase(oldest++);
    if (next % 500 == 0)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  REQUIRE(e.stats().trainings == 1);
  auto s = e.stats();
  CHECK(s.entries == 1000);
  CHECK(s.stored == 1000); // each slot's last write, once
  for (auto id = oldest; id < next; id += 37) {
    auto found = e.search(data[id % data.size()].data(), 1, {"default", {}});
    REQUIRE(found.size() == 1);
    CHECK(found[0].score == Approx(1.0f));
    CHECK(found[0].id >= oldest); // nothing erased comes back
  }
}

TEST_CASE("a background build ends while every call adds a batch larger than a replay step", "[vector_index]") {
  // After the builder hands over, each call replays at most 1024 of the writes it left. Those
  // calls' own writes used to go into the same journal: batches of more than 1024 adds kept it
  // from ever emptying, so the trained index was never swapped in while they went on.
  auto data = clustered(2000, 18);
  auto training = ivf_training_from_1000(data);
  auto& e = *training;
  std::uint64_t next = 1000;
  const auto add_batch = [&](std::size_t size) { // more than 1024
    std::vector<record> batch;
    for (std::size_t i = 0; i < size; ++i, ++next)
      batch.push_back(entry(next, data[next % data.size()]));
    e.add(batch);
  };
  // Unpaced first, so that the builder hands over more than a replay step (the writes outrun it);
  // then paced, so that a builder still running on a loaded machine gets the time it needs (its
  // training's OpenMP team waits for a core): for up to 30 s, a bound on liveness, not on speed.
  for (int i = 0; i < 100 && e.stats().trainings == 0; ++i)
    add_batch(1500);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (e.stats().trainings == 0 && std::chrono::steady_clock::now() < give_up) {
    add_batch(1100);
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  REQUIRE(e.stats().trainings == 1);
  CHECK(e.stats().entries == next);
  for (std::uint64_t id = 0; id < next; id += 997) {
    auto found = e.search(data[id % data.size()].data(), 1, {"default", {}});
    REQUIRE(found.size() == 1);
    CHECK(found[0].score == Approx(1.0f));
  }
}

TEST_CASE("an engine destroyed during a background build stops it", "[vector_index]") {
  auto data = clustered(3000, 16);
  auto c = config_of(index_kind::hnsw);
  engine e{c};
  std::vector<record> batch;
  for (std::size_t i = 0; i < data.size(); ++i)
    batch.push_back(entry(i, data[i]));
  e.add(batch);
  REQUIRE(e.compact());
  CHECK(e.stats().rebuilding);
  // The destructor abandons the build; nothing to check but that it returns (under ASan: no leak).
}
