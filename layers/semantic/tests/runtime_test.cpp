// The semantic API through the runtime, with the real plugins loaded by dlopen: the semantic layer,
// the lexical hashing embedder and the predictive layer (which offers no semantic operations).

#include "runtime_fixture.hpp"

#include <strata/runtime.hpp>

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cmath>
#include <future>
#include <string>
#include <thread>

using namespace strata;

namespace {

/// A deployment: predictive first, then the semantic layer with `semantic_config` (YAML lines
/// indented by 6), embedding with the lexical hash.
std::string deployment(const std::string& semantic_config = "", bool with_embedder = true) {
  std::string yaml = "plugins:\n  path: [\"" STRATA_PLUGIN_DIR "\"]\n"
                     "runtime:\n  stats_interval: 50ms\n";
  if (with_embedder)
    yaml += "embedders:\n  - name: lexical\n    plugin: lexical_hash\n";
  yaml += "layers:\n"
          "  - name: hot\n    plugin: predictive\n"
          "  - name: meaning\n    plugin: semantic\n    write: around\n    promote: false\n    deadline: 2s\n";
  if (with_embedder)
    yaml += "    embedder: lexical\n";
  yaml += "    config:\n      index: flat\n      threshold: 0.7\n" + semantic_config;
  return yaml;
}

semantic_entry entry(std::string query, std::string answer, std::string ns = "default") {
  semantic_entry e;
  e.ns = std::move(ns);
  e.query = std::move(query);
  e.answer = std::move(answer);
  return e;
}

semantic_lookup_request ask(std::string text, std::string ns = "default") {
  semantic_lookup_request r;
  r.ns = std::move(ns);
  r.text = std::move(text);
  return r;
}

} // namespace

TEST_CASE("every semantic operation refuses an empty namespace, which no entry has", "[semantic][integration]") {
  // A lookup answered a plain miss, and an erase `not_found`, to a host that forgot to set it.
  auto rt = testing::start_yaml(deployment());
  const auto stored = rt->semantic_store(entry("How do I reset my password?", "Use the link."));
  REQUIRE(stored.code == status::ok);
  const auto lookup = rt->semantic_lookup(ask("How do I reset my password?", ""));
  CHECK(lookup.code == status::invalid);
  CHECK(lookup.error == "request: the namespace is empty (no entry has one)");
  CHECK(rt->semantic_store(entry("q", "a", "")).code == status::invalid);
  semantic_update update;
  update.ns = "";
  update.id = stored.id;
  update.answer = "changed";
  CHECK(rt->semantic_update(update).code == status::invalid);
  request_options no_namespace;
  no_namespace.ns = "";
  const auto erased = rt->semantic_erase(stored.id, no_namespace);
  CHECK(erased.code == status::invalid);
  CHECK(erased.error == "request: the namespace is empty (no entry has one)");
  CHECK(rt->semantic_lookup(ask("How do I reset my password?")).code == status::ok); // kept
}

TEST_CASE("a paraphrase finds the stored answer through the runtime", "[semantic][integration]") {
  auto rt = testing::start_yaml(deployment());
  const auto stored = rt->semantic_store(entry("How do I reset my password?", "Use the 'forgot password' link."));
  REQUIRE(stored.code == status::ok);
  CHECK(stored.layer == "meaning");
  CHECK(stored.id != 0);
  const auto hit = rt->semantic_lookup(ask("how can I reset my password"));
  REQUIRE(hit.code == status::ok);
  CHECK(hit.layer == "meaning");
  CHECK(hit.match.id == stored.id);
  CHECK(hit.match.answer == "Use the 'forgot password' link.");
  CHECK(hit.match.score >= 0.7);
  CHECK(hit.match.model.rfind("lexical-hash-v2-384-", 0) == 0);
  const auto miss = rt->semantic_lookup(ask("What is the capital of France?"));
  CHECK(miss.code == status::not_found);
  // The exact-key chain finds an entry by its exact query text.
  const auto exact = rt->get("How do I reset my password?");
  REQUIRE(exact.code == status::ok);
  CHECK(exact.layer == "meaning");
  // The async variants take the same path.
  auto later = rt->semantic_lookup_async(ask("how can I reset my password"));
  CHECK(later.get().code == status::ok);
}

