// The vector API through the runtime, with the real plugins loaded by dlopen: the vector layer,
// the lexical hashing embedder and the predictive layer (which offers no vector operations).

#include "runtime_fixture.hpp"

#include <strata/runtime.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <thread>

using namespace strata;

namespace {

/// A deployment: predictive first, then the vector layer with `vector_config` (YAML lines indented
/// by 6), embedding with the lexical hash.
std::string deployment(const std::string& vector_config = "      index: flat\n") {
  return "plugins:\n  path: [\"" STRATA_PLUGIN_DIR "\"]\n"
         "runtime:\n  stats_interval: 50ms\n"
         "embedders:\n  - name: lexical\n    plugin: lexical_hash\n"
         "layers:\n"
         "  - name: hot\n    plugin: predictive\n"
         "  - name: vectors\n    plugin: vector\n    write: around\n    promote: false\n    deadline: 5s\n"
         "    embedder: lexical\n"
         "    config:\n" +
         vector_config;
}

vector_item text_item(std::string text, std::string ns = "default", std::vector<std::string> tags = {}) {
  vector_item i;
  i.ns = std::move(ns);
  i.metadata = text;
  i.text = std::move(text);
  i.tags = std::move(tags);
  return i;
}

vector_query text_query(std::string text, std::size_t k = 3, std::string ns = "default") {
  vector_query q;
  q.ns = std::move(ns);
  q.text = std::move(text);
  q.k = k;
  return q;
}

bool exported(const runtime& rt, const std::string& series) {
  return rt.prometheus_text().find(series) != std::string::npos;
}

} // namespace

TEST_CASE("add texts, search by meaning, update and erase through the runtime", "[vector][integration]") {
  auto rt = testing::start_yaml(deployment());
  const auto a = rt->vector_add(text_item("How do I reset my password?"));
  const auto b = rt->vector_add(text_item("Which trains go to the airport?"));
  const auto c = rt->vector_add(text_item("Best pasta recipes for a weeknight"));
  REQUIRE(a.code == status::ok);
  REQUIRE(b.code == status::ok);
  REQUIRE(c.code == status::ok);
  CHECK(a.layer == "vectors");
  CHECK(a.id != b.id);

  auto found = rt->vector_search(text_query("how can I reset my password", 2));
  REQUIRE(found.code == status::ok);
  REQUIRE(found.hits.size() == 2);
  CHECK(found.hits[0].id == a.id);
  CHECK(found.hits[0].metadata == "How do I reset my password?");
  CHECK(found.hits[0].score > found.hits[1].score);

  auto changed = text_item("Where can I buy a train ticket to the airport?");
  changed.id = b.id;
  REQUIRE(rt->vector_update(changed).code == status::ok);
  found = rt->vector_search(text_query("buy a train ticket", 1));
  REQUIRE(found.hits.size() == 1);
  CHECK(found.hits[0].id == b.id);
  CHECK(found.hits[0].metadata == "Where can I buy a train ticket to the airport?");

  CHECK(rt->vector_erase(a.id).code == status::ok);
  CHECK(rt->vector_erase(a.id).code == status::not_found);
  for (const auto& h : rt->vector_search(text_query("how can I reset my password", 5)).hits)
    CHECK(h.id != a.id);
  changed.id = 424242;
  CHECK(rt->vector_update(changed).code == status::not_found);
}

TEST_CASE("namespaces are never crossed, tags filter, and invalidation removes by tag", "[vector][integration]") {
  auto rt = testing::start_yaml(deployment());
  const auto a = rt->vector_add(text_item("refund policy for annual plans", "tenant-a", {"billing"}));
  const auto b = rt->vector_add(text_item("refund policy for annual plans", "tenant-b", {"billing"}));
  REQUIRE(rt->vector_add(text_item("refund policy for monthly plans", "tenant-a")).code == status::ok);
  auto in_a = rt->vector_search(text_query("refund policy", 10, "tenant-a"));
  REQUIRE(in_a.hits.size() == 2);
  for (const auto& h : in_a.hits)
    CHECK(h.id != b.id);
  auto tagged = text_query("refund policy", 10, "tenant-a");
  tagged.tags = {"billing"};
  auto billing = rt->vector_search(tagged);
  REQUIRE(billing.hits.size() == 1);
  CHECK(billing.hits[0].id == a.id);
  CHECK(billing.hits[0].tags == std::vector<std::string>{"billing"});

  request_options other;
  other.ns = "tenant-b";
  CHECK(rt->vector_erase(a.id, other).code == status::not_found); // a belongs to tenant-a
  CHECK(rt->vector_search(text_query("refund policy", 10, "tenant-c")).hits.empty());

  request_options in_tenant_a;
  in_tenant_a.ns = "tenant-a";
  auto removed = rt->invalidate_tag("billing", in_tenant_a);
  CHECK(rt->vector_search(tagged).hits.empty());
  CHECK(rt->vector_search(text_query("refund policy", 10, "tenant-b")).hits.size() == 1);
  (void)removed;
}

