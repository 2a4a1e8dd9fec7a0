#include "semantic_cache.hpp"

#include <strata/entry.hpp>
#include <strata/vectors.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <stdexcept>

namespace strata::semantic_layer {

namespace {

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
    .count();
}

/// What an entry is charged: its vector twice (the engine's and FAISS's; the entry keeps none of
/// its own), its texts, and bookkeeping.
std::uint64_t charge_of(const semantic_record& r) {
  std::uint64_t n = 160 + 2 * r.vector.size() * sizeof(float) + r.ns.size() + r.model.size() + r.query.size() +
                    r.answer.size() + r.metadata.size();
  for (const auto& t : r.tags)
    n += 32 + t.size();
  return n;
}

vector_index::record index_record(const semantic_record& r) {
  return vector_index::record{r.id, r.ns, r.tags, r.vector};
}

/// Scales `v` to length 1: scores are cosines (for `ip` as for `l2`) and thresholds lie in -1..1,
/// which holds for unit vectors only; a host's vector of length 10 outscored every other entry.
/// An embedder's vectors, of length 1 already, are left as they are (bit for bit). False for a
/// vector of length 0 (an embedder's for a text without words, say): it has no direction, and
/// matches nothing, not even at threshold -1.
bool to_unit_length(std::vector<float>& v) {
  double squares = 0;
  for (float x : v)
    squares += static_cast<double>(x) * x;
  if (!std::isfinite(squares))
    throw std::invalid_argument("a vector's components must be finite numbers");
  if (squares == 0)
    return false;
  if (std::abs(squares - 1.0) <= 1e-6)
    return true;
  const double scale = 1.0 / std::sqrt(squares);
  for (auto& x : v)
    x = static_cast<float>(x * scale);
  return true;
}

bool has_length(const std::vector<float>& v) {
  return std::any_of(v.begin(), v.end(), [](float x) { return x != 0; });
}

} // namespace

semantic_cache::semantic_cache(cache_options options, cache_events events, now_fn now)
  : options_(std::move(options)), events_(std::move(events)), now_(now ? std::move(now) : now_fn(system_now_ms)) {
  auto probe = options_.index;
  probe.dimension = 1;
  if (auto problem = vector_index::validate(probe); !problem.empty())
    throw std::invalid_argument(problem);
  if (options_.candidates == 0)
    throw std::invalid_argument("candidates must be at least 1");
}

semantic_cache::~semantic_cache() = default;

std::string semantic_cache::query_key(std::string_view ns, std::string_view query) {
  // The namespace's length first: with a separator alone, ("a\0b", "c") and ("a", "b\0c") were
  // one key, and a store in one namespace replaced (deleted) the other's entry.
  std::string key = std::to_string(ns.size());
  key.push_back(':');
  key.append(ns);
  key.append(query);
  return key;
}

double semantic_cache::similarity(float raw) const {
  // Inner product is a similarity already; a squared L2 distance d between unit vectors is
  // 2 - 2 cos, so 1 - d/2 is the same cosine. Kept within -1..1, where float rounding put the same
  // text at 1.0000001.
  const double cosine = options_.index.metric == vector_index::metric_kind::inner_product ? raw : 1.0 - raw / 2.0;
  return std::clamp(cosine, -1.0, 1.0);
}

std::int64_t semantic_cache::expiry_for(std::chrono::milliseconds ttl) const {
  return expiry_after(ttl.count() > 0 ? ttl.count() : options_.default_ttl_ms);
}

std::int64_t semantic_cache::expiry_after(std::int64_t ttl_ms) const {
  if (ttl_ms <= 0)
    return 0;
  using wall_ms = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;
  return strata::expiry_after(wall_ms(std::chrono::milliseconds(now_())), std::chrono::milliseconds(ttl_ms))
    .time_since_epoch()
    .count();
}

vector_index::engine* semantic_cache::find_engine(const std::string& model) {
  auto it = engines_.find(model);
  return it == engines_.end() ? nullptr : it->second.get();
}

vector_index::engine& semantic_cache::engine_for(const std::string& model, std::size_t dimension) {
  if (auto* e = find_engine(model)) {
    if (e->config().dimension != dimension)
      throw std::invalid_argument("model '" + model + "' has vectors of dimension " +
                                  std::to_string(e->config().dimension) + ", got " + std::to_string(dimension));
    return *e;
  }
  auto config = options_.index;
  config.dimension = dimension;
  auto made = std::make_unique<vector_index::engine>(config);
  auto& ref = *made;
  engines_.emplace(model, std::move(made));
  return ref;
}

