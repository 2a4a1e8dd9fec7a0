#include "exact_store.hpp"

#include <algorithm>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace strata::predictive {

namespace {

/// A (namespace, name) pair of views. The map keys point into the object they index (a node or a
/// tag bucket, individually allocated so the strings never move), which lets a lookup made with
/// caller-supplied string_views run without allocating.
struct view_key {
  std::string_view ns;
  std::string_view name;
  bool operator==(const view_key& other) const noexcept {
    return ns == other.ns && name == other.name;
  }
};

std::size_t hash_of(std::string_view ns, std::string_view name) noexcept {
  std::hash<std::string_view> h;
  std::size_t seed = h(ns);
  // boost::hash_combine: keeps ("ab","c") and ("a","bc") apart.
  seed ^= h(name) + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2);
  return seed;
}

struct view_hash {
  std::size_t operator()(const view_key& k) const noexcept { return hash_of(k.ns, k.name); }
};

using time_point = exact_store::clock::time_point;

struct node {
  std::string ns;
  std::string key;
  std::string value;
  std::vector<std::string> tags;
  std::uint64_t cost = 0;
  std::uint64_t charge = 0;
  bool has_ttl = false;
  time_point expires{};
  node* prev = nullptr; ///< towards the most recently used end
  node* next = nullptr; ///< towards the least recently used end

  bool expired_at(time_point now) const noexcept { return has_ttl && now >= expires; }
};

/// The entries of one namespace carrying one tag.
struct tag_bucket {
  std::string ns;
  std::string tag;
  std::unordered_set<node*> nodes;
};

std::uint64_t share(std::uint64_t total, std::size_t shards, std::size_t index) noexcept {
  std::uint64_t base = total / shards;
  std::uint64_t extra = index < total % shards ? 1 : 0;
  return std::max<std::uint64_t>(1, base + extra);
}

} // namespace

/// One independently locked partition. Aligned to a cache line so that the hot mutexes of
/// neighbouring shards do not share one.
struct alignas(64) exact_store::shard {
  enum class reason { capacity, expired, invalidated, none };

  std::mutex mutex;
  std::unordered_map<view_key, std::unique_ptr<node>, view_hash> map;
  std::unordered_map<view_key, std::unique_ptr<tag_bucket>, view_hash> tags;
  node* head = nullptr; ///< most recently used
  node* tail = nullptr; ///< least recently used
  std::uint64_t max_entries = 0;
  std::uint64_t max_bytes = 0;

  // Written under `mutex`, read without it by the accessors.
  std::atomic<std::uint64_t> entry_count{0};
  std::atomic<std::uint64_t> byte_count{0};
  std::atomic<std::uint64_t> evicted_capacity{0};
  std::atomic<std::uint64_t> evicted_expired{0};
  std::atomic<std::uint64_t> evicted_invalidated{0};

  node* find(std::string_view ns, std::string_view key) const {
    auto it = map.find(view_key{ns, key});
    return it == map.end() ? nullptr : it->second.get();
  }

  void link_front(node* n) noexcept {
    n->prev = nullptr;
    n->next = head;
    if (head != nullptr) head->prev = n;
    head = n;
    if (tail == nullptr) tail = n;
  }

  void unlink(node* n) noexcept {
    (n->prev != nullptr ? n->prev->next : head) = n->next;
    (n->next != nullptr ? n->next->prev : tail) = n->prev;
    n->prev = n->next = nullptr;
  }

  void touch(node* n) noexcept {
    if (head == n) return;
    unlink(n);
    link_front(n);
  }

  void index_tags(node* n) {
    for (const auto& tag : n->tags) {
      auto it = tags.find(view_key{n->ns, tag});
      if (it == tags.end()) {
        auto bucket = std::make_unique<tag_bucket>();
        bucket->ns = n->ns;
        bucket->tag = tag;
        view_key k{bucket->ns, bucket->tag};
        it = tags.emplace(k, std::move(bucket)).first;
      }
      it->second->nodes.insert(n);
    }
  }

  void unindex_tags(node* n) {
    for (const auto& tag : n->tags) {
      auto it = tags.find(view_key{n->ns, tag});
      if (it == tags.end()) continue; // a tag listed twice was already removed
      it->second->nodes.erase(n);
      if (it->second->nodes.empty()) tags.erase(it);
    }
  }

