// A request's completion that cannot be lost: answered once, or with the dropped value when
// every copy goes unanswered (what a caller blocked on the runtime relies on at shutdown).
#include "answered_on_drop.hpp"

#include <catch2/catch.hpp>

#include <stdexcept>
#include <vector>

using strata::detail::answered_on_drop;

TEST_CASE("answered_on_drop answers once, with the first answer", "[runtime][shutdown]") {
  std::vector<int> answers;
  {
    auto done = answered_on_drop<int>([&](int v) { answers.push_back(v); }, -1);
    auto copy = done;
    copy(7);
    done(8); // a second answer is ignored
  }
  CHECK(answers == std::vector<int>{7}); // and nothing more when the copies go
}

TEST_CASE("answered_on_drop answers with the dropped value when the last copy goes unanswered", "[runtime][shutdown]") {
  std::vector<int> answers;
  {
    auto done = answered_on_drop<int>([&](int v) { answers.push_back(v); }, -1);
    {
      auto copy = done;
    }
    CHECK(answers.empty()); // a copy is still there
  }
  CHECK(answers == std::vector<int>{-1});
}

TEST_CASE("answered_on_drop swallows what the completion throws when it is dropped", "[runtime][shutdown]") {
  int calls = 0;
  {
    auto done = answered_on_drop<int>([&](int) { ++calls; throw std::runtime_error("no"); }, -1);
  }
  CHECK(calls == 1);
}
