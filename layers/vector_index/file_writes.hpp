#pragma once
// What became of a layer's writes through to its persistence file (the semantic and the vector
// layer's): a failure is shown in the layer's health until a write succeeds again, and turned into
// the operation's answer, `unavailable`, saying what became of the change. The log says when writes
// start to fail (or fail for another reason) and when they succeed again, with how many failed
// meanwhile: a full disk under a steady load wrote an error line per request. A row delete that
// failed (an entry expired, evicted, invalidated or erased by its query) is retried at each
// maintenance until the file takes it: left there, a restart served the entry again (audit).

#include <strata/layer.hpp>
#include <strata/sdk.hpp>

#include <cstdint>
#include <algorithm>
#include <exception>
#include <functional>
#include <set>
#include <string>
#include <utility>

namespace strata::vector_index {

class file_writes {
public:
  /// `owner` starts each logged line ("vector layer"); `health_changed` is called when a write
  /// fails or succeeds again, to report the layer's health anew.
  file_writes(plugin_host host, std::string owner, std::function<void()> health_changed)
    : host_(std::move(host)), owner_(std::move(owner)), health_changed_(std::move(health_changed)) {}

  /// Runs `write`, a write to the file at `path`. False when it threw.
  template <typename Write>
  bool run(const std::string& path, Write write) {
    try {
      write();
    } catch (const std::exception& e) {
      if (!failed_) // the operation's first: a later write of it may succeed and clear problem_
        failed_why_ = e.what();
      failed_ = true;
      ++failures_;
      if (problem_ != e.what()) {
        problem_ = e.what();
        host_.log(log_level::error, owner_ + ": writing to '" + path + "' failed: " + problem_ +
                                      " (logged again when a write succeeds, or fails for another reason)");
        health_changed_();
      }
      return false;
    }
    if (!problem_.empty()) {
      retry_wait_ = 0; // the file takes writes again: retry at the next maintenance
      host_.log(log_level::info, owner_ + ": writing to '" + path + "' succeeds again, after " +
                                   std::to_string(failures_) + (failures_ == 1 ? " failed write" : " failed writes"));
      problem_.clear();
      failures_ = 0;
      health_changed_();
    }
    return true;
  }

  /// Starts an operation: `failed()` tells whether one of its writes failed, and `refuse` says why.
  /// Every operation that may `refuse` begins so.
  void begin() { failed_ = false; }
  bool failed() const { return failed_; }

  /// Starts the erase of entry `id`, an operation (`begin`) whose own row's delete `row_stayed`
  /// then tells apart from the others' it runs on the way (an expired entry purged first, whose
  /// failure is logged only).
  void begin_erase(std::uint64_t id) {
    begin();
    erasing_ = id;
    erased_row_stayed_ = false;
  }
  /// Runs `remove`, the delete of entry `id`'s row in the file at `path`, as `run` does. When it
  /// fails, the delete is retried by `retry_removals`, unless it is the erase's own (which the
  /// layer undoes).
  template <typename Remove>
  void run_removal(std::uint64_t id, const std::string& path, Remove remove) {
    if (run(path, remove))
      return;
    if (id == erasing_)
      erased_row_stayed_ = true;
    else
      unremoved_.insert(id);
  }
  /// Entry `id` is held again (a change undone, or its id given again and its row written): its
  /// row stays.
  void row_kept(std::uint64_t id) { unremoved_.erase(id); }
  /// Called at each maintenance: retries the row deletes that failed, oldest id first,
  /// `remove(id)` each, until one fails. After a retry that failed, the next skips 1, 2, 4, ... up
  /// to 64 maintenances, or none once another write succeeds: each failure may hold the layer for
  /// the file's busy wait (2 s), and a file locked for an hour would hold it most of that hour.
  template <typename Remove>
  void retry_removals(const std::string& path, Remove remove) {
    if (unremoved_.empty() || skipped_++ < retry_wait_)
      return;
    skipped_ = 0;
    for (auto it = unremoved_.begin(); it != unremoved_.end();) {
      if (!run(path, [&] { remove(*it); })) {
        retry_wait_ = std::min<std::uint32_t>(retry_wait_ == 0 ? 1 : retry_wait_ * 2, max_retry_wait);
        return;
      }
      it = unremoved_.erase(it);
    }
    retry_wait_ = 0;
  }
  /// Rows of entries no longer held that the file still holds (their deletes failed).
  std::size_t unremoved() const { return unremoved_.size(); }
  /// Ends the erase `begin_erase` started: whether the delete of its entry's row failed.
  bool row_stayed() {
    erasing_ = 0;
    return erased_row_stayed_;
  }

  /// What the layer's health adds while the last write failed, or rows of removed entries stay in
  /// the file; empty once a write succeeded and none stays.
  std::string health_note(const std::string& path) const {
    std::string note;
    if (!problem_.empty())
      note = "writing to '" + path + "' fails (" + problem_ + "): changes since are not kept";
    if (!unremoved_.empty())
      note += (note.empty() ? "'" + path + "' still holds " : "; it still holds ") + std::to_string(unremoved_.size()) +
              (unremoved_.size() == 1 ? " removed entry" : " removed entries") +
              ", deleted at a maintenance once it takes the deletes (a restart before then serves them again)";
    return note;
  }

  /// The answer to an operation whose change could not be written to the file at `path`.
  [[noreturn]] void refuse(const std::string& path, const std::string& what_became) const {
    throw layer_unavailable("writing to '" + path + "' failed (" + failed_why_ + "): " + what_became);
  }

private:
  plugin_host host_;
  std::string owner_;
  std::function<void()> health_changed_;
  std::string problem_;     ///< why the last write failed; empty once one succeeds
  std::uint64_t failures_ = 0; ///< writes failed since the last that succeeded
  bool failed_ = false;     ///< a write failed since `begin()`
  std::uint64_t erasing_ = 0;      ///< the entry an erase removes, while it does
  bool erased_row_stayed_ = false; ///< that entry's row delete failed
  std::set<std::uint64_t> unremoved_; ///< entries removed whose row delete failed, to retry
  static constexpr std::uint32_t max_retry_wait = 64;
  std::uint32_t retry_wait_ = 0; ///< maintenances to skip before the next retry
  std::uint32_t skipped_ = 0;    ///< maintenances skipped since the last retry
  std::string failed_why_;  ///< why the first of them failed
};

} // namespace strata::vector_index
