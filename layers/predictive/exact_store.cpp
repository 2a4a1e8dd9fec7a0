#include "exact_store.hpp"

#include "frequency_sketch.hpp"
#include "gds_shadow.hpp"
#include "leader_choice.hpp"

#include <strata/entry.hpp>

#include <cmath>

#include <algorithm>
#include <functional>
#include <limits>
#include <mutex>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace strata::predictive {

namespace {

std::size_t hash_of(std::string_view ns, std::string_view name) noexcept {
  std::hash<std::string_view> h;
  std::size_t seed = h(ns);
  // boost::hash_combine: keeps ("ab","c") and ("a","bc") apart.
  seed ^= h(name) + 0x9e3779b97f4a7c15ull + (seed << 6) + (seed >> 2);
  return seed;
}

/// A (namespace, name) pair of views, with their hash. The map keys point into the object they
/// index (a node or a tag bucket, individually allocated so the strings never move), which lets a
/// lookup made with caller-supplied string_views run without allocating. The hash is kept in the
/// key so that walking a bucket compares hashes in the map's own nodes before any string, and
/// finding where a bucket ends rehashes nothing (libstdc++ does not cache hash codes for a
/// noexcept hasher): a lookup touched every node on its way and hashed its strings again.
struct view_key {
  std::string_view ns;
  std::string_view name;
  std::size_t hash;
  static view_key of(std::string_view ns, std::string_view name) noexcept {
    return view_key{ns, name, hash_of(ns, name)};
  }
  bool operator==(const view_key& other) const noexcept {
    return hash == other.hash && ns == other.ns && name == other.name;
  }
};

struct view_hash {
  std::size_t operator()(const view_key& k) const noexcept { return k.hash; }
};

using time_point = exact_store::clock::time_point;

/// The lists a node can be on. `lru` uses `main` only; `tinylfu` all three.
enum segment : std::uint8_t { window = 0, probation = 1, protected_ = 2, main_lru = probation };

/// The tags of an entry that has none.
const std::vector<std::string> no_tags;

/// One entry: 96 bytes with its string's inline buffer, a 112-byte block with malloc's header,
/// and one allocation for the namespace, key and value together unless they fit that buffer.
/// It was 176 bytes and three strings; then 136 when the namespace and the key shared a string
/// and the tags went behind a pointer (most entries have none); 120 when the caller's cost became
/// a flag on the charge. (The W-TinyLFU shadow has entries of its own, `ghost_node`.)
struct node {
  std::string bytes; ///< the namespace, the key, then the value
  std::unique_ptr<std::vector<std::string>> tags; ///< null when there are none
  std::uint64_t charge = 0;
  std::uint64_t hash = 0; ///< of (ns, key): the frequency sketch's key, and the map's
  time_point expires{};
  node* prev = nullptr;        ///< towards the most recently used end
  node* next = nullptr;        ///< towards the least recently used end
  std::uint32_t ns_size = 0;   ///< where the key starts in `bytes`
  std::uint32_t key_size = 0;  ///< and its length (a put refuses a namespace or key of 4 GiB)
  bool has_ttl = false;
  bool prefetched = false;     ///< written by a prefetch and not read since
  std::uint8_t segment = main_lru;
  bool weighed = false;        ///< the charge is the caller's `cost`

  bool expired_at(time_point now) const noexcept { return has_ttl && now >= expires; }
  std::string_view ns() const noexcept { return std::string_view(bytes).substr(0, ns_size); }
  std::string_view key() const noexcept { return std::string_view(bytes).substr(ns_size, key_size); }
  std::string_view value() const noexcept {
    // Added in 64 bits: the namespace and the key may each be nearly 4 GiB.
    return std::string_view(bytes).substr(std::size_t{ns_size} + key_size);
  }
  /// Its key in its shard's map, with the hash it was stored under (not hashed again).
  view_key where() const noexcept { return view_key{ns(), key(), hash}; }
  const std::vector<std::string>& tag_list() const noexcept { return tags ? *tags : no_tags; }
};
static_assert(sizeof(node) <= 96, "an entry's own size, as documented on node");

/// Where the W-TinyLFU shadow keeps the key whose hash is `hash`: it knows keys by hash only.
view_key ghost_key(std::uint64_t hash) noexcept { return view_key{{}, {}, hash}; }

/// The W-TinyLFU shadow's entry: a key's hash and charge, on the same lists as a `node`; 40
/// bytes, kept in its map's node (64 bytes with malloc's header, where a `node` over the hash's
/// 8 bytes took 112 and a map node keyed by views to it 64 more). The rest is what the shard's
/// code asks of an entry, constant here: no namespace, tags, TTL or prefetch.
struct ghost_node {
  std::uint64_t hash = 0; ///< the store's hash of the key: the ghost's key, and its map's hash
  std::uint64_t charge = 0;
  ghost_node* prev = nullptr;
  ghost_node* next = nullptr;
  std::uint8_t segment = main_lru;

