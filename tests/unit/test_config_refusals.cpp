// strata::config_refusals, what a plugin's check_config reports every refused key through.
#include <strata/config_refusals.hpp>

#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

TEST_CASE("config_refusals keeps every part's refusal, one per line, and throws them together", "[sdk]") {
  strata::config_refusals refused;
  int ran = 0;
  refused.check([&] { ++ran; throw std::invalid_argument("mode: 'x' is not one of a, b"); });
  refused.check([&] { ++ran; });
  refused.check([&] { ++ran; throw std::invalid_argument("url: has no host"); });
  CHECK(ran == 3); // each part runs, whatever the ones before refused
  CHECK_THROWS_WITH(refused.done(), "mode: 'x' is not one of a, b\nurl: has no host");
  CHECK_THROWS_AS(refused.done(), strata::config_refusals::reasons);
}

TEST_CASE("a line break inside one refusal is followed by a space: the host keeps it in that reason", "[sdk]") {
  strata::config_refusals refused;
  refused.check([] { throw std::invalid_argument("name: 'a\nb' is not a name"); });
  refused.check([] { throw std::invalid_argument("the settings do not go together"); });
  CHECK_THROWS_WITH(refused.done(), "name: 'a\n b' is not a name\nthe settings do not go together");
}

TEST_CASE("config_refusals throws nothing when no part refused, and never loses an empty refusal", "[sdk]") {
  strata::config_refusals fine;
  fine.check([] {});
  CHECK_NOTHROW(fine.done());
  strata::config_refusals silent;
  silent.check([] { throw std::invalid_argument(""); });
  CHECK_THROWS_WITH(silent.done(), "refused, no reason given");
  strata::config_refusals other;
  CHECK_THROWS_AS(other.check([] { throw std::runtime_error("not a refusal"); }), std::runtime_error);
}
