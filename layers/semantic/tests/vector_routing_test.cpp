// The runtime's vector API: routed to the first layer that offers it (a test double here; the real
// vector layer has its own tests), texts embedded by the layer's embedder one by one or in a batch,
// a layer's refusal of bad input reported as `invalid`.

#include "runtime_fixture.hpp"

#include <strata/runtime.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <future>
#include <limits>
#include <thread>

using namespace strata;

namespace {

std::unique_ptr<runtime> start() {
  const std::string yaml = "plugins:\n  path: [\"" STRATA_PLUGIN_DIR "\", \"" STRATA_DOUBLE_DIR "\"]\n"
                           "embedders:\n  - {name: lexical, plugin: lexical_hash, config: {dimension: 64}}\n"
                           "layers:\n"
                           "  - {name: hot, plugin: predictive}\n"
                           "  - {name: vectors, plugin: test_vector_double, write: around, promote: false, "
                           "embedder: lexical}\n";
  return testing::start_yaml(yaml);
}

vector_item text_item(std::string text, std::vector<std::string> tags = {}) {
  vector_item item;
  item.text = std::move(text);
  item.tags = std::move(tags);
  item.metadata = item.text;
  return item;
}

/// The double alone, pausing `pause` in each search after writing its hits, with one vector added;
/// `runtime` is the deployment's `runtime` section, `deadline` the layer's.
std::unique_ptr<runtime> start_pausing(const std::string& runtime, const std::string& deadline,
                                       const std::string& pause) {
  const std::string yaml = "plugins:\n  path: [\"" STRATA_PLUGIN_DIR "\", \"" STRATA_DOUBLE_DIR "\"]\n" + runtime +
                           "layers:\n"
                           "  - {name: vectors, plugin: test_vector_double, write: around, promote: false, "
                           "deadline: " + deadline + ", config: {search_pause: " + pause + "}}\n";
  auto rt = testing::start_yaml(yaml);
  vector_item item;
  item.vector = {"m", {1.0f, 0.0f}};
  REQUIRE(rt->vector_add(item).code == status::ok);
  return rt;
}

vector_query query_near_the_entry() {
  vector_query q;
  q.vector = {"m", {1.0f, 0.0f}};
  return q;
}

} // namespace

TEST_CASE("a search past its deadline answers timeout and nothing of what the layer writes meanwhile", "[vectors][integration]") {
  // The layer writes its hits, then pauses past its deadline. The timeout's reply used to take
  // the result the layer was still writing (a data race; with a large answer, a crash).
  auto rt = start_pausing("", "20ms", "300ms");
  const auto found = rt->vector_search(query_near_the_entry());
  CHECK(found.code == status::timeout);
  CHECK(found.hits.empty());
}

