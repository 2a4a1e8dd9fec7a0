// The request parsing of the semantic and vector APIs: the HTTP bodies (server/http_requests.hpp)
// and the RESP commands' arguments (server/resp/resp_semantic.hpp).

#include "api_error.hpp"
#include "http_requests.hpp"
#include "resp_semantic.hpp"

#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using namespace strata::server;

namespace {

template <class T>
T accepted(const parsed<T>& result) {
  if (const auto* error = std::get_if<api_error>(&result))
    FAIL("refused: " << error_json(*error));
  return std::get<T>(result);
}

template <class T>
api_error refused(const parsed<T>& result) {
  REQUIRE(std::holds_alternative<api_error>(result));
  const auto error = std::get<api_error>(result);
  CHECK(error.http_status == 400);
  return error;
}

} // namespace

TEST_CASE("a semantic lookup takes a text or a vector with its model, a threshold and a namespace", "[http][semantic]") {
  const auto by_text = accepted(parse_semantic_lookup(R"({"text": "how tall is it", "threshold": 0.9, "ns": "t1"})", {}));
  CHECK(by_text.text == "how tall is it");
  CHECK(by_text.vector.values.empty());
  CHECK(by_text.threshold == 0.9);
  CHECK(by_text.ns == "t1");

  const auto by_vector = accepted(parse_semantic_lookup(R"({"vector": [1, 0.5, -2], "model": "m1"})", std::string("q")));
  CHECK(by_vector.vector.values == std::vector<float>{1.0f, 0.5f, -2.0f});
  CHECK(by_vector.vector.model == "m1");
  CHECK_FALSE(by_vector.threshold);
  CHECK(by_vector.ns == "q");

  CHECK(refused(parse_semantic_lookup("{}", {})).field == "text");
  CHECK(refused(parse_semantic_lookup(R"({"text": ""})", {})).field == "text");
  CHECK(refused(parse_semantic_lookup(R"({"vector": [1, 2]})", {})).field == "model");
  CHECK(refused(parse_semantic_lookup(R"({"text": "x", "model": "m"})", {})).field == "model");
  CHECK(refused(parse_semantic_lookup(R"({"vector": [], "model": "m"})", {})).field == "vector");
  const auto not_number = refused(parse_semantic_lookup(R"({"vector": [1, "2"], "model": "m"})", {}));
  CHECK(not_number.field == "vector");
  CHECK(not_number.detail == "vector[1]: got a string: \"2\"");
  CHECK(refused(parse_semantic_lookup(R"({"vector": [1e300], "model": "m"})", {})).field == "vector");
  CHECK(refused(parse_semantic_lookup(R"({"text": "x", "threshold": 1.5})", {})).field == "threshold");
  CHECK(refused(parse_semantic_lookup(R"({"text": "x", "threshold": "high"})", {})).field == "threshold");
  CHECK(refused(parse_semantic_lookup(R"({"text": "x", "answer": "y"})", {})).field == "answer");
  CHECK(refused(parse_semantic_lookup(R"({"text": "x", "ns": "a"})", std::string("b"))).field == "ns");
  CHECK(refused(parse_semantic_lookup(R"({"text": "x",)", {})).message == "malformed JSON");
}

TEST_CASE("a semantic store needs an answer, metadata is kept as text", "[http][semantic]") {
  const auto entry = accepted(parse_semantic_store(
    R"({"query": "q?", "answer": "a.", "metadata": {"source": "doc 7"}, "tags": ["faq"], "ttl": "2s"})", {}));
  CHECK(entry.query == "q?");
  CHECK(entry.answer == "a.");
  CHECK(entry.metadata == R"({"source":"doc 7"})");
  CHECK(entry.tags == std::vector<std::string>{"faq"});
  CHECK(entry.ttl == 2000ms);
  CHECK(entry.ns == "default");
  CHECK(accepted(parse_semantic_store(R"({"query": "q", "answer": "", "metadata": "plain"})", {})).metadata == "plain");

  CHECK(refused(parse_semantic_store(R"({"query": "q"})", {})).field == "answer");
  CHECK(refused(parse_semantic_store(R"({"answer": "a"})", {})).field == "query");
  CHECK(refused(parse_semantic_store(R"({"query": "q", "answer": 3})", {})).field == "answer");
  CHECK(refused(parse_semantic_store(R"({"query": "q", "answer": "a", "ttl": -1})", {})).field == "ttl");
  CHECK(refused(parse_semantic_store(R"({"query": "q", "answer": "a", "tags": [1]})", {})).field == "tags");
}

