#include "vector_store.hpp"

#include <strata/entry.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <unordered_set>

namespace strata::vector_layer {

namespace {

/// Runs `check` on item `i`; what it throws names the item of a `batch` ("item 2: ..."), as the
/// runtime's own checks do.
template <class Check>
void naming_item(bool batch, std::size_t i, Check&& check) {
  if (!batch)
    return check();
  try {
    check();
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("item " + std::to_string(i) + ": " + e.what());
  }
}

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
    .count();
}

std::size_t meta_bytes(const std::string& ns, const std::string& model, const std::string& metadata,
                       const std::vector<std::string>& tags) {
  std::size_t n = 96 + ns.size() + model.size() + metadata.size();
  for (const auto& tag : tags)
    n += 32 + tag.size();
  return n;
}

vector_index::record record_of(std::uint64_t id, const vector_item& item) {
  return {id, item.ns, item.tags, item.vector.values};
}

} // namespace

vector_store::vector_store(store_options options, clock_ms now)
  : options_(std::move(options)), now_(now ? std::move(now) : clock_ms{system_now_ms}) {
  auto probe = options_.index;
  probe.dimension = 1;
  if (auto problem = vector_index::validate(probe); !problem.empty())
    throw std::invalid_argument(problem);
  if (options_.max_k == 0)
    throw std::invalid_argument("max_k must be at least 1");
  if (options_.max_batch_hits == 0)
    throw std::invalid_argument("max_batch_hits must be at least 1");
}

vector_index::engine* vector_store::find_engine(const std::string& model) const {
  auto it = engines_.find(model);
  return it == engines_.end() ? nullptr : it->second.get();
}

namespace {

/// `x` in four significant digits: a length near the limit is about 1e19, which `std::to_string`
/// writes out in full, with six decimals.
std::string in_short(double x) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", x);
  return text;
}

/// Refuses a vector a score could not be computed from: a component not finite, or a length whose
/// square is past `max_squared_length` (a float score would overflow to infinity, null in JSON).
void check_values(const std::vector<float>& values) {
  double squares = 0;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i]))
      throw std::invalid_argument("component " + std::to_string(i) + " of the vector is not finite");
    squares += static_cast<double>(values[i]) * values[i];
  }
  if (squares > max_squared_length)
    throw std::invalid_argument("the vector's length " + in_short(std::sqrt(squares)) +
                                " is too large to compare; at most " + in_short(std::sqrt(max_squared_length)));
}

} // namespace

vector_index::engine& vector_store::engine_for(const std::string& model, std::size_t dimension) {
  if (auto* e = find_engine(model))
    return *e;
  auto config = options_.index;
  config.dimension = dimension;
  return *engines_.emplace(model, std::make_unique<vector_index::engine>(config)).first->second;
}

void vector_store::check(const vector_item& item, const std::map<std::string, std::size_t>& new_models) const {
  if (item.ns.empty())
    throw std::invalid_argument("an item needs a namespace");
  if (item.vector.model.empty())
    throw std::invalid_argument("an item's vector needs its model id");
  const auto& values = item.vector.values;
  if (values.empty())
    throw std::invalid_argument("an item needs a vector (or a text and an embedder)");
  std::size_t expected = 0;
  if (auto* e = find_engine(item.vector.model))
    expected = e->config().dimension;
  else if (auto it = new_models.find(item.vector.model); it != new_models.end())
    expected = it->second;
  if (expected != 0 && values.size() != expected)
    throw std::invalid_argument("model '" + item.vector.model + "' has vectors of dimension " +
                                std::to_string(expected) + ", the item has " + std::to_string(values.size()));
  if (expected == 0) { // the item brings its model: refused here, before any id is chosen for the batch
    auto config = options_.index;
    config.dimension = values.size();
    if (auto problem = vector_index::validate(config); !problem.empty())
      throw std::invalid_argument("model '" + item.vector.model + "': " + problem);
  }
  check_values(values);
  if (directionless(values))
    throw std::invalid_argument("the vector is all zeros (an embedder's for a text without words): under metric ip "
                                "it has no direction, and would score 0 against every entry");
}