TEST_CASE("a search the layer has not answered when the runtime stops answers unavailable", "[vectors][integration]") {
  // The drain gives up at once (shutdown_timeout 0) while the layer is in its search: the
  // coordinator stops with the request unanswered. Its future broke (a synchronous caller waited
  // for ever).
  auto rt = start_pausing("runtime:\n  shutdown_timeout: 0s\n", "5s", "500ms");
  auto pending = rt->vector_search_async(query_near_the_entry());
  std::this_thread::sleep_for(std::chrono::milliseconds(100)); // the layer is pausing in the search
  rt->shutdown();
  REQUIRE(pending.wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  const auto found = pending.get();
  CHECK(found.code == status::unavailable);
  CHECK(found.error == "the runtime stopped before the layer answered");
}

TEST_CASE("every vector operation refuses an empty namespace, which no entry has", "[vectors][integration]") {
  // A search answered no hits, and an erase `not_found`, to a host that forgot to set it.
  auto rt = start();
  const auto added = rt->vector_add(text_item("red apples"));
  REQUIRE(added.code == status::ok);
  vector_query q;
  q.ns = "";
  q.text = "red apples";
  const auto searched = rt->vector_search(q);
  CHECK(searched.code == status::invalid);
  CHECK(searched.error == "request: the namespace is empty (no entry has one)");
  auto item = text_item("pears");
  item.ns = "";
  CHECK(rt->vector_add(item).code == status::invalid);
  item.id = added.id;
  CHECK(rt->vector_update(item).code == status::invalid);
  CHECK(rt->vector_add_batch({text_item("plums"), item}).error == "item 1: the namespace is empty (no entry has one)");
  request_options no_namespace;
  no_namespace.ns = "";
  CHECK(rt->vector_erase(added.id, no_namespace).code == status::invalid);
}

TEST_CASE("a vector add or search with both a text and a vector is invalid: the text would be dropped", "[vectors][integration]") {
  auto rt = start();
  auto item = text_item("red apples");
  item.vector = {"m", {1.0f, 0.0f}};
  const auto added = rt->vector_add(item);
  CHECK(added.code == status::invalid);
  CHECK(added.error == "request: give a text to embed or a vector, not both");
  vector_query q;
  q.text = "red apples";
  q.vector = {"m", {1.0f, 0.0f}};
  CHECK(rt->vector_search(q).code == status::invalid);
  const auto batch = rt->vector_add_batch({text_item("pears"), item});
  CHECK(batch.code == status::invalid);
  CHECK(batch.error == "item 1: give a text to embed or a vector, not both");
}

TEST_CASE("vector operations reach the layer that offers them, texts embedded", "[vectors][integration]") {
  auto rt = start();
  const auto a = rt->vector_add(text_item("red apples and green pears", {"fruit"}));
  REQUIRE(a.code == status::ok);
  CHECK(a.layer == "vectors");
  const auto batch = rt->vector_add_batch({text_item("fast red cars", {"car"}), text_item("slow green tractors")});
  REQUIRE(batch.code == status::ok);
  REQUIRE(batch.ids.size() == 2);

  vector_query q;
  q.text = "green pears and red apples";
  q.k = 2;
  const auto found = rt->vector_search(q);
  REQUIRE(found.code == status::ok);
  REQUIRE(found.hits.size() == 2);
  CHECK(found.hits[0].id == a.id);
  CHECK(found.hits[0].metadata == "red apples and green pears");
  CHECK(found.hits[0].score > found.hits[1].score);

  q.tags = {"car"};
  const auto cars = rt->vector_search(q);
  REQUIRE(cars.hits.size() == 1);
  CHECK(cars.hits[0].id == batch.ids[0]);

  vector_query other = q;
  other.ns = "elsewhere";
  other.tags.clear();
  CHECK(rt->vector_search(other).hits.empty());

  vector_query q2;
  q2.text = "tractors";
  const auto both = rt->vector_search_batch({q, q2});
  REQUIRE(both.code == status::ok);
  REQUIRE(both.hits.size() == 2);
  CHECK(both.hits[1].front().id == batch.ids[1]);

  auto replacement = text_item("blue boats");
  replacement.id = batch.ids[1];
  CHECK(rt->vector_update(replacement).code == status::ok);
  replacement.id = 12345;
  CHECK(rt->vector_update(replacement).code == status::not_found);
  CHECK(rt->vector_erase(a.id).code == status::ok);
  CHECK(rt->vector_erase(a.id).code == status::not_found);
  auto later = rt->vector_search_async(q2);
  CHECK(later.get().code == status::ok);
  CHECK(rt->vector_add_async(text_item("one more")).get().code == status::ok);
}

TEST_CASE("a layer's refusal of bad input is invalid, with its message, and the layer lives on",
          "[vectors][integration]") {
  auto rt = start();
  REQUIRE(rt->vector_add(text_item("first")).code == status::ok); // 64 floats from the embedder
  vector_item odd;
  odd.vector = {"lexical-hash-v1-64-whatever", std::vector<float>(3, 0.5f)};
  const auto refused = rt->vector_add(odd);
  CHECK(refused.code == status::invalid);
  CHECK(refused.error == "expected 64 floats, got 3");
  vector_item empty;
  CHECK(rt->vector_add(empty).code == status::invalid); // neither text nor vector
  vector_item nan;
  nan.vector = {"m", {1.0f, std::numeric_limits<float>::quiet_NaN()}};
  CHECK(rt->vector_add(nan).error == "request: the vector holds a value that is not finite");
  // In a batch, of one too, the refusal names its item (the HTTP API's field `items[0].vector`).
  CHECK(rt->vector_add_batch({nan}).error == "item 0: the vector holds a value that is not finite");
  CHECK(rt->vector_add(text_item("second")).code == status::ok);
  CHECK(rt->health().layers[1].failures == 0);
  const auto text = rt->prometheus_text();
  CHECK(text.find("strata_cache_requests_total{cache_layer=\"vectors\",operation=\"vector_add\",status=\"invalid\"} 1") !=
        std::string::npos);
  CHECK(text.find("strata_cache_requests_total{cache_layer=\"vectors\",operation=\"vector_add\",status=\"ok\"} 2") !=
        std::string::npos);
}
