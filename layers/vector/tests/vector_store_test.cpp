#include "vector_store.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <set>
#include <thread>

using namespace strata;
using namespace strata::vector_layer;

namespace {

constexpr std::size_t dim = 16;
const std::string model = "test-model";

std::vector<float> unit(std::uint32_t seed) {
  std::mt19937 gen{seed};
  std::normal_distribution<float> normal;
  std::vector<float> v(dim);
  float norm = 0;
  for (auto& x : v) {
    x = normal(gen);
    norm += x * x;
  }
  for (auto& x : v)
    x /= std::sqrt(norm);
  return v;
}

vector_item item(std::uint32_t seed, std::string ns = "default", std::vector<std::string> tags = {},
                 std::uint64_t id = 0) {
  vector_item i;
  i.ns = std::move(ns);
  i.id = id;
  i.vector = {model, unit(seed)};
  i.metadata = "doc-" + std::to_string(seed);
  i.tags = std::move(tags);
  return i;
}

/// Item `seed` of the model `of`, its vector cut or padded with zeros to `width` values; `id`:
/// one the host gives (0: the store chooses).
vector_item item_of(const std::string& of, std::size_t width, std::uint32_t seed, std::uint64_t id = 0) {
  auto i = item(seed, "default", {}, id);
  i.vector.model = of;
  i.vector.values.resize(width);
  return i;
}

vector_query query(std::uint32_t seed, std::size_t k = 5, std::string ns = "default", std::vector<std::string> tags = {}) {
  vector_query q;
  q.ns = std::move(ns);
  q.vector = {model, unit(seed)};
  q.k = k;
  q.tags = std::move(tags);
  return q;
}

store_options flat_options() {
  store_options o;
  o.index.kind = vector_index::index_kind::flat;
  return o;
}

std::vector<vector_hit> search(vector_store& s, const vector_query& q) {
  std::vector<vector_hit> hits;
  REQUIRE(s.search(q, hits) == status::ok);
  return hits;
}

} // namespace

TEST_CASE("ids: chosen by the store, or given and then refused when taken", "[vector]") {
  vector_store s{flat_options()};
  std::uint64_t a = 0, b = 0, c = 0;
  REQUIRE(s.add(item(1), a) == status::ok);
  REQUIRE(s.add(item(2, "default", {}, 2), b) == status::ok);
  REQUIRE(s.add(item(3), c) == status::ok);
  CHECK(a == 1);
  CHECK(b == 2);
  CHECK(c == 3); // 2 was taken by the explicit id
  std::uint64_t d = 0;
  CHECK_THROWS_WITH(s.add(item(4, "other-ns", {}, 2), d), "id 2 is taken (ids are one space across namespaces); an update replaces an entry of the namespace, an add without an id gets a free one");
  CHECK(s.size() == 3);
  auto hits = search(s, query(2, 1));
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].id == 2);
  CHECK(hits[0].score == Approx(1.0).epsilon(1e-5));
  CHECK(hits[0].metadata == "doc-2");
}

TEST_CASE("an erased id is not given again: the count goes on after the largest given, a host's too", "[vector]") {
  vector_store s{flat_options()};
  std::uint64_t a = 0, given = 0, next = 0;
  REQUIRE(s.add(item(1), a) == status::ok);
  REQUIRE(s.add(item(2, "default", {}, 100), given) == status::ok);
  REQUIRE(s.erase("default", given) == status::ok);
  REQUIRE(s.add(item(3), next) == status::ok);
  CHECK(a == 1);
  CHECK(next == 101); // not 2, nor the erased 100
}

