#pragma once
/// @file expected.hpp
/// `expected<T>`: a value or an error with a status and a human-readable message.

#include <strata/status.hpp>

#include <stdexcept>
#include <string>
#include <utility>
#include <variant>

namespace strata {

/// An error: what kind, and a message that names what and where.
struct error {
  status code = status::internal;
  std::string message;
};

/// Holds either a `T` or an `error`. Accessing the wrong side throws std::logic_error.
template <class T>
class expected {
public:
  expected(T value) : storage_(std::move(value)) {}
  expected(error err) : storage_(std::move(err)) {}

  explicit operator bool() const noexcept { return storage_.index() == 0; }
  bool has_value() const noexcept { return storage_.index() == 0; }

  T& value() & { check(); return std::get<0>(storage_); }
  const T& value() const& { check(); return std::get<0>(storage_); }
  T&& value() && { check(); return std::get<0>(std::move(storage_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  /// Moves the value out: `auto rt = *runtime::from_file(path);` (a unique_ptr cannot be copied).
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const error& err() const {
    if (has_value())
      throw std::logic_error("strata::expected: err() called on a value");
    return std::get<1>(storage_);
  }

private:
  void check() const {
    if (!has_value())
      throw std::logic_error("strata::expected holds an error: " + std::get<1>(storage_).message);
  }
  std::variant<T, error> storage_;
};

} // namespace strata
