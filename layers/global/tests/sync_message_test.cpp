// The NOTIFY payload and the reconnection backoff, on their own.

#include <strata/backoff.hpp>
#include "sync_message.hpp"

#include <catch2/catch.hpp>

using namespace std::chrono_literals;

TEST_CASE("a change survives its payload and foreign payloads are ignored", "[global][unit]") {
  strata::global::change c{"node \"a\"", true, "tenant", "tag\nwith\xc3\xa9", 1234567};
  auto back = strata::global::decode(strata::global::encode(c));
  REQUIRE(back);
  CHECK(back->origin == c.origin);
  CHECK(back->tag);
  CHECK(back->ns == "tenant");
  CHECK(back->what == c.what);
  CHECK(back->sent_us == 1234567);
  CHECK(back->logged_us == 0); // not said
  CHECK_FALSE(strata::global::decode("hello"));
  CHECK_FALSE(strata::global::decode(R"({"o":"x","k":"other","n":"","w":"","t":1})"));
  CHECK_FALSE(strata::global::decode(R"({"o":"x","k":"key"})"));
}

TEST_CASE("the time the database logged a change is read from what it appends to the head", "[global][unit]") {
  strata::global::change c{"n", false, "ns", "key", 42};
  const auto head = strata::global::encode_head(c);
  // The room kept for it holds the longest time the database can append.
  CHECK((head + "9223372036854775807}").size() == head.size() + strata::global::logged_payload_room);
  const auto full = head + "1764930000123456}"; // as the database completes it
  auto back = strata::global::decode(full);
  REQUIRE(back);
  CHECK(back->what == "key");
  CHECK(back->logged_us == 1764930000123456);
  c.logged_us = 1764930000123456;
  CHECK(strata::global::decode(strata::global::encode(c))->logged_us == 1764930000123456);
}

TEST_CASE("a listener's mark is told from a change", "[global][unit]") {
  strata::global::change m;
  m.origin = "node";
  m.mark = true;
  const auto back = strata::global::decode(strata::global::encode_head(m) + "1764930000123456}");
  REQUIRE(back);
  CHECK(back->mark);
  CHECK(back->logged_us == 1764930000123456);
  CHECK_FALSE(strata::global::decode(strata::global::encode(strata::global::change{"n", false, "ns", "k", 1}))->mark);
}

TEST_CASE("the backoff doubles up to its ceiling and starts over after a success", "[global][unit]") {
  strata::backoff b(100ms, 350ms);
  const auto t0 = strata::backoff::clock::now();
  CHECK(b.due(t0));
  b.failed(t0);
  CHECK_FALSE(b.due(t0 + 99ms));
  CHECK(b.due(t0 + 100ms));
  CHECK(b.wait() == 200ms);
  b.failed(t0);
  CHECK(b.wait() == 350ms);
  b.failed(t0);
  CHECK(b.wait() == 350ms);
  b.succeeded();
  CHECK(b.due(t0));
  CHECK(b.wait() == 100ms);
}