  static constexpr bool has_ttl = false;
  static constexpr bool prefetched = false;
  bool expired_at(time_point) const noexcept { return false; }
  std::string_view ns() const noexcept { return {}; }
  const std::vector<std::string>& tag_list() const noexcept { return no_tags; }
};
static_assert(sizeof(ghost_node) <= 40, "a ghost entry's own size, as documented on ghost_node");

/// A shard's entries by key, each at a stable address until it is erased. `add` takes an entry
/// whose key the map does not hold.
template <class Node>
class entry_map;

/// The store's: each node allocated on its own and keyed by views into it, so that a lookup with
/// the caller's string_views allocates nothing.
template <>
class entry_map<node> {
public:
  /// What a put hands over: built before the shard is locked.
  using owned = std::unique_ptr<node>;

  node* find(const view_key& where) const {
    auto it = map_.find(where);
    return it == map_.end() ? nullptr : it->second.get();
  }
  /// The entry whose key hashes to `hash`, or null: the shadows know keys by hash only. Every
  /// entry is in the map under its hash (`where()`), so this walks one bucket and needs no
  /// index of its own. Two keys of one 64-bit hash are one key to the shadows; the first answers.
  node* find_by_hash(std::uint64_t hash) const {
    const std::size_t bucket = map_.bucket(view_key{{}, {}, hash});
    for (auto it = map_.begin(bucket); it != map_.end(bucket); ++it)
      if (it->first.hash == hash) return it->second.get();
    return nullptr;
  }
  node* add(owned entry) {
    node* n = entry.get();
    map_.emplace(n->where(), std::move(entry));
    return n;
  }
  void erase(const node* n) { map_.erase(n->where()); } // destroys n last: the key views point into it

private:
  std::unordered_map<view_key, std::unique_ptr<node>, view_hash> map_;
};

/// The W-TinyLFU shadow's: each entry inside its map node, keyed by its hash.
template <>
class entry_map<ghost_node> {
public:
  using owned = ghost_node; ///< copied into its map node

  ghost_node* find(const view_key& where) const {
    auto it = map_.find(where.hash);
    // The map is const here, not its entries: the shard relinks what it finds.
    return it == map_.end() ? nullptr : const_cast<ghost_node*>(&it->second);
  }
  ghost_node* add(const owned& entry) { return &map_.emplace(entry.hash, entry).first->second; }
  void erase(const ghost_node* n) { map_.erase(n->hash); }

private:
  std::unordered_map<std::uint64_t, ghost_node> map_;
};

/// Why an entry leaves a shard: what it is counted as.
enum class removal_reason { capacity, expired, invalidated, none };

/// One doubly linked list in recency order, with what its entries hold.
template <class Node>
struct recency_list {
  Node* head = nullptr; ///< most recently used
  Node* tail = nullptr; ///< least recently used
  std::uint64_t entries = 0;
  std::uint64_t bytes = 0;
};

/// The entries of one namespace carrying one tag.
template <class Node>
struct tag_bucket {
  std::string ns;
  std::string tag;
  std::unordered_set<Node*> nodes;
};

std::uint64_t share(std::uint64_t total, std::size_t shards, std::size_t index) noexcept {
  std::uint64_t base = total / shards;
  std::uint64_t extra = index < total % shards ? 1 : 0;
  return std::max<std::uint64_t>(1, base + extra);
}

/// `fraction` of `total`, in whole units.
std::uint64_t part(double fraction, std::uint64_t total) noexcept {
  const double p = fraction * static_cast<double>(total);
  return p >= static_cast<double>(total) ? total : static_cast<std::uint64_t>(p);
}

constexpr std::size_t initial_sketch_capacity = 1024;

/// The protected segment's share of the main area (Caffeine's 80 %).
constexpr double protected_fraction = 0.8;

} // namespace

/// One independently locked partition, over entries of type `Node`: the store's shards hold
/// `node`s, the W-TinyLFU shadow (`ghost`, a shard of its own) `ghost_node`s. Aligned to a cache
/// line so that the hot mutexes of neighbouring shards do not share one.
template <class Node>
struct alignas(64) basic_shard {
  using clock = exact_store::clock;
  using reason = removal_reason;

