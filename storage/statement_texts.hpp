#pragma once
// The statements a store has registered: name → constant SQL text, shared by both backends.
// Not thread-safe: the store's own mutex guards it.

#include <strata/store.hpp>

#include <map>
#include <string>
#include <string_view>

namespace strata::storage {

class statement_texts {
public:
  /// Registers `sql` under `name`. The same text again does nothing; other text under a name
  /// already registered is refused (`invalid`).
  void add(const std::string& name, const std::string& sql) {
    auto [it, added] = texts_.emplace(name, sql);
    if (!added && it->second != sql)
      throw store_error(status::invalid, "statement '" + name + "' is already registered with other text");
  }

  /// The text registered under `name`; refused (`invalid`) when there is none.
  const std::string& at(std::string_view name) const {
    auto it = texts_.find(name);
    if (it == texts_.end())
      throw store_error(status::invalid, "no statement named '" + std::string(name) + "' was prepared");
    return it->second;
  }

private:
  std::map<std::string, std::string, std::less<>> texts_;
};

} // namespace strata::storage