bool vector_store::directionless(const std::vector<float>& values) const {
  return options_.index.metric == vector_index::metric_kind::inner_product &&
         std::all_of(values.begin(), values.end(), [](float x) { return x == 0.0f; });
}

std::uint64_t vector_store::next_free_id() {
  // Past the largest id it chooses (after a host gave that one, say) the count starts again at 1:
  // a JSON client could not tell 2^53 from 2^53 + 1.
  const auto out_of_range = [this] { return next_id_ == 0 || next_id_ > max_entry_id; };
  while (out_of_range() || entries_.count(next_id_) != 0)
    next_id_ = out_of_range() ? 1 : next_id_ + 1;
  return next_id_++;
}

std::int64_t vector_store::expiry_of(const vector_item& item) const {
  if (item.ttl.count() <= 0)
    return 0;
  using wall_ms = std::chrono::time_point<std::chrono::system_clock, std::chrono::milliseconds>;
  return expiry_after(wall_ms(std::chrono::milliseconds(now_())), item.ttl).time_since_epoch().count();
}

void vector_store::remember(std::uint64_t id, entry_meta meta) {
  meta_bytes_ += meta_bytes(meta.ns, meta.model, meta.metadata, meta.tags);
  if (meta.expires_at_ms != 0)
    expiries_.emplace(meta.expires_at_ms, id);
  entries_[id] = std::move(meta);
}

void vector_store::forget(std::uint64_t id) {
  auto it = entries_.find(id);
  const auto& meta = it->second;
  meta_bytes_ -= meta_bytes(meta.ns, meta.model, meta.metadata, meta.tags);
  if (meta.expires_at_ms != 0)
    expiries_.erase({meta.expires_at_ms, id});
  entries_.erase(it);
}

status vector_store::add(const vector_item& item, std::uint64_t& id_out) {
  std::vector<std::uint64_t> ids;
  auto s = add_items({item}, ids, false);
  if (s == status::ok)
    id_out = ids.front();
  return s;
}

status vector_store::add_batch(const std::vector<vector_item>& items, std::vector<std::uint64_t>& ids_out) {
  return add_items(items, ids_out, true);
}

status vector_store::add_items(const std::vector<vector_item>& items, std::vector<std::uint64_t>& ids_out, bool batch) {
  purge_expired();
  ids_out.clear();
  std::map<std::string, std::size_t> new_models;
  std::unordered_set<std::uint64_t> taken_in_batch; // the host's ids, then each one chosen too
  for (std::size_t i = 0; i < items.size(); ++i) {
    const auto& item = items[i];
    naming_item(batch, i, [&] {
      check(item, new_models);
      if (find_engine(item.vector.model) == nullptr)
        new_models.emplace(item.vector.model, item.vector.values.size());
      // Bad input, said as such: the layer's bounds and policy did not refuse it.
      if (item.id > max_entry_id) // past it, the layer's own count would wrap and reuse erased ids
        throw std::invalid_argument("id " + std::to_string(item.id) + " is above 2^53 - 1 (" +
                                    std::to_string(max_entry_id) + "), the largest a JSON number holds exactly");
      if (item.id != 0 && entries_.count(item.id) != 0)
        throw std::invalid_argument("id " + std::to_string(item.id) +
                                    " is taken (ids are one space across namespaces); an update replaces an entry of "
                                    "the namespace, an add without an id gets a free one");
      if (item.id != 0 && !taken_in_batch.insert(item.id).second)
        throw std::invalid_argument("id " + std::to_string(item.id) + " is given twice in the batch");
    });
  }
  if (entries_.size() + items.size() > options_.max_entries)
    return status::rejected; // full
  const auto first_free_id = next_id_;
  std::vector<std::uint64_t> ids;
  std::map<std::string, std::vector<vector_index::record>> by_model;
  for (const auto& item : items) {
    auto id = item.id;
    if (id == 0) {
      // Past a host's 2^53 - 1 the count starts from 1 again: not onto an id chosen before it.
      do
        id = next_free_id();
      while (!taken_in_batch.insert(id).second);
    } else {
      next_id_ = std::max(next_id_, id + 1); // the ids after a host's go on from it, as add by add
    }
    ids.push_back(id);
    by_model[item.vector.model].push_back(record_of(id, item));
  }
  std::vector<std::string> added;
  try {
    for (const auto& [model, records] : by_model) {
      engine_for(model, records.front().vector.size()).add(records);
      added.push_back(model);
    }
  } catch (...) {
    // As if the batch had never come: no entry, no id used up, no model's dimension fixed.
    for (const auto& model : added)
      if (new_models.count(model) == 0)
        for (const auto& r : by_model[model])
          find_engine(model)->erase(r.id);
    for (const auto& [model, dimension] : new_models)
      engines_.erase(model);
    next_id_ = first_free_id;
    throw;
  }
  for (std::size_t i = 0; i < items.size(); ++i) {
    remember(ids[i], {items[i].ns, items[i].vector.model, items[i].metadata, items[i].tags, expiry_of(items[i])});
    next_id_ = std::max(next_id_, ids[i] + 1); // a host's id too: after an erase it is not given again
  }
  last_add_ = {ids, {}, first_free_id};
  for (const auto& [model, dimension] : new_models)
    last_add_.new_models.push_back(model);
  ids_out = std::move(ids);
  return status::ok;
}