TEST_CASE("an add taken back leaves the store as before it: entries, the models it brought, ids", "[vector]") {
  vector_store s{flat_options()};
  std::uint64_t a = 0;
  REQUIRE(s.add(item(1), a) == status::ok);
  // A batch of the model there, a model it brings and a host's id, whose file write failed.
  const auto other = item_of("brought", 8, 3);
  std::vector<std::uint64_t> ids;
  REQUIRE(s.add_batch({item(2), other, item(4, "default", {}, 50)}, ids) == status::ok);
  REQUIRE(ids == std::vector<std::uint64_t>{2, 3, 50});
  s.take_back_last_add();
  CHECK(s.size() == 1);
  for (auto id : ids)
    CHECK_FALSE(s.find(id));
  // "brought" fixes no dimension; the model there keeps its own.
  const auto wider = item_of("brought", dim, 5);
  std::uint64_t again = 0;
  CHECK(s.add(wider, again) == status::ok);
  CHECK(again == 2); // the ids it used are given again
  auto narrower = item(6);
  narrower.vector.values.resize(8);
  std::uint64_t refused = 0;
  CHECK_THROWS_AS(s.add(narrower, refused), std::invalid_argument);
  s.take_back_last_add(); // the wider one (the refused add changed nothing)
  s.take_back_last_add(); // none since the last: nothing happens
  CHECK(s.size() == 1);
  std::uint64_t after = 0;
  REQUIRE(s.add(item(7), after) == status::ok);
  CHECK(after == 2);
}

TEST_CASE("an entry put back is as it was: an erase or an update undone, the model it brought gone", "[vector]") {
  vector_store s{flat_options()};
  std::uint64_t a = 0, b = 0;
  REQUIRE(s.add(item(1, "default", {"t"}), a) == status::ok);
  REQUIRE(s.add(item(2), b) == status::ok);
  const auto before = s.find(a);
  REQUIRE(before);
  // An erase undone.
  REQUIRE(s.erase("default", a) == status::ok);
  s.put_back(*before);
  const auto back = s.find(a);
  REQUIRE(back);
  CHECK(back->metadata == "doc-1");
  CHECK(back->tags == std::vector<std::string>{"t"});
  std::vector<vector_hit> hits;
  REQUIRE(s.search(query(1, 1), hits) == status::ok);
  CHECK(hits.at(0).id == a);
  // An update to a model of its own undone: that model fixes no dimension.
  REQUIRE(s.update(item_of("brought", 8, 3, a)) == status::ok);
  s.put_back(*before);
  CHECK(s.find(a)->model == before->model);
  std::uint64_t c = 0;
  CHECK(s.add(item_of("brought", 16, 4), c) == status::ok);
  CHECK(s.size() == 3);
  // A model whose engine was there, emptied (its rows may still be in the file: a review), keeps
  // its dimension when an update to it is undone.
  std::uint64_t k = 0;
  REQUIRE(s.add(item_of("kept", 8, 5), k) == status::ok);
  REQUIRE(s.erase("default", k) == status::ok);
  REQUIRE(s.update(item_of("kept", 8, 6, a)) == status::ok);
  s.put_back(*before);
  std::uint64_t refused = 0;
  CHECK_THROWS_AS(s.add(item_of("kept", 16, 7), refused), std::invalid_argument);
}

TEST_CASE("in a batch the ids chosen go on after a host's, as add by add", "[vector]") {
  vector_store s{flat_options()};
  std::vector<std::uint64_t> ids;
  REQUIRE(s.add_batch({item(1), item(2, "default", {}, 100), item(3), item(4, "default", {}, 3), item(5)}, ids) ==
          status::ok);
  CHECK(ids == std::vector<std::uint64_t>{1, 100, 101, 3, 102});
  std::uint64_t next = 0;
  REQUIRE(s.add(item(6), next) == status::ok);
  CHECK(next == 103);
}

TEST_CASE("in a batch whose host id is 2^53 - 1 the count starts again without giving an id twice", "[vector]") {
  for (const bool other_model : {false, true}) {
    vector_store s{flat_options()};
    auto last = item(3);
    if (other_model) // apart, each engine would take the id it was given
      last.vector.model = "other-model";
    std::vector<std::uint64_t> ids;
    REQUIRE(s.add_batch({item(1), item(2, "default", {}, max_entry_id), last}, ids) == status::ok);
    CHECK(ids == std::vector<std::uint64_t>{1, max_entry_id, 2});
    CHECK(s.size() == 3);
  }
}