TEST_CASE("a lookup never crosses namespaces", "[semantic][integration]") {
  auto rt = testing::start_yaml(deployment());
  REQUIRE(rt->semantic_store(entry("What is our refund policy?", "tenant A's policy", "tenant-a")).code == status::ok);
  CHECK(rt->semantic_lookup(ask("What is our refund policy?", "tenant-b")).code == status::not_found);
  CHECK(rt->semantic_lookup(ask("What is our refund policy?", "default")).code == status::not_found);
  CHECK(rt->semantic_lookup(ask("What is our refund policy?", "tenant-a")).code == status::ok);
  request_options b;
  b.ns = "tenant-b";
  const auto id = rt->semantic_lookup(ask("What is our refund policy?", "tenant-a")).match.id;
  CHECK(rt->semantic_erase(id, b).code == status::not_found);
}

TEST_CASE("host vectors: another model is a miss, a wrong dimension is invalid", "[semantic][integration]") {
  auto rt = testing::start_yaml(deployment());
  REQUIRE(rt->semantic_store(entry("How tall is Mount Everest?", "8849 m")).code == status::ok);
  semantic_lookup_request other;
  other.vector.model = "someone-elses-model";
  other.vector.values.assign(384, 0.05f);
  const auto miss = rt->semantic_lookup(other);
  CHECK(miss.code == status::not_found);
  CHECK(miss.match.rejected_by.empty()); // nothing of that model to compare with
  // The same model id with a vector of another dimension is a bad request, and the layer lives on.
  const auto model = rt->semantic_lookup(ask("How tall is Mount Everest?")).match.model;
  semantic_lookup_request wrong;
  wrong.vector.model = model;
  wrong.vector.values.assign(10, 0.1f);
  const auto refused = rt->semantic_lookup(wrong);
  CHECK(refused.code == status::invalid);
  CHECK(refused.error.find("dimension") != std::string::npos);
  CHECK(rt->semantic_lookup(ask("How tall is Mount Everest?")).code == status::ok);
  // A host vector of the embedder's model is compared like an embedded text.
  semantic_entry by_vector;
  by_vector.vector.model = "host-model";
  by_vector.vector.values.assign(4, 0.5f);
  by_vector.answer = "stored by vector";
  REQUIRE(rt->semantic_store(by_vector).code == status::ok);
  semantic_lookup_request same;
  same.vector = by_vector.vector;
  const auto found = rt->semantic_lookup(same);
  REQUIRE(found.code == status::ok);
  CHECK(found.match.answer == "stored by vector");
  // A vector without its model id is refused before it reaches the layer.
  semantic_lookup_request anonymous;
  anonymous.vector.values.assign(4, 0.5f);
  CHECK(rt->semantic_lookup(anonymous).code == status::invalid);
}

TEST_CASE("entries expire after their TTL", "[semantic][integration]") {
  auto rt = testing::start_yaml(deployment("      expiry_interval: 20ms\n"));
  auto e = entry("When does the store open?", "9 am");
  e.ttl = std::chrono::seconds(1); // a loaded machine may take a few hundred ms between two calls
  REQUIRE(rt->semantic_store(e).code == status::ok);
  CHECK(rt->semantic_lookup(ask("When does the store open?")).code == status::ok);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));
  CHECK(rt->semantic_lookup(ask("When does the store open?")).code == status::not_found);
}

TEST_CASE("the entry bound evicts the least recently used, and counts it", "[semantic][integration]") {
  auto rt = testing::start_yaml(deployment("      max_entries: 2\n"));
  REQUIRE(rt->semantic_store(entry("first question about apples", "1")).code == status::ok);
  REQUIRE(rt->semantic_store(entry("second question about bananas", "2")).code == status::ok);
  REQUIRE(rt->semantic_store(entry("third question about cherries", "3")).code == status::ok);
  CHECK(rt->semantic_lookup(ask("first question about apples")).code == status::not_found);
  CHECK(rt->semantic_lookup(ask("third question about cherries")).code == status::ok);
  const auto text = rt->prometheus_text();
  CHECK(text.find("strata_cache_evictions_total{cache_layer=\"meaning\",reason=\"capacity\"} 1") != std::string::npos);
  CHECK(text.find("strata_cache_entries{cache_layer=\"meaning\"} 2") != std::string::npos);
}

