#include "semantic_cache.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>

using namespace strata;
using namespace strata::semantic_layer;

namespace {

/// A unit vector of dimension 8 pointing mostly along axis `axis`, tilted towards axis+1 by `tilt`.
embedding vec(int axis, double tilt = 0, std::string model = "m1", std::size_t dimension = 8) {
  embedding e;
  e.model = std::move(model);
  e.values.assign(dimension, 0.0f);
  e.values[axis % dimension] = static_cast<float>(std::cos(tilt));
  e.values[(axis + 1) % dimension] = static_cast<float>(std::sin(tilt));
  return e;
}

semantic_entry entry(std::string ns, std::string query, std::string answer, embedding v) {
  semantic_entry e;
  e.ns = std::move(ns);
  e.query = std::move(query);
  e.answer = std::move(answer);
  e.vector = std::move(v);
  return e;
}

semantic_lookup_request ask(std::string ns, embedding v, std::string text = {}) {
  semantic_lookup_request r;
  r.ns = std::move(ns);
  r.vector = std::move(v);
  r.text = std::move(text);
  return r;
}

/// Events that add each eviction for capacity to `evicted`.
cache_events counting_capacity_evictions(std::size_t& evicted) {
  cache_events events;
  events.removed = [&evicted](removal why, std::size_t n) {
    if (why == removal::capacity)
      evicted += n;
  };
  return events;
}

cache_options flat() {
  cache_options o;
  o.index.kind = vector_index::index_kind::flat;
  o.threshold = 0.9;
  return o;
}

} // namespace

TEST_CASE("a lookup finds the closest entry above the threshold, with its score", "[semantic_cache]") {
  semantic_cache cache(flat());
  const auto id = *cache.store(entry("default", "q0", "a0", vec(0)));
  cache.store(entry("default", "q2", "a2", vec(2)));
  semantic_match m;
  REQUIRE(cache.lookup(ask("default", vec(0, 0.2)), m) == status::ok);
  CHECK(m.id == id);
  CHECK(m.answer == "a0");
  CHECK(m.query == "q0");
  CHECK(m.model == "m1");
  CHECK(m.score == Approx(std::cos(0.2)).epsilon(1e-4));
  // Farther than the threshold: a miss that still says how close the best candidate was.
  CHECK(cache.lookup(ask("default", vec(0, 0.6)), m) == status::not_found);
  CHECK(m.rejected_by == "threshold");
  CHECK(m.score == Approx(std::cos(0.6)).epsilon(1e-4));
  auto lenient = ask("default", vec(0, 0.6));
  lenient.threshold = 0.5;
  CHECK(cache.lookup(lenient, m) == status::ok);
}

TEST_CASE("a lookup never crosses namespaces", "[semantic_cache]") {
  semantic_cache cache(flat());
  cache.store(entry("tenant-a", "q", "secret of a", vec(0)));
  semantic_match m;
  CHECK(cache.lookup(ask("tenant-b", vec(0)), m) == status::not_found);
  CHECK(m.rejected_by.empty());
  CHECK(cache.lookup(ask("tenant-a", vec(0)), m) == status::ok);
  CHECK_FALSE(cache.erase("tenant-b", m.id));
}

TEST_CASE("a store never replaces another namespace's entry, whatever bytes they hold", "[semantic_cache]") {
  using namespace std::string_literals;
  semantic_cache cache(flat());
  cache.store(entry("a\0b"s, "c", "answer of a\\0b", vec(0)));
  cache.store(entry("a", "b\0c"s, "answer of a", vec(2))); // one key "a\0b\0c" with a bare separator
  semantic_match m;
  REQUIRE(cache.lookup(ask("a\0b"s, vec(0)), m) == status::ok);
  CHECK(m.answer == "answer of a\\0b");
  REQUIRE(cache.lookup(ask("a", vec(2)), m) == status::ok);
  CHECK(m.answer == "answer of a");
}