semantic_cache::entry* semantic_cache::live(std::string_view ns, std::uint64_t id) {
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.record.ns != ns)
    return nullptr;
  const auto expires = it->second.record.expires_at_ms;
  if (expires != 0 && expires <= now_()) {
    remove(id, removal::expired, true);
    return nullptr;
  }
  return &it->second;
}

void semantic_cache::remove(std::uint64_t id, removal why, bool report) {
  auto it = entries_.find(id);
  if (it == entries_.end())
    return;
  auto& r = it->second.record;
  if (auto* e = find_engine(r.model))
    e->erase(id);
  if (!r.query.empty()) {
    auto q = by_query_.find(query_key(r.ns, r.query));
    if (q != by_query_.end() && q->second == id)
      by_query_.erase(q);
  }
  bytes_ -= it->second.charged;
  lru_.erase(it->second.lru);
  entries_.erase(it);
  if (events_.dropped)
    events_.dropped(id);
  if (report && events_.removed)
    events_.removed(why, 1);
}

status semantic_cache::lookup(const semantic_lookup_request& request, semantic_match& out) {
  out = semantic_match{};
  auto* engine = find_engine(request.vector.model);
  if (engine == nullptr)
    return status::not_found; // no entry of this model: nothing to compare with
  if (engine->config().dimension != request.vector.values.size())
    throw std::invalid_argument("model '" + request.vector.model + "' has vectors of dimension " +
                                std::to_string(engine->config().dimension) + ", the query has " +
                                std::to_string(request.vector.values.size()));
  auto query = request.vector.values;
  if (!to_unit_length(query))
    return status::not_found;
  entry* best = nullptr;
  double best_score = 0;
  std::optional<double> runner_up;
  // The margin check needs the best entry with another answer. When every candidate examined has
  // the best one's answer and is still within the margin, one farther may be within it too: look
  // at four times as many, until one is found, one falls out of the margin, or none is left (at
  // most 64 times the candidates: a namespace of thousands of paraphrases of one answer).
  const auto held = engine->size(request.ns);
  for (std::size_t k = options_.candidates;; k *= 4) {
    const auto hits = engine->search(query.data(), k, {request.ns, {}});
    best = nullptr;
    runner_up.reset();
    double last_score = 0;
    for (const auto& h : hits) {
      entry* e = live(request.ns, h.id);
      if (e == nullptr)
        continue; // expired (now removed)
      const double score = last_score = similarity(h.score);
      if (best == nullptr) {
        best = e;
        best_score = score;
      } else if (e->record.answer != best->record.answer) {
        runner_up = score;
        break;
      }
    }
    const bool all_seen = hits.size() < k || k >= held || k >= 64 * options_.candidates;
    if (best == nullptr || runner_up || all_seen || options_.check.min_margin <= 0 ||
        best_score - last_score >= options_.check.min_margin)
      break;
  }
  if (best == nullptr)
    return status::not_found;
  if (events_.scored)
    events_.scored(best_score);
  const auto& r = best->record;
  out.id = r.id;
  out.score = best_score;
  out.query = r.query;
  out.model = r.model;
  const double threshold = request.threshold.value_or(options_.threshold);
  // Float rounding: the same text scores 0.9999998, and `threshold: 1` would miss it.
  constexpr double score_rounding = 1e-5;
  if (best_score < threshold - score_rounding) {
    out.rejected_by = "threshold";
    return status::not_found;
  }
  if (auto why = second_stage(options_.check, request.text, r.query, best_score, runner_up); !why.empty()) {
    out.rejected_by = why;
    if (events_.rejected)
      events_.rejected(why);
    return status::not_found;
  }
  out.answer = r.answer;
  out.metadata = r.metadata;
  out.tags = r.tags;
  lru_.splice(lru_.begin(), lru_, best->lru);
  return status::ok;
}