TEST_CASE("batches: all or none, and one list of hits per query", "[vector][integration]") {
  auto rt = testing::start_yaml(deployment());
  std::vector<vector_item> items{text_item("red apples"), text_item("green pears"), text_item("yellow bananas")};
  const auto added = rt->vector_add_batch(items);
  REQUIRE(added.code == status::ok);
  REQUIRE(added.ids.size() == 3);
  auto taken = text_item("purple plums");
  taken.id = added.ids[0];
  const auto refused = rt->vector_add_batch({text_item("blue berries"), taken});
  CHECK(refused.code == status::invalid);
  CHECK(refused.error == "item 1: id " + std::to_string(added.ids[0]) + " is taken (ids are one space across namespaces); an update replaces an entry of the namespace, an add without an id gets a free one");
  CHECK(rt->vector_search(text_query("blue berries", 5)).hits.size() == 3); // nothing of the batch was added
  const auto found = rt->vector_search_batch({text_query("apples", 1), text_query("bananas", 1)});
  REQUIRE(found.code == status::ok);
  REQUIRE(found.hits.size() == 2);
  CHECK(found.hits[0].at(0).id == added.ids[0]);
  CHECK(found.hits[1].at(0).id == added.ids[2]);
}

TEST_CASE("requests no layer could serve soundly are refused by the runtime, naming the item",
          "[vector][integration]") {
  auto rt = testing::start_yaml(deployment());
  CHECK(rt->health().layers.at(1).detail == "0 entries, 0 bytes");
  auto no_expiry = text_item("red apples");
  no_expiry.ttl = std::chrono::milliseconds(-1000);
  auto refused = rt->vector_add(no_expiry);
  CHECK(refused.code == status::invalid);
  CHECK(refused.error == "request: the TTL is negative (-1000 ms); 0 means no expiry");
  const auto empty_tag = rt->vector_add_batch({text_item("green pears"), text_item("yellow bananas", "default", {""})});
  CHECK(empty_tag.code == status::invalid);
  CHECK(empty_tag.error == "item 1: a tag is empty");
  const auto none = rt->vector_search(text_query("apples", 0));
  CHECK(none.code == status::invalid);
  CHECK(none.error == "request: k must be at least 1");
  CHECK(rt->vector_search(text_query("apples", 5)).hits.empty()); // nothing was added
}

TEST_CASE("host vectors: their own model, a wrong dimension is invalid and the layer lives on", "[vector][integration]") {
  auto rt = testing::start_yaml(deployment());
  vector_item host;
  host.vector = {"host-model", {1.0f, 0.0f, 0.0f}};
  host.metadata = "x axis";
  const auto added = rt->vector_add(host);
  REQUIRE(added.code == status::ok);
  vector_query q;
  q.vector = {"host-model", {0.9f, 0.1f, 0.0f}};
  q.k = 1;
  auto found = rt->vector_search(q);
  REQUIRE(found.hits.size() == 1);
  CHECK(found.hits[0].id == added.id);
  // Text vectors are another model: never compared with the host's.
  REQUIRE(rt->vector_add(text_item("x axis")).code == status::ok);
  CHECK(rt->vector_search(q).hits.size() == 1);
  q.vector.values = {1.0f, 0.0f};
  const auto wrong = rt->vector_search(q);
  CHECK(wrong.code == status::invalid);
  CHECK(wrong.error.find("dimension") != std::string::npos);
  q.vector.values = {1.0f, 0.0f, 0.0f};
  CHECK(rt->vector_search(q).code == status::ok);
}

TEST_CASE("the size bound refuses adds, metrics reach the exposition", "[vector][integration]") {
  // HNSW on floats: a graph from the first add, so a delete leaves a tombstone (on sq8 codes three
  // entries would be answered by exact scans, before any training).
  auto rt = testing::start_yaml(deployment("      index: hnsw\n      hnsw_codes: float\n      max_entries: 3\n      maintenance_interval: 20ms\n"));
  std::vector<std::uint64_t> ids;
  for (const char* text : {"one fish", "two fish", "red fish"}) {
    const auto r = rt->vector_add(text_item(text));
    REQUIRE(r.code == status::ok);
    ids.push_back(r.id);
  }
  const auto full = rt->vector_add(text_item("blue fish"));
  CHECK(full.code == status::rejected);
  // Said as such (it said "the layers declined the write", as for a put no layer kept).
  CHECK(full.error == "the layer holds 3 entries, and max_entries is 3: 1 more does not fit (erase some, or raise "
                      "max_entries)");
  CHECK(rt->vector_add_batch({text_item("green fish"), text_item("gold fish")}).error ==
        "the layer holds 3 entries, and max_entries is 3: 2 more do not fit (erase some, or raise max_entries)");
  CHECK(rt->health().layers[0].level == health_level::healthy); // not a fault of the layer
  REQUIRE(rt->vector_erase(ids[0]).code == status::ok);
  REQUIRE(rt->vector_search(text_query("fish", 2)).code == status::ok);
  CHECK(exported(*rt, "strata_cache_entries{cache_layer=\"vectors\"} 2"));
  CHECK(exported(*rt, "strata_vector_tombstones{cache_layer=\"vectors\"} 1"));
  CHECK(exported(*rt, "strata_vector_searches_total{cache_layer=\"vectors\"} 1"));
  CHECK(exported(*rt, "strata_vector_compactions_total{cache_layer=\"vectors\"} 0"));
  CHECK(exported(*rt, "strata_cache_requests_total{cache_layer=\"vectors\",operation=\"vector_add\",status=\"rejected\"} 2")); // a batch counts as an add
}

