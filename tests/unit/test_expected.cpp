#include <strata/expected.hpp>

#include <catch2/catch.hpp>

#include <memory>
#include <string>

using strata::error;
using strata::expected;
using strata::status;

namespace {

expected<std::unique_ptr<int>> made(int value) { return std::make_unique<int>(value); }

/// Counts its copies: a value taken out of a temporary must not be one.
struct copy_counted {
  explicit copy_counted(int* copies) : copies(copies) {}
  copy_counted(const copy_counted& other) : copies(other.copies) { ++*copies; }
  copy_counted(copy_counted&&) = default;
  int* copies;
};

} // namespace

TEST_CASE("an expected's value is taken out of a temporary, not copied", "[unit][expected]") {
  // `*runtime::from_file(path)` did not compile: the only `*` a temporary could use returned a
  // const reference, and a unique_ptr cannot be copied from one.
  std::unique_ptr<int> value = *made(7);
  REQUIRE(value);
  CHECK(*value == 7);
  int copies = 0;
  expected<copy_counted> counted(copy_counted{&copies});
  const copy_counted taken = *std::move(counted);
  CHECK(taken.copies == &copies);
  CHECK(copies == 0);
  const copy_counted kept = *counted; // an lvalue's is copied, as before
  CHECK(kept.copies == &copies);
  CHECK(copies == 1);
}

TEST_CASE("an expected holding an error says which when its value is asked for", "[unit][expected]") {
  expected<std::unique_ptr<int>> failed(error{status::invalid, "layers[0].plugin: no such plugin 'x'"});
  CHECK_FALSE(failed);
  CHECK(failed.err().code == status::invalid);
  CHECK_THROWS_WITH(*std::move(failed), "strata::expected holds an error: layers[0].plugin: no such plugin 'x'");
  CHECK_THROWS_WITH(made(1).err(), "strata::expected: err() called on a value");
}
