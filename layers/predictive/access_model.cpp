#include "access_model.hpp"

#include <stdexcept>

namespace strata::predictive {

namespace {

/// A prefetch not filled within this time is forgotten (the load failed, or found nothing).
constexpr auto pending_lifetime = std::chrono::seconds(10);
/// Pending prefetches remembered at most; more are not issued until some are filled or forgotten.
constexpr std::size_t max_pending = 1024;

std::string id_of(std::string_view ns, std::string_view key) {
  std::string id;
  id.reserve(ns.size() + 1 + key.size());
  id.append(ns).push_back('\0');
  id.append(key);
  return id;
}

} // namespace

access_model::access_model(const model_config& config, cached_fn cached, prefetch_fn prefetch,
                           confidence_fn observed)
  : config_(config), cached_(std::move(cached)), prefetch_(std::move(prefetch)), observed_(std::move(observed)),
    log_(config.log_capacity), successors_(config.tracked_keys, config.successors), tokens_(burst()),
    refilled_(clock::now()) {
  if (!(config.confidence >= 0 && config.confidence <= 1))
    throw std::invalid_argument("prefetch_confidence must be between 0 and 1");
  if (!(config.rate > 0))
    throw std::invalid_argument("prefetch_rate must be above 0");
}

void access_model::record(std::string_view ns, std::string_view key) {
  log_.push(ns, key);
  wanted w;
  bool have = false;
  {
    std::unique_lock<std::mutex> lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock())
      return; // whoever holds it drains what was just logged, or the next reader will
    have = drain_locked(w);
  }
  if (have)
    issue(w);
}

void access_model::drain() {
  wanted w;
  bool have = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    have = drain_locked(w);
    const auto now = clock::now();
    for (auto it = pending_.begin(); it != pending_.end();)
      it = now - it->second > pending_lifetime ? pending_.erase(it) : std::next(it);
  }
  if (have)
    issue(w);
}

bool access_model::drain_locked(wanted& out) {
  bool too_long = false;
  bool any = false;
  while (log_.pop(ns_, key_, too_long)) {
    if (too_long) {
      previous_.clear();
      continue;
    }
    id_ = ns_;
    id_.push_back('\0');
    id_.append(key_);
    if (!previous_.empty() && previous_ != id_) {
      successors_.observe(previous_, id_);
      updates_.fetch_add(1, std::memory_order_relaxed);
      any = true;
    }
    previous_.swap(id_);
  }
  if (any)
    last_update_.store(std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count(),
                       std::memory_order_relaxed);
  if (!config_.prefetch || !any || previous_.empty())
    return false;
  auto next = successors_.predict(previous_);
  if (!next)
    return false;
  if (observed_)
    observed_(next->confidence);
  if (next->confidence < config_.confidence)
    return false;
  const auto split = next->key.find('\0');
  const std::string_view ns(next->key.data(), split);
  const std::string_view key(next->key.data() + split + 1, next->key.size() - split - 1);
  const auto now = clock::now();
  if (pending_.count(next->key) > 0 || pending_.size() >= max_pending || cached_(ns, key) || !take_token(now))
    return false;
  pending_.emplace(next->key, now);
  out.ns.assign(ns);
  out.key.assign(key);
  return true;
}

bool access_model::take_token(clock::time_point now) {
  tokens_ = std::min(burst(), tokens_ + config_.rate * std::chrono::duration<double>(now - refilled_).count());
  refilled_ = now;
  if (tokens_ < 1)
    return false;
  tokens_ -= 1;
  return true;
}

void access_model::issue(const wanted& w) {
  if (prefetch_(w.ns, w.key)) {
    issued_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::lock_guard<std::mutex> lock(mutex_); // not passed on: nothing will fill it
  pending_.erase(id_of(w.ns, w.key));
}

bool access_model::end_pending(std::string_view ns, std::string_view key) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (pending_.empty())
    return false;
  return pending_.erase(id_of(ns, key)) > 0;
}

} // namespace strata::predictive