TEST_CASE("a full store refuses adds", "[vector]") {
  auto o = flat_options();
  o.max_entries = 3;
  vector_store s{o};
  std::vector<std::uint64_t> ids;
  REQUIRE(s.add_batch({item(1), item(2)}, ids) == status::ok);
  CHECK(s.add_batch({item(3), item(4)}, ids) == status::rejected);
  std::uint64_t id = 0;
  CHECK(s.add(item(3), id) == status::ok);
  CHECK(s.add(item(4), id) == status::rejected);
  CHECK(s.size() == 3);
}

TEST_CASE("namespaces are never crossed, tags filter, other models are never compared", "[vector]") {
  vector_store s{flat_options()};
  std::uint64_t id = 0;
  for (std::uint32_t i = 0; i < 40; ++i)
    REQUIRE(s.add(item(i, i % 2 == 0 ? "tenant-a" : "tenant-b", i % 4 == 0 ? std::vector<std::string>{"red"}
                                                                            : std::vector<std::string>{}),
                  id) == status::ok);
  for (const auto& h : search(s, query(1, 10, "tenant-a")))
    CHECK(h.id % 2 == 1); // ids start at 1: seed i has id i + 1
  auto same = search(s, query(1, 1, "tenant-b"));
  REQUIRE(same.size() == 1);
  CHECK(same[0].id == 2);
  auto red = search(s, query(1, 40, "tenant-a", {"red"}));
  CHECK(red.size() == 10);
  for (const auto& h : red)
    CHECK(h.tags == std::vector<std::string>{"red"});
  CHECK(search(s, query(1, 5, "tenant-c")).empty());

  auto other = query(1, 5, "tenant-a");
  other.vector.model = "another-model";
  CHECK(search(s, other).empty());
  auto wrong = query(1);
  wrong.vector.values.resize(dim + 1);
  std::vector<vector_hit> hits;
  CHECK_THROWS_WITH(s.search(wrong, hits), Catch::Contains("dimension 16, the query has 17"));
  auto big = query(1, 5000);
  CHECK_THROWS_WITH(s.search(big, hits), Catch::Contains("max_k"));
}

TEST_CASE("bad items throw and change nothing, a batch is all or none", "[vector]") {
  vector_store s{flat_options()};
  std::uint64_t id = 0;
  REQUIRE(s.add(item(1), id) == status::ok);
  auto no_model = item(2);
  no_model.vector.model.clear();
  CHECK_THROWS_WITH(s.add(no_model, id), Catch::Contains("model id"));
  auto longer = item(3);
  longer.vector.values.push_back(0.5f);
  CHECK_THROWS_WITH(s.add(longer, id), Catch::Contains("dimension 16, the item has 17"));
  auto nan = item(4);
  nan.vector.values[3] = std::nanf("");
  std::vector<std::uint64_t> ids;
  CHECK_THROWS_WITH(s.add_batch({item(5), nan}, ids), Catch::Contains("component 3"));
  CHECK_THROWS_WITH(s.add_batch({item(6, "default", {}, 50), item(7, "default", {}, 50)}, ids),
                    "item 1: id 50 is given twice in the batch");
  CHECK(s.size() == 1);
  // A new model's dimension is fixed by the batch that brings it.
  auto m1 = item(8), m2 = item(9);
  m1.vector.model = m2.vector.model = "new-model";
  m2.vector.values.resize(4);
  CHECK_THROWS(s.add_batch({m1, m2}, ids));
  CHECK(s.size() == 1);
}