void vector_store::take_back_last_add() {
  if (last_add_.ids.empty()) // none since the last take-back: next_id_ must not go back to 1
    return;
  for (auto id : last_add_.ids) {
    const auto it = entries_.find(id);
    if (it == entries_.end()) // taken back already
      continue;
    find_engine(it->second.model)->erase(id);
    forget(id);
  }
  for (const auto& model : last_add_.new_models)
    engines_.erase(model);
  next_id_ = last_add_.first_free_id;
  last_add_ = {};
}

double vector_store::similarity(float score) const {
  return options_.index.metric == vector_index::metric_kind::l2 ? 1.0 - static_cast<double>(score) / 2.0
                                                                  : static_cast<double>(score);
}

vector_hit vector_store::hit_of(const vector_index::hit& h) const {
  const auto& meta = entries_.at(h.id);
  return vector_hit{h.id, similarity(h.score), meta.metadata, meta.tags};
}

status vector_store::search(const vector_query& query, std::vector<vector_hit>& out) {
  std::vector<std::vector<vector_hit>> all;
  auto s = search_queries({query}, all, false);
  if (s == status::ok)
    out = std::move(all.front());
  return s;
}

status vector_store::search_batch(const std::vector<vector_query>& queries, std::vector<std::vector<vector_hit>>& out) {
  return search_queries(queries, out, true);
}

status vector_store::search_queries(const std::vector<vector_query>& queries,
                                    std::vector<std::vector<vector_hit>>& out, bool batch) {
  purge_expired();
  poll();
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const auto& q = queries[i];
    naming_item(batch, i, [&] {
      if (q.k > options_.max_k)
        throw std::invalid_argument("k " + std::to_string(q.k) + " is more than max_k " +
                                    std::to_string(options_.max_k));
      if (q.vector.model.empty())
        throw std::invalid_argument("a query's vector needs its model id");
      check_values(q.vector.values);
      if (auto* e = find_engine(q.vector.model); e != nullptr && e->config().dimension != q.vector.values.size())
        throw std::invalid_argument("model '" + q.vector.model + "' has vectors of dimension " +
                                    std::to_string(e->config().dimension) + ", the query has " +
                                    std::to_string(q.vector.values.size()));
    });
  }
  if (batch) { // after each query's own checks, which name the query
    std::size_t hits = 0; // saturating: a host may ask for any k
    for (const auto& q : queries)
      hits = q.k > SIZE_MAX - hits ? SIZE_MAX : hits + q.k;
    if (hits > options_.max_batch_hits)
      throw std::invalid_argument("the batch asks for " + std::to_string(hits) +
                                  " hits in all (the sum of its queries' k), more than max_batch_hits " +
                                  std::to_string(options_.max_batch_hits));
  }
  out.assign(queries.size(), {});
  const bool alike = std::all_of(queries.begin(), queries.end(), [&](const vector_query& q) {
    return q.ns == queries.front().ns && q.tags == queries.front().tags && q.k == queries.front().k &&
           q.vector.model == queries.front().vector.model;
  });
  if (alike && queries.size() > 1) {
    const auto& first = queries.front();
    if (auto* e = find_engine(first.vector.model)) {
      std::vector<float> packed;
      packed.reserve(queries.size() * e->config().dimension);
      for (const auto& q : queries)
        packed.insert(packed.end(), q.vector.values.begin(), q.vector.values.end());
      auto found = e->search(packed.data(), queries.size(), first.k, {first.ns, first.tags});
      for (std::size_t i = 0; i < queries.size(); ++i)
        if (!directionless(queries[i].vector.values))
          for (const auto& h : found[i])
            out[i].push_back(hit_of(h));
    }
  } else {
    for (std::size_t i = 0; i < queries.size(); ++i) {
      const auto& q = queries[i];
      if (directionless(q.vector.values)) // it would list k entries in no order, each at score 0
        continue;
      if (auto* e = find_engine(q.vector.model))
        for (const auto& h : e->search(q.vector.values.data(), q.k, {q.ns, q.tags}))
          out[i].push_back(hit_of(h));
    }
  }
  searches_ += queries.size();
  return status::ok;
}