TEST_CASE("an entry larger than the byte bound alone is rejected and evicts no one else's", "[semantic][integration]") {
  auto rt = testing::start_yaml(deployment("      max_bytes: 64KiB\n"));
  REQUIRE(rt->semantic_store(entry("first question about apples", "1", "tenant-a")).code == status::ok);
  const auto stale = entry("second question about bananas", "2", "tenant-b");
  REQUIRE(rt->semantic_store(stale).code == status::ok);
  REQUIRE(rt->get(stale.query, {"tenant-b"}).layer == "meaning");
  REQUIRE(testing::eventually([&] { return rt->get(stale.query, {"tenant-b"}).layer == "hot"; })); // promoted

  CHECK(rt->semantic_store(entry("summarize the annual report", std::string(70000, 'x'), "tenant-b")).code ==
        status::rejected);
  CHECK(rt->semantic_lookup(ask("first question about apples", "tenant-a")).code == status::ok);
  // A new answer too large for the bound: the old one is stale, here and in its promoted copy.
  CHECK(rt->semantic_store(entry(stale.query, std::string(70000, 'y'), "tenant-b")).code == status::rejected);
  CHECK(rt->semantic_lookup(ask(stale.query, "tenant-b")).code == status::not_found);
  CHECK(rt->get(stale.query, {"tenant-b"}).code == status::not_found);

  const auto id = rt->semantic_store(entry("third question about cherries", "3", "tenant-b")).id;
  semantic_update u;
  u.ns = "tenant-b";
  u.id = id;
  u.answer = std::string(70000, 'z');
  CHECK(rt->semantic_update(u).code == status::rejected);
  CHECK(rt->semantic_lookup(ask("third question about cherries", "tenant-b")).code == status::not_found);
  CHECK(rt->semantic_lookup(ask("first question about apples", "tenant-a")).code == status::ok);
  CHECK(rt->prometheus_text().find("strata_cache_evictions_total{cache_layer=\"meaning\",reason=\"capacity\"} 0") !=
        std::string::npos);
}

TEST_CASE("update and erase by id", "[semantic][integration]") {
  auto rt = testing::start_yaml(deployment());
  CHECK(rt->health().layers.at(1).detail == "0 entries, 0 bytes"); // from the start, as for predictive
  const auto id = rt->semantic_store(entry("Who wrote Hamlet?", "Marlowe")).id;
  semantic_update u;
  u.id = id;
  u.answer = "Shakespeare";
  u.metadata = "{\"fixed\":true}";
  REQUIRE(rt->semantic_update(u).code == status::ok);
  auto hit = rt->semantic_lookup(ask("who wrote hamlet"));
  REQUIRE(hit.code == status::ok);
  CHECK(hit.match.answer == "Shakespeare");
  CHECK(hit.match.metadata == "{\"fixed\":true}");
  CHECK(rt->semantic_erase(id).code == status::ok);
  CHECK(rt->semantic_erase(id).code == status::not_found);
  CHECK(rt->semantic_lookup(ask("who wrote hamlet")).code == status::not_found);
  u.id = 999999;
  CHECK(rt->semantic_update(u).code == status::not_found);
}