  std::mutex mutex;
  entry_map<Node> map;
  std::unordered_map<view_key, std::unique_ptr<tag_bucket<Node>>, view_hash> tags;
  recency_list<Node> lists[3];
  std::uint64_t max_entries = 0;
  std::uint64_t max_bytes = 0;
  eviction_policy policy = eviction_policy::lru;

  // tinylfu only.
  std::shared_ptr<frequency_sketch> sketch; ///< shared with `ghost`, which never counts in it
  bool owns_sketch = true;                  ///< sizes the sketch (the ghost does not)
  double window_share = 0.01;
  std::unique_ptr<gds_shadow> shadow; ///< null unless the window adapts
  /// W-TinyLFU at the configured window over key hashes; null unless the window adapts.
  std::unique_ptr<basic_shard<ghost_node>> ghost;
  leader_choice leader;
  std::uint64_t last_miss_hash = 0; ///< a put of this key right after its miss is the same access
  bool last_was_miss = false;
  bool last_miss_in_gds_shadow = false;     ///< adaptive_window: that miss hit the GreedyDual-Size shadow
  bool last_miss_in_tinylfu_shadow = false; ///< and the W-TinyLFU one
  std::vector<std::uint64_t>* eviction_sink = nullptr; ///< the ghost: where its capacity evictions go
  std::vector<std::uint64_t>* refusal_sink = nullptr;  ///< the ghost: which of them admission refused
  std::vector<std::uint64_t> gds_evicted;     ///< adaptive: what the GreedyDual-Size shadow evicted, not yet mirrored
  std::vector<std::uint64_t> tinylfu_evicted; ///< and the W-TinyLFU one
  std::vector<std::uint64_t> tinylfu_refused; ///< those of them its admission refused

  // Written under `mutex`, read without it by the accessors.
  std::atomic<std::uint64_t> entry_count{0};
  std::atomic<std::uint64_t> byte_count{0};
  std::atomic<std::uint64_t> evicted_capacity{0};
  std::atomic<std::uint64_t> evicted_expired{0};
  std::atomic<std::uint64_t> evicted_invalidated{0};
  std::atomic<std::uint64_t> rejected_admissions{0};
  std::atomic<std::uint64_t> leader_changes{0};
  std::atomic<std::uint64_t> prefetch_filled{0};
  std::atomic<std::uint64_t> prefetch_used{0};
  std::atomic<std::uint64_t> prefetch_wasted{0};
  std::atomic<double> window_share_now{0.01};

  static void bump(std::atomic<std::uint64_t>& counter, std::int64_t by = 1) noexcept {
    counter.store(counter.load(std::memory_order_relaxed) + static_cast<std::uint64_t>(by), std::memory_order_relaxed);
  }

  /// The entry at `where` (its hash computed once by the caller, which picked the shard with it).
  Node* find(const view_key& where) const { return map.find(where); }

  void link_front(Node* n, std::uint8_t seg) noexcept {
    recency_list<Node>& l = lists[seg];
    n->segment = seg;
    n->prev = nullptr;
    n->next = l.head;
    if (l.head != nullptr) l.head->prev = n;
    l.head = n;
    if (l.tail == nullptr) l.tail = n;
    ++l.entries;
    l.bytes += n->charge;
  }

  void unlink(Node* n) noexcept {
    recency_list<Node>& l = lists[n->segment];
    (n->prev != nullptr ? n->prev->next : l.head) = n->next;
    (n->next != nullptr ? n->next->prev : l.tail) = n->prev;
    n->prev = n->next = nullptr;
    --l.entries;
    l.bytes -= n->charge;
  }

  bool over(std::uint64_t entries, std::uint64_t bytes, double fraction) const noexcept {
    return entries > part(fraction, max_entries) || bytes > part(fraction, max_bytes);
  }

  /// A read of `n`: LRU moves it to the front; W-TinyLFU also promotes a probation entry to
  /// protected, demoting protected's least recent entries to probation when it overflows. With
  /// `adaptive_window` the lists are what the followed shadow holds and the leftovers, each in
  /// recency order, not segments.
  void touch(Node* n) noexcept {
    if (policy == eviction_policy::lru || n->segment != probation || shadow) {
      if (lists[n->segment].head == n) return;
      const auto seg = n->segment;
      unlink(n);
      link_front(n, seg);
      return;
    }
    unlink(n);
    link_front(n, protected_);
    const double protected_share = protected_fraction * (1.0 - window_share);
    while (lists[protected_].tail != nullptr && lists[protected_].tail != n &&
           over(lists[protected_].entries, lists[protected_].bytes, protected_share)) {
      Node* demoted = lists[protected_].tail;
      unlink(demoted);
      link_front(demoted, probation);
    }
  }

