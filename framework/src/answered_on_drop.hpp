#pragma once
// A request's completion that cannot be lost: if every copy of it is destroyed unanswered (its
// actor stopped at shutdown with the request still waiting for a layer or the loader), it answers
// then, with `dropped`. A caller blocked in a synchronous call, or on a future, is never left
// waiting for an answer that will not come.

#include <functional>
#include <memory>
#include <utility>

namespace strata::detail {

template <class T>
class answer_once {
public:
  answer_once(std::function<void(T)> done, T dropped) : done_(std::move(done)), dropped_(std::move(dropped)) {}
  answer_once(const answer_once&) = delete;
  answer_once& operator=(const answer_once&) = delete;
  ~answer_once() {
    if (answered_)
      return;
    try {
      done_(std::move(dropped_));
    } catch (...) { // a destructor: `done` reports its own failures (see runtime_impl::tracked)
    }
  }

  void answer(T result) {
    if (std::exchange(answered_, true))
      return;
    done_(std::move(result));
  }

private:
  std::function<void(T)> done_;
  T dropped_;
  bool answered_ = false;
};

/// `done`, answered with `dropped` when the last copy goes unanswered.
template <class T>
std::function<void(T)> answered_on_drop(std::function<void(T)> done, T dropped) {
  auto once = std::make_shared<answer_once<T>>(std::move(done), std::move(dropped));
  return [once](T result) { once->answer(std::move(result)); };
}

} // namespace strata::detail