TEST_CASE("vectors of different models are never compared, a wrong dimension is refused", "[semantic_cache]") {
  semantic_cache cache(flat());
  cache.store(entry("default", "q", "a", vec(0, 0, "model-a")));
  semantic_match m;
  CHECK(cache.lookup(ask("default", vec(0, 0, "model-b")), m) == status::not_found);
  CHECK(m.rejected_by.empty());
  CHECK_THROWS_AS(cache.lookup(ask("default", vec(0, 0, "model-a", 16)), m), std::invalid_argument);
  CHECK_THROWS_AS(cache.store(entry("default", "q2", "a", vec(0, 0, "model-a", 4))), std::invalid_argument);
  // Another model may have another dimension.
  cache.store(entry("default", "q3", "b", vec(0, 0, "model-c", 16)));
  CHECK(cache.lookup(ask("default", vec(0, 0, "model-c", 16)), m) == status::ok);
  CHECK(m.answer == "b");
}

TEST_CASE("entries expire after their TTL", "[semantic_cache]") {
  std::int64_t now = 1000;
  semantic_cache cache(flat(), {}, [&] { return now; });
  auto e = entry("default", "q", "a", vec(0));
  e.ttl = std::chrono::milliseconds(50);
  cache.store(e);
  semantic_match m;
  CHECK(cache.lookup(ask("default", vec(0)), m) == status::ok);
  now += 50;
  CHECK(cache.lookup(ask("default", vec(0)), m) == status::not_found);
  CHECK(cache.size() == 0);
}

TEST_CASE("a TTL beyond the clock's range never expires rather than wrapping into the past", "[semantic_cache]") {
  std::int64_t now = 1'800'000'000'000; // 2027, in milliseconds
  semantic_cache cache(flat(), {}, [&] { return now; });
  auto e = entry("default", "q", "a", vec(0));
  e.ttl = std::chrono::milliseconds::max();
  cache.store(e);
  semantic_match m;
  REQUIRE(cache.lookup(ask("default", vec(0)), m) == status::ok);
  CHECK(m.answer == "a");
  CHECK(cache.records().at(0).expires_at_ms == std::numeric_limits<std::int64_t>::max());
}

TEST_CASE("the bound on entries evicts the least recently used", "[semantic_cache]") {
  auto o = flat();
  o.max_entries = 2;
  std::size_t evicted = 0;
  semantic_cache cache(o, counting_capacity_evictions(evicted));
  cache.store(entry("default", "q0", "a0", vec(0)));
  cache.store(entry("default", "q2", "a2", vec(2)));
  semantic_match m;
  REQUIRE(cache.lookup(ask("default", vec(0)), m) == status::ok); // q0 is now the most recent
  cache.store(entry("default", "q4", "a4", vec(4)));
  CHECK(cache.size() == 2);
  CHECK(evicted == 1);
  CHECK(cache.lookup(ask("default", vec(2)), m) == status::not_found);
  CHECK(cache.lookup(ask("default", vec(0)), m) == status::ok);
  CHECK(cache.lookup(ask("default", vec(4)), m) == status::ok);
}

TEST_CASE("an entry larger than max_bytes alone is refused and evicts nothing", "[semantic_cache]") {
  auto o = flat();
  o.max_bytes = 4096;
  std::size_t evicted = 0;
  semantic_cache cache(o, counting_capacity_evictions(evicted));
  const auto kept = *cache.store(entry("a", "small", "a1", vec(0)));
  cache.store(entry("b", "replaced", "old answer", vec(2)));
  REQUIRE(cache.size() == 2);

  CHECK_FALSE(cache.store(entry("b", "big", std::string(5000, 'x'), vec(4))).has_value());
  CHECK(cache.size() == 2);
  // A new answer too large for the bounds still makes the old one under that text stale.
  CHECK_FALSE(cache.store(entry("b", "replaced", std::string(5000, 'x'), vec(2))).has_value());
  CHECK(cache.exact("b", "replaced") == nullptr);
  CHECK(cache.size() == 1);

  semantic_update u;
  u.ns = "a";
  u.id = kept;
  u.answer = std::string(5000, 'y');
  CHECK(cache.update(u) == status::rejected);
  CHECK_FALSE(cache.find(kept)); // its old answer is stale
  CHECK(evicted == 0);
  CHECK(cache.bytes() == 0);
}