  void index_tags(Node* n) {
    for (const auto& tag : n->tag_list()) {
      auto it = tags.find(view_key::of(n->ns(), tag));
      if (it == tags.end()) {
        auto bucket = std::make_unique<tag_bucket<Node>>();
        bucket->ns = n->ns();
        bucket->tag = tag;
        const auto k = view_key::of(bucket->ns, bucket->tag);
        it = tags.emplace(k, std::move(bucket)).first;
      }
      it->second->nodes.insert(n);
    }
  }

  void unindex_tags(Node* n) {
    for (const auto& tag : n->tag_list()) {
      auto it = tags.find(view_key::of(n->ns(), tag));
      if (it == tags.end()) continue; // a tag listed twice was already removed
      it->second->nodes.erase(n);
      if (it->second->nodes.empty()) tags.erase(it);
    }
  }

  /// Unlinks and destroys `n`, counting it under `why`.
  void remove(Node* n, reason why) {
    unlink(n);
    unindex_tags(n);
    bump(entry_count, -1);
    bump(byte_count, -static_cast<std::int64_t>(n->charge));
    if (n->prefetched)
      bump(prefetch_wasted);
    if (why == reason::capacity && eviction_sink != nullptr) eviction_sink->push_back(n->hash);
    if (shadow && why != reason::capacity) { // the shadows would not hold it either
      shadow->erase(n->hash);
      ghost_erase(n->hash);
    }
    switch (why) {
      case reason::capacity: evicted_capacity.fetch_add(1, std::memory_order_relaxed); break;
      case reason::expired: evicted_expired.fetch_add(1, std::memory_order_relaxed); break;
      case reason::invalidated: evicted_invalidated.fetch_add(1, std::memory_order_relaxed); break;
      case reason::none: break;
    }
    map.erase(n); // destroys n last
  }

  /// Evicts `victim`, as expired when its TTL has run out, as capacity otherwise.
  void evict(Node* victim, time_point& now, bool& have_now) {
    reason why = reason::capacity;
    if (victim->has_ttl) { // count a victim that had already expired as such
      if (!have_now) {
        now = clock::now();
        have_now = true;
      }
      if (victim->expired_at(now)) why = reason::expired;
    }
    remove(victim, why);
  }

  bool over_total(std::uint64_t extra_entries, std::uint64_t extra_bytes) const noexcept {
    return entry_count.load(std::memory_order_relaxed) + extra_entries > max_entries ||
           byte_count.load(std::memory_order_relaxed) + extra_bytes > max_bytes;
  }

  /// LRU: evicts from the least recently used end until one more entry of `charge` bytes fits.
  /// The caller has checked that `charge <= max_bytes`, so this terminates with room.
  void make_room(std::uint64_t charge) {
    time_point now{};
    bool have_now = false;
    while (lists[main_lru].tail != nullptr && over_total(1, charge))
      evict(lists[main_lru].tail, now, have_now);
  }

  /// What `insert` and `admit` take: a store node by its owning pointer, a ghost entry by value.
  using owned = typename entry_map<Node>::owned;

  Node* insert(owned entry, std::uint8_t seg) {
    Node* n = map.add(std::move(entry));
    link_front(n, seg);
    index_tags(n);
    bump(entry_count);
    bump(byte_count, static_cast<std::int64_t>(n->charge));
    return n;
  }

  static std::uint64_t excess(std::uint64_t held, std::uint64_t bound) noexcept {
    return held > bound ? held - bound : 0;
  }

  /// The main area's victims in eviction order, skipping `candidate`: probation from its least
  /// recent entry, then protected likewise. `after` null: the first.
  Node* next_victim(Node* after, Node* candidate) const noexcept {
    Node* v = after == nullptr ? lists[probation].tail : after->prev;
    if (v == nullptr && (after == nullptr || after->segment == probation)) v = lists[protected_].tail;
    if (v == candidate) return next_victim(v, candidate);
    return v;
  }

  /// The least recent entry of the main area that may be evicted for a candidate: probation's,
  /// then protected's.
  Node* main_victim() const noexcept {
    return lists[probation].tail != nullptr ? lists[probation].tail : lists[protected_].tail;
  }