  /// Unlinks and destroys `n`, counting it under `why`.
  void remove(node* n, reason why) {
    unlink(n);
    unindex_tags(n);
    entry_count.store(entry_count.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
    byte_count.store(byte_count.load(std::memory_order_relaxed) - n->charge, std::memory_order_relaxed);
    switch (why) {
      case reason::capacity: evicted_capacity.fetch_add(1, std::memory_order_relaxed); break;
      case reason::expired: evicted_expired.fetch_add(1, std::memory_order_relaxed); break;
      case reason::invalidated: evicted_invalidated.fetch_add(1, std::memory_order_relaxed); break;
      case reason::none: break;
    }
    map.erase(view_key{n->ns, n->key}); // destroys n last: the key views point into it
  }

  /// Evicts from the LRU end until one more entry of `charge` bytes fits. The caller has checked
  /// that `charge <= max_bytes`, so this terminates with room.
  void make_room(std::uint64_t charge) {
    std::uint64_t entries = entry_count.load(std::memory_order_relaxed);
    time_point now{};
    bool have_now = false;
    while (tail != nullptr &&
           (entries + 1 > max_entries ||
            byte_count.load(std::memory_order_relaxed) + charge > max_bytes)) {
      node* victim = tail;
      reason why = reason::capacity;
      if (victim->has_ttl) { // count a victim that had already expired as such
        if (!have_now) {
          now = clock::now();
          have_now = true;
        }
        if (victim->expired_at(now)) why = reason::expired;
      }
      remove(victim, why);
      --entries;
    }
  }

  void insert(std::unique_ptr<node> owned) {
    node* n = owned.get();
    view_key k{n->ns, n->key};
    map.emplace(k, std::move(owned));
    link_front(n);
    index_tags(n);
    entry_count.store(entry_count.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    byte_count.store(byte_count.load(std::memory_order_relaxed) + n->charge, std::memory_order_relaxed);
  }

  /// The live entry for (ns, key), touched; an expired one is removed and null returned.
  node* lookup(std::string_view ns, std::string_view key, time_point& now) {
    node* n = find(ns, key);
    if (n == nullptr) return nullptr;
    if (n->has_ttl) {
      now = clock::now();
      if (n->expired_at(now)) {
        remove(n, reason::expired);
        return nullptr;
      }
    }
    touch(n);
    return n;
  }
};

exact_store::exact_store(const store_config& config)
    : shard_count_(config.shards), default_ttl_(config.default_ttl) {
  if (config.shards == 0) throw std::invalid_argument("exact_store: shards must be at least 1");
  if (config.max_entries == 0) throw std::invalid_argument("exact_store: max_entries must be at least 1");
  if (config.max_bytes == 0) throw std::invalid_argument("exact_store: max_bytes must be at least 1");
  if (config.default_ttl.count() < 0) throw std::invalid_argument("exact_store: default_ttl is negative");
  shards_ = std::make_unique<shard[]>(shard_count_);
  for (std::size_t i = 0; i < shard_count_; ++i) {
    shards_[i].max_entries = share(config.max_entries, shard_count_, i);
    shards_[i].max_bytes = share(config.max_bytes, shard_count_, i);
  }
}

exact_store::~exact_store() = default;

exact_store::shard& exact_store::shard_for(std::string_view ns, std::string_view key) const noexcept {
  // Remix so that the shard index and the shard map's bucket index use different bits.
  std::uint64_t h = hash_of(ns, key) * 0x9e3779b97f4a7c15ull;
  return shards_[(h >> 32) % shard_count_];
}

std::uint64_t exact_store::charge_of(std::string_view ns, std::string_view key, std::string_view value,
                                     const entry_options& options) noexcept {
  if (options.cost > 0) return options.cost;
  std::uint64_t size = ns.size() + key.size() + value.size() + entry_overhead;
  for (const auto& tag : options.tags) size += tag.size();
  return size;
}

status exact_store::put(std::string_view ns, std::string_view key, std::string_view value,
                        const entry_options& options) {
  if (options.ttl.count() < 0) return status::invalid;
  const auto ttl = options.ttl.count() > 0 ? options.ttl : default_ttl_;

  // Build the node before locking: the allocations and copies need no lock.
  auto owned = std::make_unique<node>();
  owned->ns = ns;
  owned->key = key;
  owned->value = value;
  owned->tags = options.tags;
  owned->cost = options.cost;
  owned->charge = charge_of(ns, key, value, options);
  if (ttl.count() > 0) {
    owned->has_ttl = true;
    owned->expires = clock::now() + ttl;
  }

  shard& s = shard_for(ns, key);
  std::lock_guard<std::mutex> lock(s.mutex);
  if (node* old = s.find(ns, key)) s.remove(old, shard::reason::none);
  if (owned->charge > s.max_bytes) return status::rejected;
  s.make_room(owned->charge);
  s.insert(std::move(owned));
  return status::ok;
}

status exact_store::get(std::string_view ns, std::string_view key, std::string& value_out) {
  shard& s = shard_for(ns, key);
  std::lock_guard<std::mutex> lock(s.mutex);
  time_point now{};
  node* n = s.lookup(ns, key, now);
  if (n == nullptr) return status::not_found;
  value_out.assign(n->value);
  return status::ok;
}

status exact_store::get(std::string_view ns, std::string_view key, layer_hit& out) {
  shard& s = shard_for(ns, key);
  std::lock_guard<std::mutex> lock(s.mutex);
  time_point now{};
  node* n = s.lookup(ns, key, now);
  if (n == nullptr) return status::not_found;
  out.value.assign(n->value);
  out.meta.tags = n->tags;
  out.meta.cost = n->cost;
  out.meta.ttl = std::chrono::milliseconds{0};
  if (n->has_ttl) {
    // At least 1 ms: a promoted copy written with ttl 0 would never expire.
    out.meta.ttl = std::max(std::chrono::milliseconds{1},
                            std::chrono::ceil<std::chrono::milliseconds>(n->expires - now));
  }
  return status::ok;
}

status exact_store::erase(std::string_view ns, std::string_view key) {
  shard& s = shard_for(ns, key);
  std::lock_guard<std::mutex> lock(s.mutex);
  time_point now{};
  node* n = s.lookup(ns, key, now);
  if (n == nullptr) return status::not_found;
  s.remove(n, shard::reason::none);
  return status::ok;
}

std::size_t exact_store::invalidate_tag(std::string_view ns, std::string_view tag) {
  std::size_t removed = 0;
  for (std::size_t i = 0; i < shard_count_; ++i) {
    shard& s = shards_[i];
    std::lock_guard<std::mutex> lock(s.mutex);
    // Each removal may destroy the bucket (when it empties), so look it up afresh every time.
    for (;;) {
      auto it = s.tags.find(view_key{ns, tag});
      if (it == s.tags.end()) break;
      s.remove(*it->second->nodes.begin(), shard::reason::invalidated);
      ++removed;
    }
  }
  return removed;
}

std::size_t exact_store::expire_some(clock::time_point now) {
  std::size_t removed = 0;
  for (std::size_t i = 0; i < shard_count_; ++i) {
    shard& s = shards_[i];
    std::lock_guard<std::mutex> lock(s.mutex);
    for (node* n = s.head; n != nullptr;) {
      node* next = n->next;
      if (n->expired_at(now)) {
        s.remove(n, shard::reason::expired);
        ++removed;
      }
      n = next;
    }
  }
  return removed;
}

std::size_t exact_store::purge_expired() { return expire_some(clock::now()); }

std::uint64_t exact_store::sum(std::atomic<std::uint64_t> shard::*field) const noexcept {
  std::uint64_t total = 0;
  for (std::size_t i = 0; i < shard_count_; ++i)
    total += (shards_[i].*field).load(std::memory_order_relaxed);
  return total;
}

std::uint64_t exact_store::entries() const noexcept { return sum(&shard::entry_count); }

std::uint64_t exact_store::bytes() const noexcept { return sum(&shard::byte_count); }

std::uint64_t exact_store::evictions_capacity() const noexcept { return sum(&shard::evicted_capacity); }

std::uint64_t exact_store::evictions_expired() const noexcept { return sum(&shard::evicted_expired); }

std::uint64_t exact_store::evictions_invalidated() const noexcept { return sum(&shard::evicted_invalidated); }

} // namespace strata::predictive
