#include "engine.hpp"

#include "backend.hpp"
#include "distances.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <unordered_set>

namespace strata::vector_index {

struct engine::slot_info {
  std::uint64_t id = 0;
  std::uint32_t ns = 0;
  std::uint32_t ns_pos = 0; // position in namespaces_[ns].slots
  std::vector<std::string> tags; // sorted, without repeats: a filter merges them with its own
  bool live = false;
};

struct engine::namespace_info {
  std::string name;
  std::vector<std::uint32_t> slots;
};

namespace {

/// A sorted copy without repeats.
std::vector<std::string> tag_set(std::vector<std::string> tags) {
  std::sort(tags.begin(), tags.end());
  tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
  return tags;
}

} // namespace

class engine::entry_filter final : public slot_filter {
public:
  entry_filter(const engine& e, std::uint32_t ns, const std::vector<std::string>& tags)
    : slots_(e.slots_), ns_(ns), tags_(tag_set(tags)) {
  }
  /// Both tag lists sorted: one merge, linear in their lengths (a find per tag was quadratic, and
  /// an entry and a query of 20 000 tags each took 0.2 s per candidate).
  bool accepts(slot_t slot) const override {
    const auto& s = slots_[slot];
    if (!s.live || s.ns != ns_)
      return false;
    return std::includes(s.tags.begin(), s.tags.end(), tags_.begin(), tags_.end());
  }

private:
  const std::vector<slot_info>& slots_;
  std::uint32_t ns_;
  const std::vector<std::string> tags_;
};

namespace {

constexpr std::size_t build_chunk = 4096;
// The builder leaves at most this many journaled slots for the caller's thread to replay, unless
// the writes come faster than it replays them.
constexpr std::size_t journal_handover = 64;
// What one call of the caller's thread replays of what the builder left, at most (about 20 ms for
// IVF at 1024 lists of 384 floats).
constexpr std::size_t poll_chunk = 1024;
constexpr std::size_t max_widen = 16;
// Below this many vectors, FAISS calls run on the calling thread alone: an OpenMP team for one
// query waits at its barrier for a second thread that a busy machine may not schedule for
// milliseconds (measured: 1.5 ms alone, 20 ms with the team, 5000 HNSW vectors, load 12 on 2 cores).
constexpr std::size_t parallel_min = 64;

/// Sets the calling thread's OpenMP team size to one for its lifetime when `n` is small.
class small_call {
public:
  explicit small_call(std::size_t n) : previous_(n < parallel_min ? omp_get_max_threads() : 0) {
    if (previous_ != 0)
      omp_set_num_threads(1);
  }
  ~small_call() {
    if (previous_ != 0)
      omp_set_num_threads(previous_);
  }
  small_call(const small_call&) = delete;
  small_call& operator=(const small_call&) = delete;

private:
  int previous_;
};

/// Brings `into` up to date with `writes` in batched adds: each slot written is removed (a no-op
/// where `into` does not hold it) and added again with the vector it holds now, if any. Batched
/// rather than one FAISS call per write: a call for a single vector costs an OpenMP team and, for
/// IVF, a quantizer search of its own. Stops between batches once `cancel` is set.
void apply(backend& into, const build_journal& writes, std::size_t dim, const std::atomic<bool>* cancel = nullptr) {
  std::vector<float> vectors;
  std::vector<slot_t> slots;
  for (const auto& [slot, vector] : writes) {
    into.remove(slot);
    if (vector.empty())
      continue;
    vectors.insert(vectors.end(), vector.begin(), vector.end());
    slots.push_back(slot);
  }
  for (std::size_t i = 0; i < slots.size(); i += build_chunk) {
    if (cancel != nullptr && *cancel)
      return;
    auto count = std::min(build_chunk, slots.size() - i);
    into.add(count, vectors.data() + i * dim, slots.data() + i);
  }
}

std::size_t tag_bytes(const std::vector<std::string>& tags) {
  std::size_t n = 0;
  for (const auto& tag : tags)
    n += sizeof(std::string) + tag.size();
  return n;
}

} // namespace

engine::engine(index_config config) : config_(config), dim_(config.dimension) {
  if (auto problem = validate(config_); !problem.empty())
    throw std::invalid_argument("vector index: " + problem);
  if (!needs_training(config_))
    backend_ = make_backend(config_, nullptr, 0);
}

engine::~engine() {
  cancel_ = true;
  if (builder_.joinable())
    builder_.join();
}

const index_config& engine::config() const {
  return config_;
}

void engine::set_search_effort(int ef_search, std::size_t nprobe) {
  index_config tuned = config_;
  tuned.ef_search = ef_search;
  tuned.nprobe = nprobe;
  if (auto problem = validate(tuned); !problem.empty())
    throw std::invalid_argument("vector index: " + problem);
  config_ = tuned;
}

bool engine::closer(float a, float b) const {
  return config_.metric == metric_kind::l2 ? a < b : a > b;
}

const float* engine::vector_of(std::uint32_t slot) const {
  return vectors_.data() + static_cast<std::size_t>(slot) * dim_;
}

void engine::check(const record& entry) const {
  if (entry.vector.size() != dim_)
    throw std::invalid_argument("vector index: id " + std::to_string(entry.id) + " has dimension "
                                + std::to_string(entry.vector.size()) + ", the index has "
                                + std::to_string(dim_));
  for (std::size_t i = 0; i < dim_; ++i)
    if (!std::isfinite(entry.vector[i]))
      throw std::invalid_argument("vector index: id " + std::to_string(entry.id) + " component "
                                  + std::to_string(i) + " is not finite");
  if (entry.ns.empty())
    throw std::invalid_argument("vector index: id " + std::to_string(entry.id) + " has an empty namespace");
}

std::uint32_t engine::intern(const std::string& ns) {
  if (auto it = ns_codes_.find(ns); it != ns_codes_.end())
    return it->second;
  std::uint32_t code;
  if (!free_namespaces_.empty()) {
    code = free_namespaces_.back();
    free_namespaces_.pop_back();
  } else {
    code = static_cast<std::uint32_t>(namespaces_.size());
    namespaces_.emplace_back();
  }
  namespaces_[code].name = ns;
  ns_codes_.emplace(ns, code);
  return code;
}

std::uint32_t engine::place(const record& entry) {
  std::uint32_t slot;
  if (!free_slots_.empty()) {
    slot = free_slots_.back();
    free_slots_.pop_back();
  } else {
    slot = static_cast<std::uint32_t>(slots_.size());
    slots_.emplace_back();
    vectors_.resize(vectors_.size() + dim_);
  }
  std::memcpy(vectors_.data() + static_cast<std::size_t>(slot) * dim_, entry.vector.data(), dim_ * sizeof(float));
  auto& info = slots_[slot];
  info.id = entry.id;
  info.ns = intern(entry.ns);
  auto& members = namespaces_[info.ns].slots;
  info.ns_pos = static_cast<std::uint32_t>(members.size());
  members.push_back(slot);
  info.tags = tag_set(entry.tags);
  tag_bytes_ += tag_bytes(info.tags);
  info.live = true;
  by_id_[entry.id] = slot;
  return slot;
}

void engine::release(std::uint32_t slot) {
  auto& info = slots_[slot];
  auto& ns = namespaces_[info.ns];
  auto moved = ns.slots.back();
  ns.slots[info.ns_pos] = moved;
  slots_[moved].ns_pos = info.ns_pos;
  ns.slots.pop_back();
  if (ns.slots.empty()) {
    ns_codes_.erase(ns.name);
    ns.name.clear();
    ns.slots.shrink_to_fit();
    free_namespaces_.push_back(info.ns);
  }
  by_id_.erase(info.id);
  info.live = false;
  tag_bytes_ -= tag_bytes(info.tags);
  info.tags.clear();
  free_slots_.push_back(slot);
}

void engine::backend_add(std::size_t n, const std::uint32_t* slots) {
  small_call threads{n};
  std::vector<float> gathered;
  if (n > 1) {
    gathered.resize(n * dim_);
    for (std::size_t i = 0; i < n; ++i)
      std::memcpy(gathered.data() + i * dim_, vector_of(slots[i]), dim_ * sizeof(float));
  }
  const float* vectors = n > 1 ? gathered.data() : vector_of(slots[0]);
  if (handed_over()) {
    std::lock_guard<std::mutex> lock{journal_mutex_};
    for (std::size_t i = 0; i < n; ++i)
      if (journal_.erase(slots[i]) != 0) // the built index may still hold what the slot had before
        built_backend_->remove(slots[i]);
    built_backend_->add(n, vectors, slots);
  } else if (building_) {
    std::lock_guard<std::mutex> lock{journal_mutex_};
    for (std::size_t i = 0; i < n; ++i)
      journal_[slots[i]].assign(vector_of(slots[i]), vector_of(slots[i]) + dim_);
  }
  if (backend_)
    backend_->add(n, vectors, slots);
}

void engine::backend_remove(std::uint32_t slot) {
  small_call threads{1};
  if (handed_over()) {
    std::lock_guard<std::mutex> lock{journal_mutex_};
    journal_.erase(slot);
    built_backend_->remove(slot);
  } else if (building_) {
    std::lock_guard<std::mutex> lock{journal_mutex_};
    journal_[slot].clear();
  }
  if (backend_)
    backend_->remove(slot);
}

void engine::add(const record& entry) {
  poll();
  check(entry);
  if (by_id_.count(entry.id) != 0)
    throw std::invalid_argument("vector index: id " + std::to_string(entry.id) + " exists");
  auto slot = place(entry);
  try {
    backend_add(1, &slot);
  } catch (...) {
    release(slot);
    throw;
  }
  maybe_rebuild();
}

void engine::add(const std::vector<record>& entries) {
  poll();
  std::unordered_set<std::uint64_t> seen;
  for (const auto& entry : entries) {
    check(entry);
    if (by_id_.count(entry.id) != 0 || !seen.insert(entry.id).second)
      throw std::invalid_argument("vector index: id " + std::to_string(entry.id) + " exists");
  }
  std::vector<std::uint32_t> slots;
  slots.reserve(entries.size());
  for (const auto& entry : entries)
    slots.push_back(place(entry));
  try {
    if (!slots.empty())
      backend_add(slots.size(), slots.data());
  } catch (...) {
    for (auto slot : slots)
      release(slot);
    throw;
  }
  maybe_rebuild();
}

bool engine::update(const record& entry) {
  poll();
  check(entry);
  auto it = by_id_.find(entry.id);
  if (it == by_id_.end())
    return false;
  auto old = it->second;
  backend_remove(old);
  release(old);
  auto slot = place(entry);
  backend_add(1, &slot);
  maybe_rebuild();
  return true;
}

bool engine::erase(std::uint64_t id) {
  poll();
  auto it = by_id_.find(id);
  if (it == by_id_.end())
    return false;
  auto slot = it->second;
  backend_remove(slot);
  release(slot);
  maybe_rebuild();
  return true;
}

void engine::exact_scan(const float* query, std::size_t k, const entry_filter& filter, std::uint32_t ns_code,
                        std::vector<hit>& out) const {
  std::vector<std::pair<float, std::uint32_t>> scored;
  const auto& members = namespaces_[ns_code].slots;
  scored.reserve(members.size());
  for (auto slot : members) {
    if (!filter.accepts(slot))
      continue;
    scored.emplace_back(exact_score(query, slot), slot);
  }
  auto n = std::min(k, scored.size());
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(n), scored.end(),
                    [this](const auto& a, const auto& b) { return closer(a.first, b.first); });
  out.clear();
  for (std::size_t i = 0; i < n; ++i)
    out.push_back({slots_[scored[i].second].id, scored[i].first});
}