TEST_CASE("update keeps the id, erase removes, both stay in their namespace", "[vector]") {
  vector_store s{flat_options()};
  std::vector<std::uint64_t> ids;
  REQUIRE(s.add_batch({item(1, "a"), item(2, "a"), item(3, "b")}, ids) == status::ok);
  auto changed = item(99, "a", {"new"}, ids[0]);
  REQUIRE(s.update(changed) == status::ok);
  auto top = search(s, query(99, 1, "a"));
  REQUIRE(top.size() == 1);
  CHECK(top[0].id == ids[0]);
  CHECK(top[0].metadata == "doc-99");
  CHECK(top[0].tags == std::vector<std::string>{"new"});
  auto stored = s.find(ids[0]);
  REQUIRE(stored);
  CHECK(stored->vector == unit(99));
  CHECK(stored->model == model);
  CHECK(stored->ns == "a");

  CHECK(s.update(item(5, "b", {}, ids[0])) == status::not_found); // another namespace's id
  CHECK(s.update(item(5, "a", {}, 12345)) == status::not_found);
  CHECK(s.erase("b", ids[0]) == status::not_found);
  CHECK(s.erase("a", ids[0]) == status::ok);
  CHECK(s.erase("a", ids[0]) == status::not_found);
  CHECK_FALSE(s.find(ids[0]));
  for (const auto& h : search(s, query(99, 5, "a")))
    CHECK(h.id != ids[0]);
  // An update may change the model: the entry moves to that model's index.
  auto moved = item(7, "b", {}, ids[2]);
  moved.vector.model = "other-model";
  REQUIRE(s.update(moved) == status::ok);
  CHECK(search(s, query(3, 5, "b")).empty());
  auto q = query(7, 1, "b");
  q.vector.model = "other-model";
  CHECK(search(s, q).at(0).id == ids[2]);
}

TEST_CASE("TTL: expired entries are never returned and are counted", "[vector]") {
  std::int64_t now = 1000;
  vector_store s{flat_options(), [&] { return now; }};
  auto short_lived = item(1);
  short_lived.ttl = std::chrono::milliseconds{500};
  std::uint64_t a = 0, b = 0;
  REQUIRE(s.add(short_lived, a) == status::ok);
  REQUIRE(s.add(item(2), b) == status::ok);
  CHECK(s.find(a)->expires_at_ms == 1500);
  CHECK(search(s, query(1, 1)).at(0).id == a);
  now = 1500;
  CHECK(search(s, query(1, 1)).at(0).id == b);
  CHECK(s.size() == 1);
  CHECK(s.counters().expired == 1);
}

TEST_CASE("TTL: one beyond the clock's range never expires rather than wrapping into the past", "[vector]") {
  std::int64_t now = 1'800'000'000'000; // 2027, in milliseconds
  vector_store s{flat_options(), [&] { return now; }};
  auto forever = item(1);
  forever.ttl = std::chrono::milliseconds::max();
  std::uint64_t id = 0;
  REQUIRE(s.add(forever, id) == status::ok);
  CHECK(s.find(id)->expires_at_ms == std::numeric_limits<std::int64_t>::max());
  CHECK(search(s, query(1, 1)).at(0).id == id);
}

TEST_CASE("tag invalidation removes the tagged entries of one namespace", "[vector]") {
  vector_store s{flat_options()};
  std::vector<std::uint64_t> ids;
  REQUIRE(s.add_batch({item(1, "a", {"x"}), item(2, "a", {"x", "y"}), item(3, "a"), item(4, "b", {"x"})}, ids) ==
          status::ok);
  CHECK(s.invalidate_tag("a", "x") == 2);
  CHECK(s.size() == 2);
  CHECK(s.counters().invalidated == 2);
  CHECK(s.find(ids[3]));
}

