#pragma once
/// @file instruments.hpp
/// Counters, gauges and histograms that cost almost nothing to record: no lock, no message, no
/// allocation. Each instrument keeps one cache line per shard; a thread records into the shard it
/// was given at its first use, and a reader sums the shards. Header-only, so that a plugin records
/// into instruments the host created without linking against the framework.

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

namespace strata::instruments {

/// Shards per instrument: enough that host threads rarely share one.
inline constexpr std::size_t shard_count = 16;

/// The calling thread's shard. Threads are dealt out round robin on first use.
inline std::size_t this_thread_shard() noexcept {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t shard = next.fetch_add(1, std::memory_order_relaxed) % shard_count;
  return shard;
}

/// A monotonically increasing count.
class counter {
public:
  void inc(std::uint64_t n = 1) noexcept {
    shards_[this_thread_shard()].value.fetch_add(n, std::memory_order_relaxed);
  }

  /// The sum over all shards; concurrent increments may or may not be included.
  std::uint64_t value() const noexcept {
    std::uint64_t total = 0;
    for (const auto& s : shards_)
      total += s.value.load(std::memory_order_relaxed);
    return total;
  }

private:
  struct alignas(64) shard {
    std::atomic<std::uint64_t> value{0};
  };
  std::array<shard, shard_count> shards_;
};

/// A counter that follows a running total kept elsewhere (a store's own count, read on each
/// publish): `follow` adds what the total grew by since the previous call. A total that fell adds
/// nothing and is followed from there on, since a counter only goes up.
class counter_total {
public:
  explicit counter_total(counter& c) noexcept : counter_(c) {}

  /// Returns whether the total grew.
  bool follow(std::uint64_t total) noexcept {
    const bool grew = total > published_;
    if (grew)
      counter_.inc(total - published_);
    published_ = total;
    return grew;
  }

private:
  counter& counter_;
  std::uint64_t published_ = 0;
};

/// A value that goes up and down (entries, bytes, a confidence, a health state).
class gauge {
public:
  void set(double v) noexcept { value_.store(v, std::memory_order_relaxed); }
  void add(double d) noexcept {
    double v = value_.load(std::memory_order_relaxed);
    while (!value_.compare_exchange_weak(v, v + d, std::memory_order_relaxed)) {
    }
  }
  double value() const noexcept { return value_.load(std::memory_order_relaxed); }

private:
  std::atomic<double> value_{0};
};

/// Upper bounds of the default latency buckets, in seconds: 1 µs to 5 s.
inline const std::vector<double>& default_latency_buckets() {
  static const std::vector<double> bounds = {1e-6,   2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4,
                                             1e-3,   2.5e-3, 5e-3, 1e-2, 2.5e-2, 5e-2, 0.1,  0.25,   0.5,
                                             1.0,    2.5,    5.0};
  return bounds;
}

/// A distribution over fixed buckets (upper bounds, ascending; values above the last go to +Inf).
class histogram {
public:
  /// What a reader sees: cumulative counts as Prometheus wants them are derived from `counts`.
  struct snapshot {
    std::vector<double> bounds;
    std::vector<std::uint64_t> counts; ///< per bucket, not cumulative; the last one is +Inf
    std::uint64_t count = 0;
    double sum = 0;
  };

  explicit histogram(std::vector<double> bounds = default_latency_buckets())
    : bounds_(std::move(bounds)), shards_(std::make_unique<shard[]>(shard_count)) {
    std::sort(bounds_.begin(), bounds_.end());
    for (std::size_t i = 0; i < shard_count; ++i)
      shards_[i].counts = std::make_unique<std::atomic<std::uint64_t>[]>(bounds_.size() + 1);
  }

  void observe(double value) noexcept {
    const auto bucket = static_cast<std::size_t>(
      std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin());
    auto& s = shards_[this_thread_shard()];
    s.counts[bucket].fetch_add(1, std::memory_order_relaxed);
    // A shard is mostly written by one thread, so this compare-exchange rarely loops.
    double sum = s.sum.load(std::memory_order_relaxed);
    while (!s.sum.compare_exchange_weak(sum, sum + value, std::memory_order_relaxed)) {
    }
  }

  snapshot read() const {
    snapshot out;
    out.bounds = bounds_;
    out.counts.assign(bounds_.size() + 1, 0);
    for (std::size_t i = 0; i < shard_count; ++i) {
      for (std::size_t b = 0; b <= bounds_.size(); ++b)
        out.counts[b] += shards_[i].counts[b].load(std::memory_order_relaxed);
      out.sum += shards_[i].sum.load(std::memory_order_relaxed);
    }
    for (auto c : out.counts)
      out.count += c;
    return out;
  }

  const std::vector<double>& bounds() const noexcept { return bounds_; }

private:
  struct alignas(64) shard {
    std::unique_ptr<std::atomic<std::uint64_t>[]> counts;
    std::atomic<double> sum{0};
  };
  std::vector<double> bounds_;
  std::unique_ptr<shard[]> shards_;
};

} // namespace strata::instruments