std::vector<hit> engine::search(const float* query, std::size_t k, const query_filter& filter) {
  auto all = search(query, 1, k, filter);
  return std::move(all.front());
}

std::vector<std::vector<hit>> engine::search(const float* queries, std::size_t nq, std::size_t k,
                                             const query_filter& filter) {
  poll();
  std::vector<std::vector<hit>> results(nq);
  auto code = ns_codes_.find(filter.ns);
  if (k == 0 || nq == 0 || code == ns_codes_.end())
    return results;
  auto ns = code->second;
  entry_filter accepts{*this, ns, filter.tags};
  auto in_ns = namespaces_[ns].slots.size();
  if (!backend_ || in_ns <= config_.exact_scan_max) {
    for (std::size_t q = 0; q < nq; ++q)
      exact_scan(queries + q * dim_, k, accepts, ns, results[q]);
    return results;
  }
  // A namespace holding a small share of the index leaves few accepted candidates among those
  // FAISS visits: look further in proportion.
  auto widen = std::clamp<std::size_t>(by_id_.size() / in_ns, 1, max_widen);
  auto effort = widen * (config_.kind == index_kind::hnsw ? static_cast<std::size_t>(config_.ef_search) : config_.nprobe);
  // On 8-bit codes the search ranks by approximate distances: ask for more, re-rank exactly.
  const bool rerank = config_.kind == index_kind::hnsw && config_.hnsw_codes == vector_codes::sq8;
  const auto asked = rerank ? k * config_.refine : k;
  std::vector<float> distances(nq * asked);
  std::vector<std::int64_t> found(nq * asked);
  small_call threads{nq};
  backend_->search(nq, queries, asked, accepts, effort, distances.data(), found.data());
  for (std::size_t q = 0; q < nq; ++q) {
    auto& out = results[q];
    for (std::size_t i = 0; i < asked; ++i) {
      auto slot = found[q * asked + i];
      if (slot >= 0) {
        auto s = static_cast<std::uint32_t>(slot);
        out.push_back({slots_[s].id, rerank ? exact_score(queries + q * dim_, s) : distances[q * asked + i]});
      }
    }
    if (rerank)
      keep_best(k, out);
    // Fewer than k: either fewer entries match, or the approximate search missed them; an exact
    // scan of the namespace tells and answers.
    if (out.size() < k && out.size() < in_ns)
      exact_scan(queries + q * dim_, k, accepts, ns, out);
  }
  return results;
}