TEST_CASE("restore drops a record larger than max_bytes alone rather than evicting for it", "[semantic_cache]") {
  semantic_cache first(flat());
  first.store(entry("ns", "one", "a1", vec(1)));
  first.store(entry("ns", "big", std::string(5000, 'x'), vec(3)));
  first.store(entry("ns", "two", "a2", vec(5)));
  auto o = flat();
  o.max_bytes = 4096;
  std::vector<std::uint64_t> dropped;
  cache_events events;
  events.dropped = [&](std::uint64_t id) { dropped.push_back(id); };
  semantic_cache second(o, events);
  CHECK(second.restore(first.records()) == 2);
  CHECK(second.exact("ns", "one") != nullptr);
  CHECK(second.exact("ns", "two") != nullptr);
  CHECK(dropped.size() == 1);
}

TEST_CASE("update changes an entry in place, erase removes it, same query replaces", "[semantic_cache]") {
  semantic_cache cache(flat());
  const auto id = *cache.store(entry("default", "q", "old", vec(0)));
  semantic_update u;
  u.id = id;
  u.answer = "new";
  u.tags = std::vector<std::string>{"t"};
  REQUIRE(cache.update(u) == strata::status::ok);
  semantic_match m;
  REQUIRE(cache.lookup(ask("default", vec(0)), m) == status::ok);
  CHECK(m.answer == "new");
  CHECK(m.tags == std::vector<std::string>{"t"});
  u.ns = "other";
  CHECK(cache.update(u) == strata::status::not_found);
  const auto replaced = *cache.store(entry("default", "q", "newest", vec(0, 0.1)));
  CHECK(replaced != id);
  CHECK(cache.size() == 1);
  REQUIRE(cache.exact("default", "q") != nullptr);
  CHECK(cache.exact("default", "q")->answer == "newest");
  CHECK(cache.invalidate_tag("default", "t") == 0); // the replacement has no tag
  CHECK(cache.erase("default", replaced));
  CHECK_FALSE(cache.erase("default", replaced));
  CHECK(cache.lookup(ask("default", vec(0)), m) == status::not_found);
}

TEST_CASE("the second stage refuses a hit whose numbers differ, and reports why", "[semantic_cache]") {
  std::vector<std::string> reasons;
  cache_events events;
  events.rejected = [&](const std::string& r) { reasons.push_back(r); };
  semantic_cache cache(flat(), events);
  cache.store(entry("default", "Is 4 GB enough?", "yes", vec(0)));
  semantic_match m;
  CHECK(cache.lookup(ask("default", vec(0), "Is 8 GB enough?"), m) == status::not_found);
  CHECK(m.rejected_by == "numbers");
  CHECK(reasons == std::vector<std::string>{"numbers"});
  CHECK(cache.lookup(ask("default", vec(0), "is 4 gb enough"), m) == status::ok);
}

TEST_CASE("the margin compares with the best entry that has another answer", "[semantic_cache]") {
  auto o = flat();
  o.threshold = 0.5;
  o.check.min_margin = 0.1;
  semantic_cache cache(o);
  cache.store(entry("default", "a", "A", vec(0)));
  cache.store(entry("default", "a again", "A", vec(0, 0.05)));  // same answer: not a rival
  cache.store(entry("default", "b", "B", vec(0, 0.7)));
  semantic_match m;
  CHECK(cache.lookup(ask("default", vec(0)), m) == status::ok);
  // Half-way between A and B: ambiguous.
  CHECK(cache.lookup(ask("default", vec(0, 0.36)), m) == status::not_found);
  CHECK(m.rejected_by == "margin");
}