std::optional<std::uint64_t> semantic_cache::store(const semantic_entry& entry, bool evict) {
  if (entry.vector.model.empty())
    throw std::invalid_argument("an entry's vector needs its model id");
  if (entry.vector.values.empty())
    throw std::invalid_argument("an entry needs a vector");
  if (entry.ns.empty())
    throw std::invalid_argument("an entry needs a namespace");
  auto vector = entry.vector.values;
  to_unit_length(vector); // before an id is taken
  const bool new_model = find_engine(entry.vector.model) == nullptr;
  engine_for(entry.vector.model, entry.vector.values.size()); // checks the dimension
  // A store that does not happen fixes no model's dimension.
  const auto forget_model = [&] {
    if (new_model)
      engines_.erase(entry.vector.model);
  };
  semantic_record r;
  r.ns = entry.ns;
  r.model = entry.vector.model;
  r.vector = std::move(vector);
  r.query = entry.query;
  r.answer = entry.answer;
  r.metadata = entry.metadata;
  r.tags = entry.tags;
  r.expires_at_ms = expiry_for(entry.ttl);
  if (!r.query.empty())
    if (auto it = by_query_.find(query_key(r.ns, r.query)); it != by_query_.end())
      remove(it->second, removal::invalidated, false); // replaced, not evicted
  if (charge_of(r) > options_.max_bytes) {
    forget_model();
    return std::nullopt;
  }
  r.id = next_id_++;
  const auto id = r.id;
  try {
    insert(std::move(r));
  } catch (...) {
    forget_model();
    --next_id_;
    throw;
  }
  last_store_ = {id, new_model ? entry.vector.model : std::string()};
  if (evict)
    enforce_bounds();
  return id;
}

void semantic_cache::insert(semantic_record record) {
  auto& engine = engine_for(record.model, record.vector.size());
  if (has_length(record.vector)) // one of no direction matches nothing: it stays out of the index
    engine.add(index_record(record)); // throws before anything changed here
  const auto id = record.id;
  lru_.push_front(id);
  entry e{std::move(record), 0, lru_.begin()};
  e.charged = charge_of(e.record);
  std::vector<float>().swap(e.record.vector); // the engine holds it (see vector_of)
  bytes_ += e.charged;
  if (!e.record.query.empty())
    by_query_[query_key(e.record.ns, e.record.query)] = id;
  entries_.emplace(id, std::move(e));
}

void semantic_cache::enforce_bounds() {
  std::size_t evicted = 0;
  while (!lru_.empty() && (entries_.size() > options_.max_entries || bytes_ > options_.max_bytes)) {
    remove(lru_.back(), removal::capacity, false);
    ++evicted;
  }
  if (evicted > 0 && events_.removed)
    events_.removed(removal::capacity, evicted);
}

status semantic_cache::update(const semantic_update& update) {
  entry* e = live(update.ns, update.id);
  if (e == nullptr)
    return status::not_found;
  auto& r = e->record;
  const auto charged = updated_charge(*e, update);
  if (charged > options_.max_bytes) {
    remove(update.id, removal::invalidated, false);
    return status::rejected;
  }
  if (update.tags) {
    auto* engine = find_engine(r.model);
    if (auto indexed = engine->get(r.id)) { // not when its vector has no length
      indexed->tags = *update.tags;
      engine->update(*indexed);
    }
    r.tags = *update.tags;
  }
  if (update.answer)
    r.answer = *update.answer;
  if (update.metadata)
    r.metadata = *update.metadata;
  if (update.ttl)
    r.expires_at_ms = expiry_after(update.ttl->count());
  bytes_ -= e->charged;
  e->charged = charged;
  bytes_ += e->charged;
  lru_.splice(lru_.begin(), lru_, e->lru);
  enforce_bounds();
  return status::ok;
}

std::uint64_t semantic_cache::updated_charge(const entry& e, const semantic_update& update) {
  const auto& r = e.record;
  std::uint64_t n = e.charged;
  if (update.answer)
    n = n - r.answer.size() + update.answer->size();
  if (update.metadata)
    n = n - r.metadata.size() + update.metadata->size();
  if (update.tags) {
    for (const auto& t : r.tags)
      n -= 32 + t.size();
    for (const auto& t : *update.tags)
      n += 32 + t.size();
  }
  return n;
}

bool semantic_cache::erase(std::string_view ns, std::uint64_t id) {
  if (live(ns, id) == nullptr)
    return false;
  remove(id, removal::invalidated, false);
  return true;
}

void semantic_cache::take_back_last_store() {
  if (last_store_.id == 0) // none since the last take-back
    return;
  remove(last_store_.id, removal::invalidated, false); // not an eviction: it never was
  if (!last_store_.new_model.empty())
    engines_.erase(last_store_.new_model);
  if (last_store_.id + 1 == next_id_)
    next_id_ = last_store_.id;
  last_store_ = {};
}