float engine::exact_score(const float* query, std::uint32_t slot) const {
  auto v = vector_of(slot);
  return config_.metric == metric_kind::l2 ? l2_squared(query, v, dim_) : inner_product(query, v, dim_);
}

void engine::keep_best(std::size_t k, std::vector<hit>& hits) const {
  auto n = std::min(k, hits.size());
  std::partial_sort(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(n), hits.end(),
                    [this](const hit& a, const hit& b) { return closer(a.score, b.score); });
  hits.resize(n);
}

std::optional<record> engine::get(std::uint64_t id) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end())
    return std::nullopt;
  const auto& info = slots_[it->second];
  auto v = vector_of(it->second);
  return record{id, namespaces_[info.ns].name, info.tags, std::vector<float>(v, v + dim_)};
}

bool engine::contains(std::uint64_t id) const {
  return by_id_.count(id) != 0;
}

std::size_t engine::size() const {
  return by_id_.size();
}

std::size_t engine::size(const std::string& ns) const {
  auto it = ns_codes_.find(ns);
  return it == ns_codes_.end() ? 0 : namespaces_[it->second].slots.size();
}

engine_stats engine::stats() const {
  engine_stats s;
  s.entries = by_id_.size();
  s.stored = backend_ ? backend_->stored() : 0;
  s.tombstones = backend_ ? backend_->tombstones() : 0;
  s.compactions = compactions_;
  s.trainings = trainings_;
  s.trained = backend_ != nullptr;
  s.rebuilding = building_;
  std::size_t meta = slots_.capacity() * sizeof(slot_info) + by_id_.size() * 32 + tag_bytes_;
  s.bytes = vectors_.capacity() * sizeof(float) + meta + (backend_ ? backend_->bytes() : 0);
  return s;
}