status vector_store::update(const vector_item& item) {
  purge_expired();
  auto it = entries_.find(item.id);
  if (it == entries_.end() || it->second.ns != item.ns)
    return status::not_found;
  check(item, {});
  const auto old_model = it->second.model;
  auto replaced = record_of(item.id, item);
  update_brought_.clear();
  if (old_model == item.vector.model) {
    find_engine(old_model)->update(replaced);
  } else {
    if (find_engine(item.vector.model) == nullptr)
      update_brought_ = item.vector.model;
    engine_for(item.vector.model, item.vector.values.size()).add(replaced);
    find_engine(old_model)->erase(item.id);
  }
  forget(item.id);
  remember(item.id, {item.ns, item.vector.model, item.metadata, item.tags, expiry_of(item)});
  return status::ok;
}

void vector_store::put_back(const vector_entry& entry) {
  if (const auto it = entries_.find(entry.id); it != entries_.end()) {
    const auto model = it->second.model;
    auto* engine = find_engine(model);
    engine->erase(entry.id);
    forget(entry.id);
    // An update to a model new to the store brought its engine, which fixed its dimension: the
    // update undone, no dimension stays fixed by it (as none stays by an add taken back). Not an
    // engine that was there, empty or not: its rows may be in the file still.
    if (model != entry.model && model == update_brought_ && engine->size() == 0)
      engines_.erase(model);
  }
  engine_for(entry.model, entry.vector.size()).add(vector_index::record{entry.id, entry.ns, entry.tags, entry.vector});
  remember(entry.id, {entry.ns, entry.model, entry.metadata, entry.tags, entry.expires_at_ms});
}

status vector_store::erase(std::string_view ns, std::uint64_t id) {
  purge_expired();
  auto it = entries_.find(id);
  if (it == entries_.end() || it->second.ns != ns)
    return status::not_found;
  find_engine(it->second.model)->erase(id);
  forget(id);
  removed(id);
  return status::ok;
}

std::size_t vector_store::invalidate_tag(std::string_view ns, std::string_view tag) {
  purge_expired();
  std::vector<std::uint64_t> doomed;
  for (const auto& [id, meta] : entries_)
    if (meta.ns == ns && std::find(meta.tags.begin(), meta.tags.end(), tag) != meta.tags.end())
      doomed.push_back(id);
  for (auto id : doomed) {
    find_engine(entries_.at(id).model)->erase(id);
    forget(id);
    removed(id);
  }
  invalidated_ += doomed.size();
  return doomed.size();
}