TEST_CASE("batch search answers as single searches do", "[vector]") {
  vector_store s{flat_options()};
  std::uint64_t id = 0;
  for (std::uint32_t i = 0; i < 30; ++i)
    REQUIRE(s.add(item(i, i % 3 == 0 ? "a" : "b"), id) == status::ok);
  std::vector<vector_query> alike{query(100, 4, "b"), query(101, 4, "b"), query(102, 4, "b")};
  std::vector<vector_query> mixed{query(100, 4, "a"), query(101, 2, "b"), query(102, 4, "c")};
  for (const auto& batch : {alike, mixed}) {
    std::vector<std::vector<vector_hit>> all;
    REQUIRE(s.search_batch(batch, all) == status::ok);
    REQUIRE(all.size() == batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto one = search(s, batch[i]);
      REQUIRE(one.size() == all[i].size());
      for (std::size_t j = 0; j < one.size(); ++j)
        CHECK(one[j].id == all[i][j].id);
    }
  }
  CHECK(s.counters().searches == 12);
}

TEST_CASE("a search batch asks for at most max_batch_hits hits in all", "[vector]") {
  auto o = flat_options();
  o.max_batch_hits = 10;
  vector_store s{o};
  std::uint64_t id = 0;
  REQUIRE(s.add(item(1), id) == status::ok);
  std::vector<std::vector<vector_hit>> all;
  REQUIRE(s.search_batch({query(1, 5), query(2, 5)}, all) == status::ok);
  CHECK_THROWS_WITH(s.search_batch({query(1, 5), query(2, 5), query(3, 1)}, all),
                    "the batch asks for 11 hits in all (the sum of its queries' k), more than max_batch_hits 10");
  o.max_k = SIZE_MAX;
  vector_store any_k{o};
  CHECK_THROWS_WITH(any_k.search_batch({query(1, 5), query(2, SIZE_MAX)}, all),
                    Catch::StartsWith("the batch asks for 18446744073709551615 hits"));
  CHECK_THROWS_WITH(s.search_batch({query(1, 5), query(2, 2000)}, all), // the query's own bound first
                    "item 1: k 2000 is more than max_k 1000");
  REQUIRE(s.search(query(1, 11), all.front()) == status::ok); // one search is bounded by max_k alone
}

TEST_CASE("L2 scores are similarities: 1 - d^2/2", "[vector]") {
  auto o = flat_options();
  o.index.metric = vector_index::metric_kind::l2;
  vector_store s{o};
  std::uint64_t id = 0;
  REQUIRE(s.add(item(1), id) == status::ok);
  REQUIRE(s.add(item(2), id) == status::ok);
  auto hits = search(s, query(1, 2));
  REQUIRE(hits.size() == 2);
  CHECK(hits[0].score == Approx(1.0).margin(1e-5));
  float dot = 0;
  auto a = unit(1), b = unit(2);
  for (std::size_t i = 0; i < dim; ++i)
    dot += a[i] * b[i];
  CHECK(hits[1].score == Approx(dot).margin(1e-4)); // unit vectors: 1 - |a-b|^2/2 is the cosine
}

TEST_CASE("HNSW deletes leave tombstones that a background compaction drops", "[vector]") {
  store_options o;
  o.index.kind = vector_index::index_kind::hnsw;
  o.index.hnsw_codes = vector_index::vector_codes::f32; // a graph from the first add, no training
  o.index.compact_min = 50;
  o.index.compact_ratio = 0.3;
  vector_store s{o};
  std::vector<vector_item> items;
  for (std::uint32_t i = 0; i < 300; ++i)
    items.push_back(item(i));
  std::vector<std::uint64_t> ids;
  REQUIRE(s.add_batch(items, ids) == status::ok);
  for (std::size_t i = 0; i < 60; ++i)
    REQUIRE(s.erase("default", ids[i]) == status::ok);
  CHECK(s.counters().tombstones == 60);
  for (std::size_t i = 60; i < 100; ++i)
    REQUIRE(s.erase("default", ids[i]) == status::ok); // the 90th (0.3 of 300) starts a rebuild
  for (int tries = 0; tries < 500 && s.counters().compactions == 0; ++tries) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    s.poll();
  }
  auto c = s.counters();
  CHECK(c.compactions == 1);
  CHECK(c.tombstones == 10); // the erases after the rebuild began, replayed onto the new index
  CHECK(c.entries == 200);
  for (std::size_t i = 100; i < 300; i += 17)
    CHECK(search(s, query(static_cast<std::uint32_t>(i), 1)).at(0).id == ids[i]);
}