TEST_CASE("entries expire after their TTL", "[vector][integration]") {
  auto rt = testing::start_yaml(deployment("      index: flat\n      maintenance_interval: 20ms\n"));
  auto brief = text_item("a short-lived vector");
  brief.ttl = std::chrono::seconds(1); // a loaded machine may take a few hundred ms between two calls
  REQUIRE(rt->vector_add(brief).code == status::ok);
  CHECK(rt->vector_search(text_query("a short-lived vector", 1)).hits.size() == 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  CHECK(rt->vector_search(text_query("a short-lived vector", 1)).hits.empty());
}

TEST_CASE("nlist above train_min is refused for IVF and fits once train_min is raised and where it does nothing it is refused", "[vector][integration]") {
  auto fits = parse_config(deployment("      index: ivf\n      nlist: 5000\n      train_min: 5000\n"), "inline.yaml");
  REQUIRE(fits.ok());
  CHECK(runtime::from_config(*fits.effective));
  auto above = parse_config(deployment("      index: ivf\n      nlist: 5000\n"), "inline.yaml");
  REQUIRE(above.ok());
  auto refused = runtime::from_config(*above.effective);
  REQUIRE_FALSE(refused);
  CHECK_THAT(refused.err().message, Catch::Contains("nlist: plugin 'vector': 5000 lists need at least as many entries to train on"));
  for (const std::string index : {"flat", "hnsw"}) {
    auto yaml = parse_config(deployment("      index: " + index + "\n      nlist: 5000\n"), "inline.yaml");
    REQUIRE(yaml.ok());
    auto elsewhere = runtime::from_config(*yaml.effective);
    REQUIRE_FALSE(elsewhere);
    CHECK_THAT(elsewhere.err().message, Catch::Contains("layers[1].config.nlist: 'nlist' applies only with index: ivf, and "
                                                        "index is '" + index + "' here"));
  }
}

TEST_CASE("the vector layer's configuration is checked", "[vector][integration]") {
  for (const auto& [config, why] :
       {std::pair{std::string("      index: flat\n      nprobes: 4\n"), std::string("nprobes")},
        std::pair{std::string("      index: flat\n      nprobe: 0\n"), std::string("nprobe")},
        std::pair{std::string("      index: annoy\n"), std::string("config.index: plugin 'vector': expected flat, hnsw or ivf, got 'annoy'")},
        std::pair{std::string("      hnsw_codes: pq\n"), std::string("config.hnsw_codes: plugin 'vector': expected sq8 or float, got 'pq'")},
        // Every refused key in one run, not the first only.
        std::pair{std::string("      index: annoy\n      metric: cos\n"),
                  std::string("config.metric: plugin 'vector': expected ip (inner product) or l2, got 'cos'")},
        std::pair{std::string("      refine: 17\n"), std::string("refine")},
        // The inner product is a cosine only of unit vectors, which this layer does not make.
        std::pair{std::string("      metric: cosine\n"),
                  std::string("config.metric: plugin 'vector': expected ip (inner product) or l2, got 'cosine'")},
        // At the key at fault, for IVF only (a flat index has no lists to train).
        std::pair{std::string("      index: ivf\n      nlist: 5000\n"),
                  std::string("config.nlist: plugin 'vector': 5000 lists need at least as many entries to train "
                              "on, and train_min is 4096: lower nlist or raise train_min")}}) {
    auto yaml = parse_config(deployment(config), "inline.yaml");
    if (!yaml.ok()) {
      CHECK(yaml.errors_text().find(why) != std::string::npos);
      continue;
    }
    auto refused = runtime::from_config(*yaml.effective);
    REQUIRE_FALSE(refused);
    INFO(refused.err().message);
    CHECK(refused.err().message.find(why) != std::string::npos);
  }
}