TEST_CASE("the margin looks past the candidates when all of them share the best one's answer", "[semantic_cache]") {
  auto o = flat();
  o.threshold = 0.5;
  o.check.min_margin = 0.03;
  o.candidates = 8;
  semantic_cache cache(o);
  // Eight entries answering X around 0.81-0.82 of the query, and one answering Y at 0.80: within
  // the margin of the best, but ninth.
  for (int i = 0; i < 8; ++i)
    cache.store(entry("default", "x" + std::to_string(i), "X", vec(0, std::acos(0.82) - 0.001 * i)));
  cache.store(entry("default", "y", "Y", vec(0, std::acos(0.80))));
  semantic_match m;
  CHECK(cache.lookup(ask("default", vec(0)), m) == status::not_found);
  CHECK(m.rejected_by == "margin");
  // Y farther than the margin: a hit, after looking as far as the margin reaches.
  cache.erase_query("default", "y");
  cache.store(entry("default", "y", "Y", vec(0, std::acos(0.70))));
  CHECK(cache.lookup(ask("default", vec(0)), m) == status::ok);
  CHECK(m.answer == "X");
}

TEST_CASE("vectors are compared by direction whatever their length", "[semantic_cache]") {
  for (const auto metric : {vector_index::metric_kind::inner_product, vector_index::metric_kind::l2}) {
    INFO((metric == vector_index::metric_kind::l2 ? "l2" : "ip"));
    auto o = flat();
    o.index.metric = metric;
    o.threshold = 0.8;
    semantic_cache cache(o);
    // A host's vector of length 10 farther off scored 10 × its cosine (0.70), and won.
    auto long_one = vec(0, 1.0);
    for (auto& x : long_one.values)
      x *= 10;
    cache.store(entry("default", "far", "unrelated", long_one));
    auto short_one = vec(0);
    for (auto& x : short_one.values)
      x *= 0.5f;
    cache.store(entry("default", "near", "right", short_one));
    semantic_match m;
    auto query = vec(0, 0.2);
    for (auto& x : query.values)
      x *= 3;
    REQUIRE(cache.lookup(ask("default", query), m) == status::ok);
    CHECK(m.answer == "right");
    CHECK(m.score == Approx(std::cos(0.2)).epsilon(1e-4));
    // A vector of length 0 (an embedder's for a text without words) has no direction: kept, but
    // it matches nothing and nothing matches it, even at threshold -1.
    embedding zero;
    zero.model = "m1";
    zero.values.assign(8, 0.0f);
    cache.store(entry("default", "?", "zero", zero));
    auto anything = ask("default", vec(3));
    anything.threshold = -1;
    REQUIRE(cache.lookup(anything, m) == status::ok);
    CHECK(m.answer != "zero");
    auto nothing = ask("default", zero);
    nothing.threshold = -1;
    CHECK(cache.lookup(nothing, m) == status::not_found);
  }
}

TEST_CASE("a score is a cosine: never above 1, whatever the float rounding", "[semantic_cache]") {
  // An entry looked up with its own vector scored 1.0000001 (an HTTP client saw it).
  for (auto metric : {vector_index::metric_kind::inner_product, vector_index::metric_kind::l2}) {
    auto o = flat();
    o.index.metric = metric;
    semantic_cache cache(o);
    std::mt19937 gen{7};
    std::normal_distribution<float> normal;
    double highest = -2;
    for (int i = 0; i < 300; ++i) {
      embedding v{"m1", std::vector<float>(8)};
      for (auto& x : v.values)
        x = normal(gen);
      cache.store(entry("default", "q" + std::to_string(i), "a", v));
      semantic_match m;
      REQUIRE(cache.lookup(ask("default", v), m) == status::ok);
      highest = std::max(highest, m.score);
      CHECK(m.score >= 1.0 - 1e-5);
    }
    CHECK(highest <= 1.0);
  }
}