TEST_CASE("restore rebuilds the engines from entries, skips expired ones and continues the ids", "[vector_store]") {
  std::int64_t now = 1000;
  vector_store first{flat_options(), [&] { return now; }};
  std::uint64_t kept = 0, gone = 0;
  REQUIRE(first.add(item(1, "default", {"t"}), kept) == status::ok);
  auto brief = item(2);
  brief.ttl = std::chrono::milliseconds(100);
  REQUIRE(first.add(brief, gone) == status::ok);
  const std::vector<vector_entry> entries{*first.find(kept), *first.find(gone)};

  now = 2000; // `brief` has expired
  vector_store second{flat_options(), [&] { return now; }};
  std::vector<std::uint64_t> removed;
  second.on_removed([&](std::uint64_t id) { removed.push_back(id); });
  CHECK(second.restore(entries, 41) == 1);
  const auto hits = search(second, query(1, 5, "default", {"t"}));
  REQUIRE(hits.size() == 1);
  CHECK(hits[0].id == kept);
  CHECK(hits[0].metadata == "doc-1");
  CHECK_FALSE(second.find(gone));
  std::uint64_t next = 0;
  REQUIRE(second.add(item(3), next) == status::ok);
  CHECK(next == 42); // after the largest id ever given
  CHECK(second.erase("default", kept) == status::ok);
  CHECK(removed == std::vector<std::uint64_t>{kept});
}

TEST_CASE("the ids the store chooses stay at most 2^53 - 1, after a host gave that one too", "[vector_store]") {
  vector_store first{flat_options()};
  std::uint64_t auto_id = 0, top = 0;
  REQUIRE(first.add(item(1), auto_id) == status::ok);
  REQUIRE(first.add(item(2, "default", {}, max_entry_id), top) == status::ok);
  const std::vector<vector_entry> entries{*first.find(auto_id), *first.find(top)};
  vector_store second{flat_options()};
  REQUIRE(second.restore(entries, max_entry_id) == 2);
  std::uint64_t next = 0;
  REQUIRE(second.add(item(3), next) == status::ok);
  CHECK(next == auto_id + 1); // from 1 again, past the taken ones (it was 2^53)
  REQUIRE(second.add(item(4), next) == status::ok);
  CHECK(next == auto_id + 2);
}

TEST_CASE("a host's id above 2^53 - 1 is refused", "[vector_store]") {
  // Taken, it made the store's own count wrap after a restart, and give the ids of erased entries
  // again (the Redis front end passed it; HTTP refused it).
  vector_store s{flat_options()};
  std::uint64_t id = 0;
  CHECK_THROWS_WITH(s.add(item(1, "default", {}, max_entry_id + 1), id),
                    "id 9007199254740992 is above 2^53 - 1 (9007199254740991), the largest a JSON number holds exactly");
  CHECK(s.add(item(1, "default", {}, max_entry_id), id) == status::ok);
}

TEST_CASE("a vector too long to score is refused, added or asked", "[vector_store]") {
  vector_store s{flat_options()};
  std::uint64_t id = 0;
  REQUIRE(s.add(item(1), id) == status::ok);
  auto huge = item(2);
  for (auto& x : huge.vector.values)
    x = 3e38f; // finite, but a distance to it is not
  // Four digits: std::to_string wrote 1200000000000000000000000000000000000000.000000.
  CHECK_THROWS_WITH(s.add(huge, id), "the vector's length 1.2e+39 is too large to compare; at most 9.223e+18");
  auto q = query(1);
  q.vector.values = huge.vector.values;
  std::vector<vector_hit> hits;
  CHECK_THROWS_WITH(s.search(q, hits), Catch::Contains("is too large to compare"));
  q.vector.values[0] = std::numeric_limits<float>::quiet_NaN();
  CHECK_THROWS_WITH(s.search(q, hits), Catch::Contains("component 0 of the vector is not finite"));
}

