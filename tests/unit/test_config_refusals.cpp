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