TEST_CASE("a semantic update changes only what it names, and must name something", "[http][semantic]") {
  const auto update = accepted(parse_semantic_update(R"({"answer": "new", "ttl": 0})", {}, 42));
  CHECK(update.id == 42);
  CHECK(update.answer == "new");
  CHECK(update.ttl == 0ms);
  CHECK_FALSE(update.metadata);
  CHECK_FALSE(update.tags);
  CHECK(accepted(parse_semantic_update(R"({"tags": []})", {}, 1)).tags == std::vector<std::string>{});

  const auto nothing = refused(parse_semantic_update(R"({"ns": "x"})", {}, 1));
  CHECK_FALSE(nothing.field);
  CHECK(nothing.message.find("nothing to change") != std::string::npos);
  CHECK(refused(parse_semantic_update(R"({"query": "q"})", {}, 1)).field == "query");
}

TEST_CASE("ids are integers from 1 to 2^53 - 1, in a path or a body", "[http][semantic]") {
  CHECK(accepted(parse_id("1")) == 1);
  CHECK(accepted(parse_id("9007199254740991")) == strata::max_entry_id);
  for (const char* bad : {"0", "9007199254740992", "18446744073709551616", "-1", "+1", "1.0", "abc", "", "1e3", " 1",
                          "01", "00103", "00"}) {
    INFO(bad);
    const auto error = refused(parse_id(bad));
    CHECK(error.field == "id");
    CHECK(error.detail == "got '" + std::string(bad) + "'");
  }

  CHECK(accepted(parse_vector_add(R"({"id": 9007199254740991, "text": "t"})", {})).id == strata::max_entry_id);
  CHECK(accepted(parse_vector_add(R"({"text": "t"})", {})).id == 0);
  for (const char* bad : {R"({"id": 9007199254740992, "text": "t"})", R"({"id": 1.0, "text": "t"})",
                          R"({"id": -3, "text": "t"})", R"({"id": 0, "text": "t"})", R"({"id": "7", "text": "t"})"})
    CHECK(refused(parse_vector_add(bad, {})).field == "id");
}

TEST_CASE("a vector add, update and search read their fields", "[http][vector]") {
  const auto item = accepted(parse_vector_add(
    R"({"vector": [0.25, 0.5], "model": "m", "metadata": "doc", "tags": ["a", "b"], "ttl": 500, "ns": "n"})", {}));
  CHECK(item.vector.values == std::vector<float>{0.25f, 0.5f});
  CHECK(item.vector.model == "m");
  CHECK(item.metadata == "doc");
  CHECK(item.tags == std::vector<std::string>{"a", "b"});
  CHECK(item.ttl == 500ms);
  CHECK(item.ns == "n");

  const auto update = accepted(parse_vector_update(R"({"text": "replaced"})", std::string("n"), 7));
  CHECK(update.id == 7);
  CHECK(update.text == "replaced");
  CHECK(update.ns == "n");
  CHECK(refused(parse_vector_update(R"({"id": 8, "text": "t"})", {}, 7)).field == "id");
  CHECK(refused(parse_vector_update(R"({"metadata": "only"})", {}, 7)).field == "text");

  const auto query = accepted(parse_vector_search(R"({"text": "find", "k": 3, "tags": ["a"]})", {}));
  CHECK(query.text == "find");
  CHECK(query.k == 3);
  CHECK(query.tags == std::vector<std::string>{"a"});
  CHECK(accepted(parse_vector_search(R"({"text": "find"})", {})).k == 10);
  for (const char* bad : {R"({"text": "t", "k": 0})", R"({"text": "t", "k": 2.5})", R"({"text": "t", "k": "3"})"})
    CHECK(refused(parse_vector_search(bad, {})).field == "k");
  CHECK(refused(parse_vector_search(R"({"text": "t", "ttl": 1})", {})).field == "ttl");
}