const semantic_record* semantic_cache::exact(std::string_view ns, std::string_view query) {
  auto it = by_query_.find(query_key(ns, query));
  if (it == by_query_.end())
    return nullptr;
  entry* e = live(ns, it->second);
  if (e == nullptr)
    return nullptr;
  lru_.splice(lru_.begin(), lru_, e->lru);
  return &e->record;
}

bool semantic_cache::erase_query(std::string_view ns, std::string_view query) {
  auto it = by_query_.find(query_key(ns, query));
  return it != by_query_.end() && erase(ns, it->second);
}

std::size_t semantic_cache::invalidate_tag(std::string_view ns, std::string_view tag) {
  std::vector<std::uint64_t> doomed;
  for (const auto& [id, e] : entries_)
    if (e.record.ns == ns && std::find(e.record.tags.begin(), e.record.tags.end(), tag) != e.record.tags.end())
      doomed.push_back(id);
  for (auto id : doomed)
    remove(id, removal::invalidated, false);
  if (!doomed.empty() && events_.removed)
    events_.removed(removal::invalidated, doomed.size());
  return doomed.size();
}

std::size_t semantic_cache::purge_expired() {
  const auto now = now_();
  std::vector<std::uint64_t> doomed;
  for (const auto& [id, e] : entries_)
    if (e.record.expires_at_ms != 0 && e.record.expires_at_ms <= now)
      doomed.push_back(id);
  for (auto id : doomed)
    remove(id, removal::expired, false);
  if (!doomed.empty() && events_.removed)
    events_.removed(removal::expired, doomed.size());
  return doomed.size();
}

std::size_t semantic_cache::restore(std::vector<semantic_record> records, std::uint64_t used_up_to) {
  if (!entries_.empty())
    throw std::logic_error("semantic_cache::restore: the cache is not empty");
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  const auto now = now_();
  for (auto& r : records) {
    const auto where = "entry " + std::to_string(static_cast<std::int64_t>(r.id)) + ": "; // as the file holds it
    if (r.expires_at_ms != 0 && r.expires_at_ms <= now)
      continue;
    // A row edited or damaged outside the layer: with id -5 (2^64 - 5 here) the ids given next
    // wrapped to 1 and on, past what a JSON number holds exactly.
    if (r.id == 0 || r.id > max_entry_id)
      throw std::invalid_argument(where + "the id is not between 1 and 2^53 - 1");
    if (entries_.count(r.id) != 0)
      throw std::invalid_argument(where + "the id is repeated");
    if (r.model.empty() || r.vector.empty() || r.ns.empty())
      throw std::invalid_argument(where + "no model, vector or namespace");
    if (std::any_of(r.tags.begin(), r.tags.end(), [](const std::string& tag) { return tag.empty(); }))
      throw std::invalid_argument(where + "an empty tag"); // one no invalidation could name
    next_id_ = std::max(next_id_, r.id + 1);
    try {
      to_unit_length(r.vector); // a row written before vectors were scaled
      insert(std::move(r));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(where + e.what());
    }
  }
  next_id_ = std::max(next_id_, used_up_to + 1);
  // One stored under larger bounds than these would evict everything else, then itself.
  std::vector<std::uint64_t> oversized;
  for (const auto& [id, e] : entries_)
    if (e.charged > options_.max_bytes)
      oversized.push_back(id);
  for (auto id : oversized)
    remove(id, removal::capacity, true);
  enforce_bounds();
  return entries_.size();
}

void semantic_cache::put_back(semantic_record record) {
  if (entries_.count(record.id) != 0)
    remove(record.id, removal::invalidated, false);
  insert(std::move(record));
}

std::optional<semantic_record> semantic_cache::find(std::uint64_t id) const {
  auto it = entries_.find(id);
  if (it == entries_.end())
    return std::nullopt;
  auto r = it->second.record;
  r.vector = vector_of(r);
  return r;
}

std::vector<float> semantic_cache::vector_of(const semantic_record& r) const {
  const auto& engine = *engines_.at(r.model);
  if (auto indexed = engine.get(r.id))
    return std::move(indexed->vector);
  return std::vector<float>(engine.config().dimension, 0.0f); // of no length: kept out of the index
}

std::vector<semantic_record> semantic_cache::records() const {
  std::vector<semantic_record> out;
  out.reserve(entries_.size());
  for (const auto& [id, e] : entries_) {
    out.push_back(e.record);
    out.back().vector = vector_of(e.record);
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return out;
}

} // namespace strata::semantic_layer
