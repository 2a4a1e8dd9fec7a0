#pragma once
// Which plugin call each layer host, exporter, alert handler or caller in an embedder is in, and
// since when: what a shutdown that does not end says it waits for (a plugin stuck in a call holds
// the actor system, or the embedder it would free, and so the shutdown).

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace strata::detail {

class calls_in_flight {
public:
  /// One thread's call in flight (a layer host's, an exporter's, an alert handler's, or a caller's
  /// in an embedder). Written by that thread only (a clock read and three stores per call), read by `describe`.
  class record {
  public:
    /// `owner` names what is called: "layer 'global' (instance 3)", "exporter 'metrics'",
    /// "embedder 'words'".
    explicit record(std::string owner) : owner_(std::move(owner)) {}
    /// `what` names the call ("get", "maintain"): a string with static storage.
    void begin(const char* what) noexcept;
    void end() noexcept { since_ns_.store(0, std::memory_order_release); }

  private:
    friend class calls_in_flight;
    const std::string owner_;
    std::atomic<const char*> what_{nullptr};
    std::atomic<std::int64_t> since_ns_{0}; ///< steady clock; 0: in no call
  };

  /// Marks `record` (none: nothing) in the call `what` while it lives: from its start to its end,
  /// whatever the call throws.
  class in_call {
  public:
    in_call(record* marked, const char* what) noexcept : marked_(marked) {
      if (marked_ != nullptr)
        marked_->begin(what);
    }
    ~in_call() {
      if (marked_ != nullptr)
        marked_->end();
    }
    in_call(const in_call&) = delete;
    in_call& operator=(const in_call&) = delete;

  private:
    record* marked_;
  };

  /// A record for calls into `owner`, kept while its holder holds it.
  std::shared_ptr<record> enter(std::string owner);

  /// One line per call in flight now, the longest first:
  /// "layer 'global' (instance 3): put(), for 12.4 s".
  std::vector<std::string> describe() const;

private:
  mutable std::mutex mutex_;
  std::vector<std::weak_ptr<record>> records_;
};

} // namespace strata::detail