TEST_CASE("an all-zero vector has no direction under ip: refused when added, found nothing when asked", "[vector_store]") {
  // An embedder's vector of a text without words ("   ", "!!!"): it was kept at score 0 against
  // every entry, and a search with one listed k entries in no order.
  vector_store s{flat_options()};
  std::uint64_t id = 0;
  REQUIRE(s.add(item(1), id) == status::ok);
  auto zero = item(2);
  std::fill(zero.vector.values.begin(), zero.vector.values.end(), 0.0f);
  CHECK_THROWS_WITH(s.add(zero, id), Catch::Contains("the vector is all zeros"));
  auto q = query(1);
  std::fill(q.vector.values.begin(), q.vector.values.end(), 0.0f);
  CHECK(search(s, q).empty());
  std::vector<std::vector<vector_hit>> hits;
  REQUIRE(s.search_batch({q, query(1)}, hits) == status::ok); // alike: one FAISS call for both
  CHECK(hits[0].empty());
  CHECK(hits[1].size() == 1);
  auto l2 = flat_options();
  l2.index.metric = vector_index::metric_kind::l2;
  vector_store points{l2}; // under l2 the origin is a point like any other
  REQUIRE(points.add(zero, id) == status::ok);
  CHECK(search(points, q).size() == 1);
}

TEST_CASE("a batch's bad item is named by its position", "[vector_store]") {
  vector_store s{flat_options()};
  std::uint64_t id = 0;
  REQUIRE(s.add(item(1), id) == status::ok);
  auto longer = item(3);
  longer.vector.values.push_back(0.5f);
  std::vector<std::uint64_t> ids;
  CHECK_THROWS_WITH(s.add_batch({item(2), longer}, ids),
                    "item 1: model 'test-model' has vectors of dimension 16, the item has 17");
  CHECK_THROWS_WITH(s.add_batch({item(2), item(4, "default", {}, id)}, ids),
                    "item 1: id " + std::to_string(id) + " is taken (ids are one space across namespaces); an update replaces an entry of the namespace, an add without an id gets a free one");
  std::vector<std::vector<vector_hit>> hits;
  auto wide = query(5);
  wide.vector.values.resize(3);
  CHECK_THROWS_WITH(s.search_batch({query(4), wide}, hits),
                    "item 1: model 'test-model' has vectors of dimension 16, the query has 3");
  CHECK(s.size() == 1);
}

TEST_CASE("restore refuses an entry that does not fit, naming its id", "[vector_store]") {
  vector_entry a{7, "default", model, unit(1), "", {}, 0};
  auto b = a;
  b.id = 9;
  b.vector.resize(dim / 2);
  vector_store s{flat_options()};
  CHECK_THROWS_WITH(s.restore({a, b}), Catch::Contains("entry 9") && Catch::Contains("where entry 7 of the same model"));
  CHECK(s.size() == 0);
  vector_store repeated{flat_options()};
  CHECK_THROWS_WITH(repeated.restore({a, a}), Catch::Contains("entry 7"));
}

TEST_CASE("an add the engine refuses uses up no id: the next add gets the id it would have had", "[vector_store]") {
  vector_store s{flat_options()};
  std::uint64_t first = 0;
  REQUIRE(s.add(item(1), first) == status::ok);
  auto too_wide = item(2);
  too_wide.vector.model = "wide-model";
  too_wide.vector.values.assign(65537, 0.001f);
  std::vector<std::uint64_t> ids;
  CHECK_THROWS_WITH(s.add_batch({item(3), too_wide}, ids),
                    "item 1: model 'wide-model': dimension must be between 1 and 65536, got 65537");
  CHECK_THROWS_WITH(s.add(too_wide, first), "model 'wide-model': dimension must be between 1 and 65536, got 65537");
  std::uint64_t next = 0;
  REQUIRE(s.add(item(4), next) == status::ok);
  CHECK(next == first + 1);
  CHECK(s.size() == 2);
}