TEST_CASE("batches name the element at fault and share the namespace", "[http][vector]") {
  const auto items = accepted(parse_vector_batch(R"({"items": [{"text": "a"}, {"vector": [1], "model": "m", "id": 5}],
                                                    "ns": "b"})",
                                                 {}));
  REQUIRE(items.size() == 2);
  CHECK(items[0].text == "a");
  CHECK(items[1].id == 5);
  CHECK(items[0].ns == "b");
  CHECK(items[1].ns == "b");

  CHECK(refused(parse_vector_batch(R"({"items": [{"text": "a"}, {"vector": [1]}]})", {})).field == "items[1].model");
  CHECK(refused(parse_vector_batch(R"({"items": [{"text": "a", "ns": "x"}]})", {})).field == "items[0].ns");
  CHECK(refused(parse_vector_batch(R"({"items": [3]})", {})).field == "items[0]");
  CHECK(refused(parse_vector_batch(R"({"items": []})", {})).field == "items");
  CHECK(refused(parse_vector_batch("{}", {})).field == "items");

  const auto queries = accepted(parse_vector_search_batch(R"({"queries": [{"text": "a", "k": 2}, {"text": "b"}]})",
                                                          std::string("q")));
  REQUIRE(queries.size() == 2);
  CHECK(queries[0].k == 2);
  CHECK(queries[1].ns == "q");
  CHECK(refused(parse_vector_search_batch(R"({"queries": [{"text": "a"}, {"k": 1}]})", {})).field ==
        "queries[1].text");
}

// ---- RESP ----