  /// W-TinyLFU: `n` enters the window; what overflows the window becomes a candidate for the
  /// main area, admitted only if it is asked for more often per byte than the main-area victims
  /// that would make room for it, taken together (several small victims may make room for one
  /// large candidate; one large victim may make room for a small one). A candidate that loses is
  /// dropped instead (counted in `rejected_admissions`).
  void admit(owned entry) {
    insert(std::move(entry), window);
    // The sketch follows the entries the shard holds: it is sized, and ages, for them.
    // Sized for the entries the shard holds (which a byte bound does not say in advance), as
    // Caffeine sizes it for its maximum; growing forgets the counts, as Caffeine's does.
    if (owns_sketch && sketch->capacity() < entry_count.load(std::memory_order_relaxed))
      sketch->ensure_capacity(std::min<std::uint64_t>(max_entries, entry_count.load(std::memory_order_relaxed)));
    time_point now{};
    bool have_now = false;
    while (lists[window].tail != nullptr && over(lists[window].entries, lists[window].bytes, window_share)) {
      Node* candidate = lists[window].tail;
      unlink(candidate);
      link_front(candidate, probation); // counted in the main area while it competes
      if (!over_total(0, 0)) continue;
      // The victims that would make room, least recent first. What counts is hits per byte held
      // (the object miss ratio): the candidate is admitted only if its frequency per byte beats
      // that of the victims together, so one large entry does not displace several smaller ones
      // that between them are asked for more, and a small frequent entry may displace a larger
      // one asked for a little more often. With equal charges this is frequency against the sum
      // of the victims' frequencies. The victims needed are at most the candidate's charge over
      // the smallest charge held.
      const std::uint64_t need_entries = excess(entry_count.load(std::memory_order_relaxed), max_entries);
      const std::uint64_t need_bytes = excess(byte_count.load(std::memory_order_relaxed), max_bytes);
      const unsigned candidate_frequency = sketch->frequency(candidate->hash);
      std::uint64_t freed_entries = 0, freed_bytes = 0, victims_frequency = 0;
      Node* last = nullptr; // the most recent victim needed
      for (Node* v = next_victim(nullptr, candidate); v != nullptr; v = next_victim(v, candidate)) {
        victims_frequency += sketch->frequency(v->hash);
        ++freed_entries;
        freed_bytes += v->charge;
        last = v;
        if (freed_entries >= need_entries && freed_bytes >= need_bytes)
          break;
      }
      // candidate_frequency / candidate charge > victims_frequency / freed_bytes, in integers
      // (a charge is at least 1 byte; the products fit: frequencies are at most 16 per entry).
      const auto candidate_value = static_cast<unsigned __int128>(candidate_frequency) * std::max<std::uint64_t>(1, freed_bytes);
      const auto victims_value = static_cast<unsigned __int128>(victims_frequency) * std::max<std::uint64_t>(1, candidate->charge);
      if (last != nullptr && candidate_value > victims_value) {
        for (Node* v = next_victim(nullptr, candidate);;) {
          Node* following = v == last ? nullptr : next_victim(v, candidate);
          evict(v, now, have_now);
          if (following == nullptr) break;
          v = following;
        }
      } else {
        bump(rejected_admissions);
        if (refusal_sink != nullptr) refusal_sink->push_back(candidate->hash);
        evict(candidate, now, have_now);
      }
    }
    // The window alone may exceed the bounds (the window's share grew, or one entry is most of
    // the capacity): evict from the main area, then the window's least recent.
    while (over_total(0, 0)) {
      Node* victim = main_victim();
      if (victim == nullptr) victim = lists[window].tail;
      if (victim == nullptr) break;
      evict(victim, now, have_now);
    }
  }

  /// Counts a read of the key with `hash` in the sketch (tinylfu), and in the shadows that choose
  /// the window (`adaptive_window`).
  void record(std::uint64_t hash, Node* hit) {
    if (policy != eviction_policy::tinylfu) return;
    sketch->increment(hash);
    last_was_miss = hit == nullptr;
    last_miss_hash = hash;
    if (!shadow) return;
    const bool gds_hit = shadow->read(hash);
    const bool tinylfu_hit = ghost_read(hash);
    last_miss_in_gds_shadow = gds_hit;
    last_miss_in_tinylfu_shadow = tinylfu_hit;
    if (hit != nullptr) { // no put follows a hit: the shadows fill what they missed themselves
      if (!gds_hit) shadow->write(hash, hit->charge);
      if (!tinylfu_hit) ghost_write(hash, hit->charge);
    }
    const bool was_gds = leader.gds_leads;
    const bool gds_leads = leader.count(gds_hit, tinylfu_hit);
    mirror_evictions(was_gds, hit);
    if (hit != nullptr && hit->segment == probation && leader_holds(hash)) { // held again
      unlink(hit);
      link_front(hit, window);
    }
    if (gds_leads != was_gds) {
      bump(leader_changes);
      window_share_now.store(gds_leads ? 1.0 : ghost->window_share, std::memory_order_relaxed);
      drop_unheld();
    }
  }