TEST_CASE("a copy of an answer promoted by an exact get goes when the answer changes, and expires with it",
          "[semantic][integration]") {
  auto rt = testing::start_yaml(deployment());
  const std::string query = "Who painted the Mona Lisa?";
  const auto id = rt->semantic_store(entry(query, "Michelangelo")).id;
  REQUIRE(rt->get(query).layer == "meaning");
  const auto promoted = [&](const std::string& key) {
    return testing::eventually([&] { return rt->get(key).layer == "hot"; });
  };
  REQUIRE(promoted(query));
  semantic_update u;
  u.id = id;
  u.answer = "Leonardo";
  REQUIRE(rt->semantic_update(u).code == status::ok);
  auto after = rt->get(query);
  CHECK(after.value == "Leonardo");
  CHECK(after.layer == "meaning");
  REQUIRE(promoted(query));
  // The same text stored again replaces the answer: the copy goes too.
  REQUIRE(rt->semantic_store(entry(query, "Leonardo da Vinci")).code == status::ok);
  CHECK(rt->get(query).value == "Leonardo da Vinci");
  REQUIRE(promoted(query));
  const auto replaced = rt->semantic_lookup(ask(query));
  REQUIRE(replaced.code == status::ok);
  REQUIRE(rt->semantic_erase(replaced.match.id).code == status::ok);
  CHECK(rt->get(query).code == status::not_found);

  auto short_lived = entry("When does the pool open?", "at 7");
  short_lived.ttl = std::chrono::seconds(2); // a store, a get, a promotion and a get under it
  REQUIRE(rt->semantic_store(short_lived).code == status::ok);
  REQUIRE(rt->get(short_lived.query).layer == "meaning");
  REQUIRE(promoted(short_lived.query));
  const auto copy = rt->get_with_ttl(short_lived.query);
  REQUIRE(copy.layer == "hot");
  REQUIRE(copy.ttl);
  CHECK(copy.ttl->count() > 0);
  CHECK(*copy.ttl <= std::chrono::seconds(2));
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  CHECK(rt->get(short_lived.query).code == status::not_found);
}

TEST_CASE("the same text meets threshold 1, whatever the float rounding of its score", "[semantic][integration]") {
  auto rt = testing::start_yaml(deployment());
  for (const std::string text : {"persist me please", "How do I reset my password?", "What is the capital of Peru?"}) {
    INFO(text);
    REQUIRE(rt->semantic_store(entry(text, "answer to " + text)).code == status::ok);
    auto request = ask(text);
    request.threshold = 1.0;
    const auto r = rt->semantic_lookup(request); // "persist me please" scored 0.9999998 and missed
    CHECK(r.code == status::ok);
    CHECK(r.match.answer == "answer to " + text);
  }
}

TEST_CASE("a threshold that is not a number from -1 to 1, a negative TTL, an empty tag: invalid",
          "[semantic][integration]") {
  auto rt = testing::start_yaml(deployment());
  REQUIRE(rt->semantic_store(entry("What is the capital of Peru?", "Lima")).code == status::ok);
  for (double threshold : {std::nan(""), 5.0, -1.5}) {
    auto request = ask("Which city is the capital of France?");
    request.threshold = threshold;
    const auto r = rt->semantic_lookup(request);
    CHECK(r.code == status::invalid); // a NaN threshold let every candidate through
    CHECK(r.error == "request: the threshold must be a number from -1 to 1");
  }
  auto stale = entry("When does the museum open?", "at 10");
  stale.ttl = std::chrono::milliseconds(-1);
  CHECK(rt->semantic_store(stale).error == "request: the TTL is negative (-1 ms); 0 means no expiry");
  stale.ttl = std::chrono::milliseconds(0);
  stale.tags = {"museum", ""};
  CHECK(rt->semantic_store(stale).error == "request: a tag is empty");
  stale.tags = {"team-\xff"}; // its layer's file holds tags as JSON: the write failed after the store
  CHECK(rt->semantic_store(stale).error == "request: a tag is not UTF-8");
  semantic_update u;
  u.id = 1;
  u.ttl = std::chrono::milliseconds(-5);
  const auto update = rt->semantic_update(u);
  CHECK(update.code == status::invalid);
  CHECK(update.error == "request: the TTL is negative (-5 ms); 0 means no expiry");
}