namespace {

using strata::resp::command_args;
using strata::resp::parsed_command;

template <class T>
T ok(const parsed_command<T>& result) {
  if (const auto* error = std::get_if<std::string>(&result))
    FAIL("refused: " << *error);
  return std::get<T>(result);
}

template <class T>
std::string error_of(const parsed_command<T>& result) {
  REQUIRE(std::holds_alternative<std::string>(result));
  return std::get<std::string>(result);
}

bool mentions(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

} // namespace

TEST_CASE("SEMANTIC.GET and SEMANTIC.SET read their options, NS overrides the selected namespace", "[resp][semantic]") {
  using namespace strata::resp;
  const auto get = ok(parse_semantic_get(command_args{"SEMANTIC.GET", "how tall", "threshold", "0.7"}, "db2"));
  CHECK(get.text == "how tall");
  CHECK(get.threshold == 0.7);
  CHECK(get.ns == "db2");
  CHECK(ok(parse_semantic_get(command_args{"SEMANTIC.GET", "q", "NS", "t"}, "db2")).ns == "t");
  CHECK(mentions(error_of(parse_semantic_get(command_args{"SEMANTIC.GET", "q", "THRESHOLD", "2"}, "d")), "THRESHOLD"));
  CHECK(mentions(error_of(parse_semantic_get(command_args{"SEMANTIC.GET", "q", "THRESHOLD"}, "d")), "THRESHOLD needs"));
  CHECK(mentions(error_of(parse_semantic_get(command_args{"SEMANTIC.GET", "q", "TTL", "3"}, "d")), "unknown option 'TTL'"));

  const auto set = ok(parse_semantic_set(
    command_args{"SEMANTIC.SET", "q?", "a.", "TTL", "5", "TAGS", "2", "x", "y", "META", "{}", "NS", "n"}, "default"));
  CHECK(set.query == "q?");
  CHECK(set.answer == "a.");
  CHECK(set.ttl == 5000ms);
  CHECK(set.tags == std::vector<std::string>{"x", "y"});
  CHECK(set.metadata == "{}");
  CHECK(set.ns == "n");
  CHECK(ok(parse_semantic_set(command_args{"SEMANTIC.SET", "q", "a", "px", "250"}, "d")).ttl == 250ms);
  CHECK(mentions(error_of(parse_semantic_set(command_args{"SEMANTIC.SET", "q", "a", "TTL", "1", "PX", "5"}, "d")), "once"));
  CHECK(mentions(error_of(parse_semantic_set(command_args{"SEMANTIC.SET", "q", "a", "TTL", "-1"}, "d")), "TTL expects"));
  CHECK(mentions(error_of(parse_semantic_set(command_args{"SEMANTIC.SET", "q", "a", "TAGS", "3", "x"}, "d")), "TAGS"));
  CHECK(mentions(error_of(parse_semantic_set(command_args{"SEMANTIC.SET", "", "a"}, "d")), "non-empty query"));
}

TEST_CASE("VECTOR.ADD and VECTOR.SEARCH take TEXT, FP32 blobs or comma-separated numbers", "[resp][vector]") {
  using namespace strata::resp;
  const auto csv = ok(parse_vector_add(command_args{"VECTOR.ADD", "1,0.5,-2", "ID", "9", "META", "m", "TAGS", "1", "t"}, "d"));
  CHECK(csv.vector.values == std::vector<float>{1.0f, 0.5f, -2.0f});
  CHECK(csv.vector.model == default_vector_model);
  CHECK(csv.id == 9);
  CHECK(csv.metadata == "m");
  CHECK(csv.tags == std::vector<std::string>{"t"});

  const float values[] = {0.25f, -1.5f};
  std::string blob(sizeof values, '\0');
  std::memcpy(blob.data(), values, sizeof values); // this machine is little-endian, as the format
  const auto fp32 = ok(parse_vector_add(command_args{"VECTOR.ADD", "fp32", blob, "MODEL", "e5"}, "d"));
  CHECK(fp32.vector.values == std::vector<float>{0.25f, -1.5f});
  CHECK(fp32.vector.model == "e5");

  const auto text = ok(parse_vector_add(command_args{"VECTOR.ADD", "TEXT", "hello world"}, "d"));
  CHECK(text.text == "hello world");
  CHECK(text.vector.values.empty());
  CHECK(text.vector.model.empty());

  CHECK(mentions(error_of(parse_vector_add(command_args{"VECTOR.ADD", "1,x"}, "d")), "'x' is not a number"));
  CHECK(mentions(error_of(parse_vector_add(command_args{"VECTOR.ADD", "FP32", "abc"}, "d")), "3 bytes"));
  CHECK(mentions(error_of(parse_vector_add(command_args{"VECTOR.ADD", "TEXT"}, "d")), "TEXT needs"));
  CHECK(mentions(error_of(parse_vector_add(command_args{"VECTOR.ADD", "TEXT", "t", "MODEL", "m"}, "d")), "MODEL"));
  CHECK(mentions(error_of(parse_vector_add(command_args{"VECTOR.ADD", "1", "ID", "0"}, "d")), "ID expects"));
  CHECK(mentions(error_of(parse_vector_add(command_args{"VECTOR.ADD", "1", "K", "3"}, "d")), "unknown option 'K'"));

  const auto search = ok(parse_vector_search(command_args{"VECTOR.SEARCH", "TEXT", "q", "K", "3", "TAGS", "1", "a"}, "s"));
  CHECK(search.text == "q");
  CHECK(search.k == 3);
  CHECK(search.tags == std::vector<std::string>{"a"});
  CHECK(search.ns == "s");
  CHECK(ok(parse_vector_search(command_args{"VECTOR.SEARCH", "1,2"}, "s")).k == 10);
  CHECK(mentions(error_of(parse_vector_search(command_args{"VECTOR.SEARCH", "1,2", "K", "0"}, "s")), "K expects"));

  const auto del = ok(parse_erase(command_args{"VECTOR.DEL", "12", "NS", "z"}, "d"));
  CHECK(del.id == 12);
  CHECK(del.options.ns == "z");
  CHECK(mentions(error_of(parse_erase(command_args{"SEMANTIC.DEL", "x"}, "d")), "the id must be"));
}

TEST_CASE("RESP semantic and vector commands refuse an option given twice and ids HTTP could not reach", "[resp][vector]") {
  using namespace strata::resp;
  // The last one won: an entry stored in a namespace or with tags the client did not mean.
  CHECK(error_of(parse_semantic_set(command_args{"SEMANTIC.SET", "q", "a", "NS", "x", "NS", "y"}, "d")) ==
        "ERR syntax error: NS is given twice");
  CHECK(mentions(error_of(parse_semantic_set(command_args{"SEMANTIC.SET", "q", "a", "TAGS", "1", "t", "TAGS", "1", "u"}, "d")),
                 "TAGS is given twice"));
  CHECK(mentions(error_of(parse_vector_search(command_args{"VECTOR.SEARCH", "1,2", "K", "3", "K", "4"}, "d")),
                 "K is given twice"));
  CHECK(ok(parse_vector_add(command_args{"VECTOR.ADD", "1", "ID", "9007199254740991"}, "d")).id == 9007199254740991u);
  CHECK(mentions(error_of(parse_vector_add(command_args{"VECTOR.ADD", "1", "ID", "9007199254740992"}, "d")),
                 "from 1 to 9007199254740991"));
  CHECK(mentions(error_of(parse_erase(command_args{"VECTOR.DEL", "9007199254740992"}, "d")), "from 1 to 9007199254740991"));
}