  /// Whether the shadow followed now holds `hash`.
  bool leader_holds(std::uint64_t hash) const {
    return leader.gds_leads ? shadow->holds(hash) : ghost->find(ghost_key(hash)) != nullptr;
  }

  /// Evicts what the shadow followed (the GreedyDual-Size one if `gds`) has evicted since the last call,
  /// except `reading`, the entry a get is about to return, which becomes a leftover instead.
  void mirror_evictions(bool gds, Node* reading = nullptr) {
    time_point now{};
    bool have_now = false;
    for (std::uint64_t h : gds ? gds_evicted : tinylfu_evicted) {
      Node* n = map.find_by_hash(h);
      if (n == nullptr) continue;
      if (n == reading) {
        unlink(reading);
        link_front(reading, probation);
        continue;
      }
      // Refused by the W-TinyLFU it follows: the store's admission refused it too.
      if (!gds && std::find(tinylfu_refused.begin(), tinylfu_refused.end(), h) != tinylfu_refused.end())
        bump(rejected_admissions);
      evict(n, now, have_now);
    }
    gds_evicted.clear();
    tinylfu_evicted.clear();
    tinylfu_refused.clear();
  }

  /// After a change of leader: every entry the new leader does not hold becomes a leftover
  /// (probation), evicted first when room is needed, the most recent first: what the new leader
  /// refused last is the likeliest read-once entry. (Measured against least recent first:
  /// cloudPhysicsIO at 640 MiB 0.6292 against 0.6326, ps at 1541 entries 0.3950 against 0.4217.)
  void drop_unheld() {
    for (Node* n = lists[window].head; n != nullptr;) {
      Node* older = n->next;
      if (!leader_holds(n->hash)) {
        unlink(n);
        link_front(n, probation);
      }
      n = older;
    }
  }

  /// Whether the W-TinyLFU ghost holds `hash` (and touches it).
  bool ghost_read(std::uint64_t hash) {
    ghost_node* n = ghost->find(ghost_key(hash));
    if (n == nullptr) return false;
    ghost->touch(n);
    return true;
  }

  /// The ghost admits `hash` with `charge`, replacing what it held.
  void ghost_write(std::uint64_t hash, std::uint64_t charge) {
    ghost_erase(hash);
    if (charge > max_bytes) return;
    ghost_node entry;
    entry.charge = charge;
    entry.hash = hash;
    ghost->admit(entry);
  }

  void ghost_erase(std::uint64_t hash) {
    if (ghost_node* n = ghost->find(ghost_key(hash))) ghost->remove(n, reason::none);
  }

