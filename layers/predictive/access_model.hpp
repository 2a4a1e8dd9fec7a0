#pragma once
/// @file access_model.hpp
/// The predictive layer's model of its access sequence: reads are logged lock-free from any
/// thread, and whoever finds the model's lock free drains the log into a successor model (which
/// key follows which). After each drain it may predict the key that comes next and, when that
/// key is likely enough and not cached, ask for it to be prefetched, at a bounded rate.
///
/// The frequency side of the model (the sketch that admission uses) lives in the store's shards,
/// updated under the shard lock that a read takes anyway.

#include "access_log.hpp"
#include "successor_model.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace strata::predictive {

struct model_config {
  bool prefetch = true;           ///< ask for predicted keys (false: learn only)
  double confidence = 0.5;        ///< the least confidence that triggers a prefetch, 0..1
  double rate = 100;              ///< prefetches per second at most (a token bucket of that burst, at least 1)
  std::size_t tracked_keys = 10000; ///< source keys the successor model keeps
  std::size_t successors = 4;     ///< successors kept per source key
  std::size_t log_capacity = 4096; ///< reads buffered between drains
};

class access_model {
public:
  /// Bumped when what the model learns, or how, changes (the layer exports it).
  static constexpr int version = 1;

  using clock = std::chrono::steady_clock;
  /// Whether (ns, key) is held (a prediction of a held key is no prefetch).
  using cached_fn = std::function<bool(std::string_view ns, std::string_view key)>;
  /// Passes a prefetch request on; false when it could not.
  using prefetch_fn = std::function<bool(std::string_view ns, std::string_view key)>;
  /// Sees the confidence of every prediction made (above the threshold or not).
  using confidence_fn = std::function<void(double)>;

  /// Throws std::invalid_argument for a confidence outside 0..1, a rate or sizes of zero.
  access_model(const model_config& config, cached_fn cached, prefetch_fn prefetch, confidence_fn observed);

  /// A read of (ns, key), from any thread: logged without waiting; then, if the model's lock is
  /// free, the log is drained and a prefetch may be issued (outside the lock).
  void record(std::string_view ns, std::string_view key);

  /// Drains the log, waiting for the lock (the layer's maintenance).
  void drain();

  /// A write of (ns, key) ends a prefetch of it that this model asked for: its fill, or another
  /// write (a client's, after which the runtime writes no fill; a promotion or a read-through's
  /// fill, after which a fill finds the key held and is not counted). Forgets it (so that it may
  /// be asked again); whether one was pending.
  bool end_pending(std::string_view ns, std::string_view key);

  std::uint64_t updates() const noexcept { return updates_.load(std::memory_order_relaxed); }
  /// When the model last learned a transition, in seconds since the Unix epoch; 0 before.
  double last_update() const noexcept { return last_update_.load(std::memory_order_relaxed); }
  std::uint64_t prefetches_issued() const noexcept { return issued_.load(std::memory_order_relaxed); }
  /// Reads the log dropped because it was full (the model learned from a sample).
  std::uint64_t reads_dropped() const noexcept { return log_.dropped(); }

private:
  /// A request to issue once the lock is released.
  struct wanted {
    std::string ns;
    std::string key;
  };

  /// Under `mutex_`: drains the log; returns a prefetch to issue, if any.
  bool drain_locked(wanted& out);
  bool take_token(clock::time_point now);
  /// The bucket holds a second of prefetches, and at least one: below one a second, a bucket of
  /// `rate` tokens never held the whole one a prefetch takes.
  double burst() const { return std::max(1.0, config_.rate); }
  void issue(const wanted& w);

  model_config config_;
  cached_fn cached_;
  prefetch_fn prefetch_;
  confidence_fn observed_;
  access_log log_;

  std::mutex mutex_; ///< guards everything below
  successor_model successors_;
  std::string previous_;      ///< the last key drained (ns + '\0' + key); empty after a break
  std::string ns_, key_, id_; ///< reused by drains
  double tokens_;
  clock::time_point refilled_;
  std::unordered_map<std::string, clock::time_point> pending_; ///< prefetches asked, not yet filled

  std::atomic<std::uint64_t> updates_{0};
  std::atomic<double> last_update_{0};
  std::atomic<std::uint64_t> issued_{0};
};

} // namespace strata::predictive