std::size_t vector_store::purge_expired() {
  if (expiries_.empty())
    return 0;
  const auto now = now_();
  std::size_t n = 0;
  while (!expiries_.empty() && expiries_.begin()->first <= now) {
    auto id = expiries_.begin()->second;
    find_engine(entries_.at(id).model)->erase(id);
    forget(id);
    removed(id);
    ++n;
  }
  expired_ += n;
  return n;
}

void vector_store::poll() {
  for (auto& [model, e] : engines_)
    e->poll();
}

void vector_store::removed(std::uint64_t id) {
  if (removed_)
    removed_(id);
}

std::size_t vector_store::restore(const std::vector<vector_entry>& entries, std::uint64_t used_up_to) {
  if (!entries_.empty())
    throw std::logic_error("vector_store::restore: the store is not empty");
  const auto now = now_();
  std::map<std::string, std::vector<vector_index::record>> by_model;
  std::vector<const vector_entry*> live;
  std::unordered_set<std::uint64_t> ids;
  std::map<std::string, std::pair<std::size_t, std::uint64_t>> dimensions; ///< by model, with the entry that set it
  for (const auto& e : entries) {
    if (e.expires_at_ms != 0 && e.expires_at_ms <= now)
      continue;
    // What an add refuses, a row edited or damaged outside the layer may hold: served, a negative
    // id came back as 2^64 - 5 and could not be erased.
    const auto where = "entry " + std::to_string(static_cast<std::int64_t>(e.id)); // as the file holds it
    if (e.id == 0 || e.id > max_entry_id)
      throw std::invalid_argument(where + ": the id is not between 1 and 2^53 - 1");
    if (!ids.insert(e.id).second)
      throw std::invalid_argument(where + ": the id is repeated");
    if (e.ns.empty() || e.model.empty() || e.vector.empty())
      throw std::invalid_argument(where + ": no namespace, no model or an empty vector");
    if (std::any_of(e.tags.begin(), e.tags.end(), [](const std::string& tag) { return tag.empty(); }))
      throw std::invalid_argument(where + ": an empty tag");
    try {
      check_values(e.vector);
    } catch (const std::invalid_argument& bad) {
      throw std::invalid_argument(where + ": " + bad.what());
    }
    if (directionless(e.vector))
      throw std::invalid_argument(where + ": the vector is all zeros, which metric ip cannot compare");
    const auto [dimension, first] = dimensions.emplace(e.model, std::pair{e.vector.size(), e.id}).first->second;
    if (e.vector.size() != dimension) // which of the two is damaged, the file does not say
      throw std::invalid_argument(where + ": a vector of " + std::to_string(e.vector.size()) + " values, where entry " +
                                  std::to_string(first) + " of the same model '" + e.model + "' has " +
                                  std::to_string(dimension) + " (one of the two rows is damaged)");
    by_model[e.model].push_back({e.id, e.ns, e.tags, e.vector});
    live.push_back(&e);
  }
  for (const auto& [model, records] : by_model)
    engine_for(model, records.front().vector.size()).add(records);
  for (const auto* e : live) {
    remember(e->id, {e->ns, e->model, e->metadata, e->tags, e->expires_at_ms});
    next_id_ = std::max(next_id_, e->id + 1);
  }
  next_id_ = std::max(next_id_, used_up_to + 1);
  return live.size();
}

std::optional<vector_entry> vector_store::find(std::uint64_t id) const {
  auto it = entries_.find(id);
  if (it == entries_.end())
    return std::nullopt;
  const auto& meta = it->second;
  auto stored = find_engine(meta.model)->get(id);
  return vector_entry{id, meta.ns, meta.model, std::move(stored->vector), meta.metadata, meta.tags, meta.expires_at_ms};
}

std::size_t vector_store::size() const {
  return entries_.size();
}

store_counters vector_store::counters() const {
  store_counters c;
  c.entries = entries_.size();
  c.bytes = meta_bytes_;
  for (const auto& [model, e] : engines_) {
    auto s = e->stats();
    c.bytes += s.bytes;
    c.tombstones += s.tombstones;
    c.compactions += s.compactions;
  }
  c.searches = searches_;
  c.expired = expired_;
  c.invalidated = invalidated_;
  return c;
}

} // namespace strata::vector_layer
