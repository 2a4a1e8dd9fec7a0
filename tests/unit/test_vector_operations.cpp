// The defaults of strata::vector_operations (strata/vectors.hpp) that a plugin inherits.

#include <strata/vectors.hpp>

#include <catch2/catch.hpp>

#include <set>
#include <stdexcept>

using strata::status;

namespace {

/// Adds until the add numbered `fail_at` (0-based), which answers `rejected` or throws.
class failing_adds : public strata::vector_operations {
public:
  failing_adds(std::size_t fail_at, bool throws) : fail_at_(fail_at), throws_(throws) {}

  status add(const strata::vector_item&, std::uint64_t& id_out) override {
    if (next_id_ - 1 == fail_at_) {
      if (throws_)
        throw std::invalid_argument("item " + std::to_string(fail_at_) + " has the wrong dimension");
      return status::rejected;
    }
    id_out = next_id_++;
    held.insert(id_out);
    return status::ok;
  }
  status search(const strata::vector_query&, std::vector<strata::vector_hit>&) override { return status::ok; }
  status update(const strata::vector_item&) override { return status::ok; }
  status erase(std::string_view, std::uint64_t id) override {
    return held.erase(id) == 1 ? status::ok : status::not_found;
  }

  std::set<std::uint64_t> held;

private:
  std::size_t fail_at_;
  bool throws_;
  std::uint64_t next_id_ = 1;
};

std::vector<strata::vector_item> items(std::size_t n) {
  std::vector<strata::vector_item> out(n);
  for (auto& item : out)
    item.ns = "tenant";
  return out;
}

} // namespace

TEST_CASE("the default add_batch adds all or none", "[vectors]") {
  std::vector<std::uint64_t> ids;
  SECTION("every add succeeds") {
    failing_adds layer{99, false};
    CHECK(layer.add_batch(items(3), ids) == status::ok);
    CHECK(ids == std::vector<std::uint64_t>{1, 2, 3});
    CHECK(layer.held.size() == 3);
  }
  SECTION("the third add is refused: the first two are erased") {
    failing_adds layer{2, false};
    CHECK(layer.add_batch(items(5), ids) == status::rejected);
    CHECK(ids.empty());
    CHECK(layer.held.empty());
  }
  SECTION("the third add throws: the first two are erased and the exception goes on") {
    failing_adds layer{2, true};
    CHECK_THROWS_WITH(layer.add_batch(items(5), ids), Catch::Contains("item 2"));
    CHECK(ids.empty());
    CHECK(layer.held.empty());
  }
}
