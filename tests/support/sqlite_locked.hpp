#pragma once
// A SQLite file another writer holds locked: a layer's writes to it fail (after its busy
// timeout) while the lock is held. For the tests of what a layer answers when its file cannot be
// written.

#include <strata/store.hpp>

#include <filesystem>
#include <stdexcept>

namespace strata::test {

/// Runs `work` while another connection holds SQLite's write lock on `file` (in a transaction
/// that writes nothing, and is rolled back); throws std::runtime_error("rolled back") at the end.
template <class Work>
void with_file_locked(const std::filesystem::path& file, Work work) {
  auto other = storage::open_store({storage::dialect::sqlite, "", file.string()});
  other->prepare("hold", "UPDATE strata_schema_version SET applied_at_us = applied_at_us"); // a write, of nothing
  other->transact([&](storage::session& s) {
    s.execute("hold");
    work();
    throw std::runtime_error("rolled back");
  });
}

} // namespace strata::test