TEST_CASE("L2 scores are similarities too", "[semantic_cache]") {
  auto o = flat();
  o.index.metric = vector_index::metric_kind::l2;
  semantic_cache cache(o);
  cache.store(entry("default", "q", "a", vec(0)));
  semantic_match m;
  REQUIRE(cache.lookup(ask("default", vec(0, 0.2)), m) == status::ok);
  CHECK(m.score == Approx(std::cos(0.2)).epsilon(1e-4));
}

TEST_CASE("records are plain data in id order", "[semantic_cache]") {
  semantic_cache cache(flat());
  auto e = entry("ns", "q", "a", vec(1));
  e.metadata = "{\"source\":\"test\"}";
  e.tags = {"x", "y"};
  cache.store(e);
  cache.store(entry("ns", "q2", "a2", vec(3)));
  const auto all = cache.records();
  REQUIRE(all.size() == 2);
  CHECK(all[0].id < all[1].id);
  CHECK(all[0].ns == "ns");
  CHECK(all[0].model == "m1");
  CHECK(all[0].vector.size() == 8);
  CHECK(all[0].metadata == "{\"source\":\"test\"}");
  CHECK(all[0].tags == std::vector<std::string>{"x", "y"});
  CHECK(all[0].expires_at_ms == 0);
}

TEST_CASE("find and records give each entry's vector back: the engine's copy or zeros for one of no length", "[semantic_cache]") {
  semantic_cache cache(flat());
  auto tilted = vec(2, 0.3);
  const auto tilted_id = *cache.store(entry("ns", "q", "a", tilted));
  auto none = vec(0);
  none.values.assign(8, 0.0f);
  const auto none_id = *cache.store(entry("ns", "blank", "b", none));
  semantic_update retag;
  retag.ns = "ns";
  retag.id = tilted_id;
  retag.tags = std::vector<std::string>{"t"};
  REQUIRE(cache.update(retag) == status::ok);
  retag.id = none_id;
  REQUIRE(cache.update(retag) == status::ok);
  const auto found = cache.find(tilted_id);
  REQUIRE(found);
  CHECK(found->vector == tilted.values); // a unit vector already: kept bit for bit
  CHECK(found->tags == std::vector<std::string>{"t"});
  const auto blank = cache.find(none_id);
  REQUIRE(blank);
  CHECK(blank->vector == none.values);
  const auto all = cache.records();
  REQUIRE(all.size() == 2);
  CHECK(all[0].vector == tilted.values);
  CHECK(all[1].vector == none.values);
  CHECK(cache.exact("ns", "q")->vector.empty()); // the entry itself holds none
  semantic_match m;
  CHECK(cache.lookup(ask("ns", tilted), m) == status::ok); // still indexed after the new tags
}

TEST_CASE("every index kind and metric serves lookups, and erased entries stay gone", "[semantic_cache]") {
  for (auto kind : {vector_index::index_kind::flat, vector_index::index_kind::hnsw, vector_index::index_kind::ivf})
    for (auto metric : {vector_index::metric_kind::inner_product, vector_index::metric_kind::l2}) {
      INFO(vector_index::to_string(kind) << " " << vector_index::to_string(metric));
      auto o = flat();
      o.index.kind = kind;
      o.index.metric = metric;
      semantic_cache cache(o);
      std::vector<std::uint64_t> ids;
      for (int axis = 0; axis < 8; ++axis)
        ids.push_back(*cache.store(entry("default", "q" + std::to_string(axis), "a" + std::to_string(axis), vec(axis))));
      semantic_match m;
      REQUIRE(cache.lookup(ask("default", vec(3, 0.1)), m) == status::ok);
      CHECK(m.answer == "a3");
      CHECK(m.score == Approx(std::cos(0.1)).epsilon(1e-4));
      REQUIRE(cache.erase("default", ids[3]));
      CHECK(cache.lookup(ask("default", vec(3, 0.1)), m) == status::not_found);
      CHECK(cache.size() == 7);
    }
}