void engine::maybe_rebuild() {
  if (building_)
    return;
  auto live = by_id_.size();
  if (config_.kind == index_kind::hnsw && backend_) {
    auto dead = backend_->tombstones();
    if (dead >= config_.compact_min
        && static_cast<double>(dead) >= config_.compact_ratio * static_cast<double>(backend_->stored())) {
      // A trained index that shrank below train_min has too little to train on: exact scans
      // answer until it grows again.
      if (needs_training(config_) && live < config_.train_min) {
        backend_.reset();
        trained_on_ = 0;
        return;
      }
      return start_rebuild(true);
    }
  }
  if (needs_training(config_)
      && ((!backend_ && live >= config_.train_min)
          || (backend_ && static_cast<double>(live) >= config_.retrain_growth * static_cast<double>(trained_on_))))
    start_rebuild(false);
}

bool engine::compact() {
  poll();
  if (building_ || config_.kind == index_kind::flat)
    return false;
  if (needs_training(config_) && by_id_.size() < config_.train_min)
    return false;
  start_rebuild(config_.kind == index_kind::hnsw);
  return true;
}

void engine::start_rebuild(bool compaction) {
  auto n = by_id_.size();
  auto snapshot = std::make_shared<std::vector<float>>(n * dim_);
  auto snapshot_slots = std::make_shared<std::vector<std::uint32_t>>();
  snapshot_slots->reserve(n);
  for (const auto& [id, slot] : by_id_) {
    std::memcpy(snapshot->data() + snapshot_slots->size() * dim_, vector_of(slot), dim_ * sizeof(float));
    snapshot_slots->push_back(slot);
  }
  {
    std::lock_guard<std::mutex> lock{journal_mutex_};
    journal_.clear();
  }
  building_ = true;
  building_compaction_ = compaction;
  building_size_ = n;
  built_ = false;
  cancel_ = false;
  builder_ = std::thread([this, config = config_, snapshot, snapshot_slots, n] {
    std::unique_ptr<backend> fresh;
    try {
      fresh = make_backend(config, snapshot->data(), n);
      for (std::size_t i = 0; i < n; i += build_chunk) {
        if (cancel_)
          return;
        auto count = std::min(build_chunk, n - i);
        fresh->add(count, snapshot->data() + i * dim_, snapshot_slots->data() + i);
      }
      // Catch up with the writes that arrived during the build, until few are left, or until
      // they stop getting fewer (the writes come faster than the catching up), when the caller's
      // thread replays the rest in poll(), a part per call: otherwise the build would never end.
      for (std::size_t previous = SIZE_MAX;;) {
        build_journal writes;
        {
          std::lock_guard<std::mutex> lock{journal_mutex_};
          if (journal_.size() <= journal_handover || journal_.size() >= previous)
            break;
          previous = journal_.size();
          writes.swap(journal_);
        }
        apply(*fresh, writes, dim_, &cancel_);
        if (cancel_)
          return;
      }
      fresh->settle();
    } catch (...) {
      fresh.reset(); // the running index stays; poll() sees no result
    }
    built_backend_ = std::move(fresh);
    built_.store(true, std::memory_order_release);
  });
}

