#pragma once
// An environment variable set (or unset) for one test, and put back however the test ends: a
// failure midway must not leave the tests after it another environment.

#include <cstdlib>
#include <optional>
#include <string>

namespace strata::test {

class scoped_env {
public:
  /// Sets `name` to `value`, or unsets it when `value` is null.
  scoped_env(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name))
      old_ = old;
    if (value != nullptr)
      ::setenv(name, value, 1);
    else
      ::unsetenv(name);
  }
  ~scoped_env() {
    if (old_)
      ::setenv(name_.c_str(), old_->c_str(), 1);
    else
      ::unsetenv(name_.c_str());
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

private:
  std::string name_;
  std::optional<std::string> old_;
};

} // namespace strata::test