TEST_CASE("restore rebuilds the index from records, skips expired ones and continues the ids", "[semantic_cache]") {
  std::int64_t now = 1000;
  semantic_cache first(flat(), {}, [&] { return now; });
  const auto kept = *first.store(entry("ns", "kept", "a1", vec(1)));
  auto brief = entry("ns", "brief", "a2", vec(3));
  brief.ttl = std::chrono::milliseconds(100);
  const auto gone = *first.store(brief);
  const auto records = first.records();

  now = 2000; // `brief` has expired
  std::vector<std::uint64_t> dropped;
  cache_events events;
  events.dropped = [&](std::uint64_t id) { dropped.push_back(id); };
  semantic_cache second(flat(), events, [&] { return now; });
  CHECK(second.restore(records, 41) == 1);
  semantic_match m;
  REQUIRE(second.lookup(ask("ns", vec(1)), m) == status::ok);
  CHECK(m.id == kept);
  CHECK(m.answer == "a1");
  CHECK(second.lookup(ask("ns", vec(3)), m) == status::not_found);
  REQUIRE(second.exact("ns", "kept") != nullptr);
  CHECK_FALSE(second.find(gone));
  CHECK(second.store(entry("ns", "new", "a3", vec(5))) == 42); // after the largest id ever given
  CHECK(second.erase("ns", kept));
  CHECK(dropped == std::vector<std::uint64_t>{kept});
}

TEST_CASE("restore refuses a record that does not fit, naming its id", "[semantic_cache]") {
  semantic_record a;
  a.id = 7;
  a.ns = "ns";
  a.model = "m1";
  a.vector = vec(1).values;
  auto b = a;
  b.id = 9;
  b.vector.resize(4); // another dimension for the same model
  semantic_cache cache(flat());
  CHECK_THROWS_WITH(cache.restore({a, b}), Catch::Contains("entry 9"));
  semantic_cache repeated(flat());
  CHECK_THROWS_WITH(repeated.restore({a, a}), Catch::Contains("entry 7"));
}

TEST_CASE("a store taken back drops the model it brought and no other", "[semantic_cache]") {
  semantic_cache cache(flat());
  const auto erased = *cache.store(entry("default", "q0", "a0", vec(0)));
  REQUIRE(cache.erase("default", erased)); // in memory only, say (the file unwritable): m1 is empty
  // Of the model m1, which the store found there: m1 keeps its dimension, which the file's rows have.
  const auto taken = *cache.store(entry("default", "q1", "a1", vec(1)));
  cache.take_back_last_store();
  CHECK_FALSE(cache.find(taken));
  CHECK_THROWS_AS(cache.store(entry("default", "q2", "a2", vec(2, 0, "m1", 4))), std::invalid_argument);
  cache.take_back_last_store(); // none since the last: nothing happens
  // Of a model it brought: m2 is dropped with it, and its id is given again.
  const auto brought = *cache.store(entry("default", "q3", "a3", vec(3, 0, "m2", 8)));
  cache.take_back_last_store();
  CHECK_FALSE(cache.find(brought));
  const auto again = cache.store(entry("default", "q3", "a3", vec(3, 0, "m2", 4)));
  REQUIRE(again);
  CHECK(*again == brought);
  // A store too large for the bounds fixes no dimension either.
  auto small = flat();
  small.max_bytes = 600;
  semantic_cache tight(small);
  CHECK_FALSE(tight.store(entry("default", "q", std::string(1000, 'x'), vec(0, 0, "m3", 8))));
  CHECK(tight.store(entry("default", "q", "short", vec(0, 0, "m3", 4))));
}