bool engine::poll() {
  if (!building_ || !built_.load(std::memory_order_acquire))
    return false;
  if (builder_.joinable())
    builder_.join();
  if (!built_backend_) { // the build failed: the running index stays
    building_ = false;
    std::lock_guard<std::mutex> lock{journal_mutex_};
    journal_.clear();
    return false;
  }
  // What the builder left, a bounded part per call: a call waits for at most poll_chunk writes,
  // and its own writes go to both indexes at once (handed_over()), so the rest shrinks call by
  // call however large the calls' batches (a builder the writes outran leaves up to one per slot:
  // all of them at once took seconds, past the layer's deadline).
  build_journal part;
  {
    std::lock_guard<std::mutex> lock{journal_mutex_};
    if (journal_.size() <= poll_chunk) {
      part.swap(journal_);
    } else {
      auto it = journal_.begin();
      for (std::size_t n = 0; n < poll_chunk; ++n)
        part.insert(journal_.extract(it++));
    }
  }
  small_call threads{part.size()};
  apply(*built_backend_, part, dim_);
  {
    std::lock_guard<std::mutex> lock{journal_mutex_};
    if (!journal_.empty())
      return false;
  }
  building_ = false;
  backend_ = std::move(built_backend_);
  if (needs_training(config_))
    trained_on_ = building_size_; // a compaction retrains too
  if (building_compaction_)
    ++compactions_;
  else
    ++trainings_;
  maybe_rebuild(); // the writes replayed may call for the next one already
  return true;
}

void engine::wait() {
  while (building_) {
    while (!built_.load(std::memory_order_acquire))
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    poll();
  }
}

} // namespace strata::vector_index