  /// The live entry at `where`, touched; an expired one is removed and null returned.
  Node* lookup(const view_key& where, time_point& now) {
    Node* n = find(where);
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

  /// A read: `lookup`, counted as an access (sketch, climber, prefetch use).
  Node* read(const view_key& where, time_point& now) {
    Node* n = lookup(where, now);
    record(where.hash, n);
    if (n != nullptr && n->prefetched) {
      n->prefetched = false;
      bump(prefetch_used);
    }
    return n;
  }
};

/// The store's shard.
struct exact_store::shard : basic_shard<node> {};

exact_store::exact_store(const store_config& config)
    : shard_count_(config.shards), default_ttl_(config.default_ttl), policy_(config.policy) {
  if (config.shards == 0) throw std::invalid_argument("exact_store: shards must be at least 1");
  if (config.max_entries == 0) throw std::invalid_argument("exact_store: max_entries must be at least 1");
  if (config.max_bytes == 0) throw std::invalid_argument("exact_store: max_bytes must be at least 1");
  if (config.default_ttl.count() < 0) throw std::invalid_argument("exact_store: default_ttl is negative");
  if (!(config.window_fraction >= 0.0 && config.window_fraction <= 1.0))
    throw std::invalid_argument("exact_store: window_fraction must be between 0 and 1");
  shards_ = std::make_unique<shard[]>(shard_count_);
  for (std::size_t i = 0; i < shard_count_; ++i) {
    shard& s = shards_[i];
    s.max_entries = share(config.max_entries, shard_count_, i);
    s.max_bytes = share(config.max_bytes, shard_count_, i);
    s.policy = config.policy;
    if (config.policy == eviction_policy::tinylfu) {
      s.sketch = std::make_shared<frequency_sketch>(
        std::min<std::uint64_t>(s.max_entries, initial_sketch_capacity), config.doorkeeper);
      s.window_share = config.window_fraction;
      s.window_share_now.store(config.window_fraction, std::memory_order_relaxed);
      if (config.adaptive_window) {
        s.shadow = std::make_unique<gds_shadow>(s.max_entries, s.max_bytes);
        s.ghost = std::make_unique<basic_shard<ghost_node>>();
        s.ghost->max_entries = s.max_entries;
        s.ghost->max_bytes = s.max_bytes;
        s.ghost->policy = eviction_policy::tinylfu;
        s.ghost->sketch = s.sketch;
        s.ghost->owns_sketch = false;
        s.ghost->window_share = config.window_fraction;
        s.ghost->eviction_sink = &s.tinylfu_evicted;
        s.ghost->refusal_sink = &s.tinylfu_refused;
        s.shadow->report_evictions_to(&s.gds_evicted);
        s.window_share = 1.0; // one recency list holding what the shadow followed holds
        s.window_share_now.store(1.0, std::memory_order_relaxed);
      }
    }
  }
}

exact_store::~exact_store() = default;

exact_store::shard& exact_store::shard_for(std::uint64_t hash) const noexcept {
  // Remix so that the shard index and the shard map's bucket index use different bits.
  std::uint64_t h = hash * 0x9e3779b97f4a7c15ull;
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
  return insert_new(ns, key, value, options, false);
}

status exact_store::put_prefetched(std::string_view ns, std::string_view key, std::string_view value,
                                   const entry_options& options) {
  return insert_new(ns, key, value, options, true);
}

status exact_store::insert_new(std::string_view ns, std::string_view key, std::string_view value,
                               const entry_options& options, bool prefetched) {
  if (options.ttl.count() < 0) return status::invalid;
  constexpr std::size_t max_part = std::numeric_limits<std::uint32_t>::max();
  if (ns.size() > max_part || key.size() > max_part) return status::invalid;
  const auto ttl = options.ttl.count() > 0 ? options.ttl : default_ttl_;
  const auto where = view_key::of(ns, key);
  const auto charge = charge_of(ns, key, value, options);
  shard& s = shard_for(where.hash);
  if (charge > s.max_bytes) {
    // Refused before the value is copied: a 32 MiB promotion took 20-100 ms here, on the
    // scheduler thread the coordinator shares, and past its deadline the layer was replaced.
    std::lock_guard<std::mutex> lock(s.mutex);
    if (node* old = s.find(where)) s.remove(old, shard::reason::none); // its value is stale now
    return status::rejected;
  }

  // Build the node before locking: the allocations and copies need no lock.
  auto owned = std::make_unique<node>();
  owned->bytes.reserve(ns.size() + key.size() + value.size());
  owned->bytes.append(ns).append(key).append(value);
  owned->ns_size = static_cast<std::uint32_t>(ns.size());
  owned->key_size = static_cast<std::uint32_t>(key.size());
  if (!options.tags.empty()) owned->tags = std::make_unique<std::vector<std::string>>(options.tags);
  owned->weighed = options.cost > 0;
  owned->charge = charge;
  owned->hash = where.hash;
  owned->prefetched = prefetched;
  if (ttl.count() > 0) {
    owned->has_ttl = true;
    owned->expires = expiry_after(clock::now(), ttl);
  }

  std::lock_guard<std::mutex> lock(s.mutex);
  if (node* old = s.find(where)) {
    // Held already (a copy written since the prefetch was asked, which the runtime did not see as
    // a write of the key: a promotion from a lower layer, say): replace it as a put would, without
    // the prefetch's mark, since the prefetch brought nothing ahead of its first read.
    if (prefetched && !old->expired_at(clock::now())) prefetched = owned->prefetched = false;
    s.remove(old, shard::reason::none);
  }
  if (prefetched) shard::bump(s.prefetch_filled);
  if (s.policy == eviction_policy::lru) {
    s.make_room(owned->charge);
    s.insert(std::move(owned), main_lru);
    return status::ok;
  }
  // A write is an access too, unless it fills the miss just counted (a read-through) or is a
  // prefetch, which nobody asked for yet.
  const bool fills_last_miss = s.last_was_miss && s.last_miss_hash == owned->hash;
  s.last_was_miss = false;
  if (!prefetched && !fills_last_miss) s.sketch->increment(owned->hash);
  if (s.shadow) {
    // The fill of a miss the shadows have already counted: a shadow that hit holds the key, just
    // touched, and would have had no miss to fill; writing it again would move it back into the
    // W-TinyLFU shadow's window, out of its main area. A prefetch is written into both.
    const bool counted_miss = !prefetched && fills_last_miss;
    if (!(counted_miss && s.last_miss_in_gds_shadow)) s.shadow->write(owned->hash, owned->charge);
    if (!(counted_miss && s.last_miss_in_tinylfu_shadow)) s.ghost_write(owned->hash, owned->charge);
    s.mirror_evictions(s.leader.gds_leads);
    if (!s.leader_holds(owned->hash)) {
      shard::bump(s.rejected_admissions);
      s.evicted_capacity.fetch_add(1, std::memory_order_relaxed);
      if (prefetched) shard::bump(s.prefetch_wasted);
      return status::ok;
    }
  }
  // Declined admission is not a failed write: the entry came and went, as an immediate eviction.
  s.admit(std::move(owned));
  return status::ok;
}

bool exact_store::contains(std::string_view ns, std::string_view key) {
  const auto where = view_key::of(ns, key);
  shard& s = shard_for(where.hash);
  std::lock_guard<std::mutex> lock(s.mutex);
  node* n = s.find(where);
  return n != nullptr && !(n->has_ttl && n->expired_at(clock::now()));
}

status exact_store::get(std::string_view ns, std::string_view key, std::string& value_out) {
  const auto where = view_key::of(ns, key);
  shard& s = shard_for(where.hash);
  std::lock_guard<std::mutex> lock(s.mutex);
  time_point now{};
  node* n = s.read(where, now);
  if (n == nullptr) return status::not_found;
  value_out.assign(n->value());
  return status::ok;
}

status exact_store::get(std::string_view ns, std::string_view key, layer_hit& out) {
  const auto where = view_key::of(ns, key);
  shard& s = shard_for(where.hash);
  std::lock_guard<std::mutex> lock(s.mutex);
  time_point now{};
  node* n = s.read(where, now);
  if (n == nullptr) return status::not_found;
  out.value.assign(n->value());
  out.meta.tags = n->tag_list();
  out.meta.cost = n->weighed ? n->charge : 0;
  out.meta.ttl = std::chrono::milliseconds{0};
  if (n->has_ttl) {
    // At least 1 ms: a promoted copy written with ttl 0 would never expire.
    out.meta.ttl = std::max(std::chrono::milliseconds{1},
                            std::chrono::ceil<std::chrono::milliseconds>(n->expires - now));
  }
  return status::ok;
}

status exact_store::erase(std::string_view ns, std::string_view key) {
  const auto where = view_key::of(ns, key);
  shard& s = shard_for(where.hash);
  std::lock_guard<std::mutex> lock(s.mutex);
  time_point now{};
  node* n = s.lookup(where, now);
  if (n == nullptr) return status::not_found;
  s.remove(n, shard::reason::none);
  return status::ok;
}

std::size_t exact_store::invalidate_tag(std::string_view ns, std::string_view tag) {
  std::size_t removed = 0;
  const auto where = view_key::of(ns, tag); // the same in every shard: hashed once
  for (std::size_t i = 0; i < shard_count_; ++i) {
    shard& s = shards_[i];
    std::lock_guard<std::mutex> lock(s.mutex);
    // Each removal may destroy the bucket (when it empties), so look it up afresh every time.
    for (;;) {
      auto it = s.tags.find(where);
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
    for (auto& list : s.lists)
      for (node* n = list.head; n != nullptr;) {
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

std::uint64_t exact_store::admissions_rejected() const noexcept { return sum(&shard::rejected_admissions); }

std::uint64_t exact_store::leader_changes() const noexcept { return sum(&shard::leader_changes); }

std::uint64_t exact_store::prefetches_used() const noexcept { return sum(&shard::prefetch_used); }

std::uint64_t exact_store::prefetches_wasted() const noexcept { return sum(&shard::prefetch_wasted); }

std::uint64_t exact_store::prefetches_filled() const noexcept { return sum(&shard::prefetch_filled); }

double exact_store::window_fraction() const noexcept {
  double total = 0;
  for (std::size_t i = 0; i < shard_count_; ++i)
    total += shards_[i].window_share_now.load(std::memory_order_relaxed);
  return total / static_cast<double>(shard_count_);
}

} // namespace strata::predictive
