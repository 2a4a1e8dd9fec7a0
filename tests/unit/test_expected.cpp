#include <strata/expected.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>

using strata::error;
using strata::expected;
using strata::status;

namespace {

expected<std::unique_ptr<int>> made(int value) { return std::make_unique<int>(value); }

} // namespace

TEST_CASE("an expected's value is taken out of a temporary, not copied", "[unit][expected]") {
  // `*runtime::from_file(path)` did not compile: the only `*` a temporary could use returned a
  // const reference, and a unique_ptr cannot be copied from one.
  std::unique_ptr<int> value = *made(7);
  REQUIRE(value);
  CHECK(*value == 7);
  expected<std::string> text(std::string(64, 'x'));
  const std::string taken = *std::move(text);
  CHECK(taken == std::string(64, 'x'));
}

TEST_CASE("an expected holding an error says which when its value is asked for", "[unit][expected]") {
  expected<std::unique_ptr<int>> failed(error{status::invalid, "layers[0].plugin: no such plugin 'x'"});
  CHECK_FALSE(failed);
  CHECK(failed.err().code == status::invalid);
  CHECK_THROWS_WITH(*std::move(failed), "strata::expected holds an error: layers[0].plugin: no such plugin 'x'");
  CHECK_THROWS_WITH(made(1).err(), "strata::expected: err() called on a value");
}