TEST_CASE("a synchronous call from the verifier of an async lookup is refused rather than waiting for ever",
          "[semantic][integration]") {
  runtime* self = nullptr;
  std::promise<status> inside;
  runtime_options options;
  options.verifier = [&](const semantic_lookup_request&, const semantic_match&) {
    inside.set_value(self->put("other", "v")); // runs in the coordinator's thread, which the put needs
    return true;
  };
  auto rt = testing::start_yaml(deployment(), std::move(options));
  self = rt.get();
  REQUIRE(rt->semantic_store(entry("Is 4 GB of memory enough for the server?", "yes")).code == status::ok);
  auto lookup = rt->semantic_lookup_async(ask("is 4 GB of memory enough for the server"));
  auto answered = inside.get_future();
  REQUIRE(answered.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  CHECK(answered.get() == status::invalid);
  CHECK(lookup.get().code == status::ok);
}

TEST_CASE("the second stage and the host verifier refuse hits, and are counted", "[semantic][integration]") {
  runtime_options options;
  options.verifier = [](const semantic_lookup_request& request, const semantic_match&) {
    return request.text.find("unverified") == std::string::npos;
  };
  auto rt = testing::start_yaml(deployment(), std::move(options));
  REQUIRE(rt->semantic_store(entry("Is 4 GB of memory enough for the server?", "yes")).code == status::ok);
  const auto numbers = rt->semantic_lookup(ask("Is 8 GB of memory enough for the server?"));
  CHECK(numbers.code == status::not_found);
  CHECK(numbers.match.rejected_by == "numbers");
  const auto negation = rt->semantic_lookup(ask("Isn't 4 GB of memory enough for the server?"));
  CHECK(negation.code == status::not_found);
  CHECK(negation.match.rejected_by == "negation");
  const auto order = rt->semantic_lookup(ask("Is 4 GB of memory for the server enough?"));
  CHECK(order.code == status::not_found);
  CHECK(order.match.rejected_by == "order");
  const auto vetoed = rt->semantic_lookup(ask("Is 4 GB of memory enough for the server, unverified?"));
  CHECK(vetoed.code == status::not_found);
  CHECK(vetoed.match.rejected_by == "verifier");
  CHECK(rt->semantic_lookup(ask("is 4 GB of memory enough for the server")).code == status::ok);
  const auto text = rt->prometheus_text();
  for (const char* reason : {"numbers", "negation", "order", "verifier"})
    CHECK(text.find(std::string("strata_semantic_rejected_hits_total{cache_layer=\"meaning\",reason=\"") + reason +
                    "\"} 1") != std::string::npos);
  CHECK(text.find("strata_semantic_similarity_count{cache_layer=\"meaning\"} 5") != std::string::npos);
  // Bucket bounds as written in docs/metrics.md, without rounding noise, so that le="0.6" selects one.
  for (const char* le : {"-1", "0.05", "0.6", "0.7", "0.85", "0.95", "1"})
    CHECK(text.find(std::string("strata_semantic_similarity_bucket{cache_layer=\"meaning\",le=\"") + le + "\"}") !=
          std::string::npos);
  // What the layer answered: the verifier's veto is the runtime's, after the layer's hit.
  CHECK(text.find("strata_cache_requests_total{cache_layer=\"meaning\",operation=\"semantic_lookup\",status=\"hit\"} 2") !=
        std::string::npos);
  CHECK(text.find("strata_cache_requests_total{cache_layer=\"meaning\",operation=\"semantic_lookup\",status=\"miss\"} 3") !=
        std::string::npos);
}

TEST_CASE("without a layer that offers them, semantic and vector requests are invalid", "[semantic][integration]") {
  auto rt = testing::start_yaml("plugins:\n  path: [\"" STRATA_PLUGIN_DIR "\"]\nlayers:\n  - name: hot\n    plugin: predictive\n");
  const auto lookup = rt->semantic_lookup(ask("anything"));
  CHECK(lookup.code == status::invalid);
  CHECK(lookup.error == "no layer of this deployment offers semantic operations (semantic_lookup)");
  CHECK_FALSE(lookup.offered);
  CHECK(lookup.layer.empty());
  vector_query q;
  q.text = "anything";
  const auto search = rt->vector_search(q);
  CHECK(search.code == status::invalid);
  CHECK(search.error == "no layer of this deployment offers vector operations (vector_search)");
  CHECK(rt->vector_add(vector_item{}).code == status::invalid);
}

TEST_CASE("a text needs an embedder, a vector does not", "[semantic][integration]") {
  auto rt = testing::start_yaml(deployment("", false));
  const auto refused = rt->semantic_store(entry("a question", "an answer"));
  CHECK(refused.code == status::invalid);
  CHECK(refused.error.find("names no embedder") != std::string::npos);
  semantic_entry e;
  e.vector.model = "host";
  e.vector.values = {1.0f, 0.0f};
  e.answer = "fine";
  CHECK(rt->semantic_store(e).code == status::ok);
}

TEST_CASE("an nlist above 4096 is taken: the semantic layer trains once it has that many entries",
          "[semantic][integration]") {
  // It has no train_min key: nlist 5000 was refused, naming that key.
  auto parsed = parse_config(deployment("      nlist: 5000\n"), "inline.yaml");
  REQUIRE(parsed.ok());
  parsed.effective->layers[1].settings["index"] = "ivf";
  CHECK(validate(*parsed.effective).errors_text().empty());
  CHECK(runtime::from_config(*parsed.effective));
  // A flat index has no lists: the setting would do nothing, and is refused at its key.
  parsed.effective->layers[1].settings["index"] = "flat";
  CHECK_THAT(validate(*parsed.effective).errors_text(),
             Catch::Contains("layers[1].config.nlist: 'nlist' applies only with index: ivf, and index is 'flat' here: "
                             "leave nlist out, or set index: ivf"));
}

TEST_CASE("a layer's embedder must be configured, and be an embedder", "[semantic][integration]") {
  auto parsed = parse_config(deployment(), "inline.yaml");
  REQUIRE(parsed.ok());
  auto cfg = *parsed.effective;
  cfg.layers[1].embedder = "missing";
  auto report = validate(cfg);
  REQUIRE_FALSE(report.ok());
  CHECK(report.errors_text().find("layers[1].embedder: no embedder named 'missing' in 'embedders' (configured: "
                                  "lexical)") != std::string::npos);
  cfg = *parsed.effective;
  cfg.embedders[0].plugin = "semantic";
  report = validate(cfg);
  REQUIRE_FALSE(report.ok());
  CHECK(report.errors_text().find("is not an embedder plugin") != std::string::npos);
  cfg = *parsed.effective;
  cfg.embedders[0].settings["dimension"] = "0";
  report = validate(cfg);
  CHECK_FALSE(report.ok());
}

TEST_CASE("threads store and look up at once, each finds its own entries", "[semantic][integration]") {
  auto rt = testing::start_yaml(deployment());
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      const std::string ns = "tenant-" + std::to_string(t);
      for (int i = 0; i < 50; ++i) {
        const auto question = "question number " + std::to_string(i) + " about topic " + std::to_string(t);
        if (rt->semantic_store(entry(question, "answer " + std::to_string(i), ns)).code != status::ok)
          ++wrong;
        auto found = i % 2 == 0 ? rt->semantic_lookup(ask(question, ns)) : rt->semantic_lookup_async(ask(question, ns)).get();
        if (found.code != status::ok || found.match.answer != "answer " + std::to_string(i))
          ++wrong;
      }
    });
  for (auto& th : threads)
    th.join();
  CHECK(wrong == 0);
}

TEST_CASE("a query text longer than max_text is refused, stored or looked up", "[semantic][integration]") {
  // The second stage reads texts whole: a query of 16 MB over the Redis protocol held the layer
  // past its deadline until it was replaced, empty (audit).
  auto rt = testing::start_yaml(deployment("      max_text: 1KiB\n"));
  REQUIRE(rt->semantic_store(entry("How do I reset my password?", "Settings > Security")).code == status::ok);
  const std::string long_text = "How do I reset my password? " + std::string(1100, 'x');
  const auto stored = rt->semantic_store(entry(long_text, "an answer"));
  CHECK(stored.code == status::invalid);
  CHECK_THAT(stored.error, Catch::Contains("the query text is 1128 bytes, above max_text (1024): it is not stored"));
  const auto looked_up = rt->semantic_lookup(ask(long_text));
  CHECK(looked_up.code == status::invalid);
  CHECK_THAT(looked_up.error, Catch::Contains("above max_text (1024): it is not looked up"));
  CHECK(rt->semantic_lookup(ask("How do I reset my password?")).code == status::ok); // the layer lives on
}
