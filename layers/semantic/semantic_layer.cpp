// The semantic layer plugin: answers keyed by the meaning of their query (strata/semantic.hpp). In
// the exact-key chain it answers a get for a key that is exactly a stored query, and removes by
// query text or tag; puts are refused (entries come through semantic_store, which carries the
// vector), so a deployment lists it with `write: around` and `promote: false`.

#include "index_options.hpp"
#include "file_writes.hpp"
#include "record_file.hpp"
#include "semantic_cache.hpp"

#include <algorithm>
#include <strata/sdk.hpp>
#include <strata/semantic.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>

namespace strata::semantic_layer {

namespace {

std::chrono::milliseconds to_ms(std::chrono::nanoseconds d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d);
}

cache_options read_options(const plugin_config& c) {
  cache_options o;
  o.index = vector_index::index_config_from(c);
  o.threshold = c.get_double("threshold");
  o.candidates = static_cast<std::size_t>(c.get_int("candidates"));
  o.max_entries = static_cast<std::size_t>(c.get_int("max_entries"));
  o.max_bytes = c.get_size("max_bytes");
  o.default_ttl_ms = to_ms(c.get_duration("default_ttl")).count();
  o.check.min_margin = c.get_double("check_margin");
  o.check.numbers = c.get_bool("check_numbers");
  o.check.negations = c.get_bool("check_negations");
  o.check.order = c.get_bool("check_order");
  return o;
}

/// Similarity buckets of the score histogram: -1, then 0.05 steps from 0 to 1.
std::vector<double> score_buckets() {
  std::vector<double> b{-1.0};
  for (int i = 0; i <= 20; ++i)
    b.push_back(i / 20.0); // i * 0.05 exported le="0.6000000000000001", which le="0.6" does not select
  return b;
}

/// The layer's own metrics, recorded as the cache reports what it does.
class semantic_metrics {
public:
  explicit semantic_metrics(plugin_host& host)
    : entries_(host.entries_gauge()),
      bytes_(host.size_bytes_gauge()),
      scores_(host.histogram("strata_semantic_similarity",
                             "Similarity score of the best candidate of each semantic lookup.", {}, score_buckets())) {
    for (auto [why, name] : {std::pair{removal::capacity, "capacity"}, std::pair{removal::expired, "expired"},
                             std::pair{removal::invalidated, "invalidated"}})
      removed_[static_cast<int>(why)] =
        &host.evictions_counter(name);
    for (const char* reason : {"margin", "numbers", "negation", "order"})
      rejected_[reason] = &host.counter("strata_semantic_rejected_hits_total",
                                        "Semantic hits refused by the second-stage check, by reason.",
                                        {{"reason", reason}});
  }

  cache_events events() {
    cache_events e;
    e.removed = [this](removal why, std::size_t n) { removed_[static_cast<int>(why)]->inc(n); };
    e.rejected = [this](const std::string& reason) {
      if (auto it = rejected_.find(reason); it != rejected_.end())
        it->second->inc();
    };
    e.scored = [this](double score) { scores_.observe(score); };
    return e;
  }

  void publish(const semantic_cache& cache) {
    entries_.set(static_cast<double>(cache.size()));
    bytes_.set(static_cast<double>(cache.bytes()));
  }

private:
  instruments::gauge& entries_;
  instruments::gauge& bytes_;
  instruments::histogram& scores_;
  instruments::counter* removed_[3] = {};
  std::map<std::string, instruments::counter*> rejected_;
};

class semantic_cache_layer : public layer, public semantic_operations {
public:
  /// A lookup takes ~0.5 ms of the layer's thread (embedding, search, the second stage): a
  /// pipeline of the Redis front end's max_in_flight (1024) queues ~0.5 s, and an audit saw 1 816
  /// of 2 000 such lookups answered `timeout` with the runtime's 100 ms. As configs/default.yaml.
  static constexpr std::chrono::milliseconds default_deadline{1000};

  /// What the schema cannot say: the index's words and their combination.
  static void check_config(const plugin_config& config) { vector_index::checked_index_config(config); }

  /// What only one kind of index reads: set with another, refused (ABI 1.8).
  static constexpr strata_key_condition key_conditions[] = {
    {"hnsw_m", "index", "hnsw"},     {"ef_search", "index", "hnsw"}, {"ef_construction", "index", "hnsw"},
    {"hnsw_codes", "index", "hnsw"}, {"refine", "index", "hnsw"},    {"refine", "hnsw_codes", "sq8"},
    {"nlist", "index", "ivf"},       {"nprobe", "index", "ivf"},
  };

  explicit semantic_cache_layer(const layer_context& context)
    : host_(context.host), metrics_(host_), cache_(read_options(context.config), events()),
      interval_(to_ms(context.config.get_duration("expiry_interval"))), max_text_(context.config.get_size("max_text")) {
    if (const auto& path = context.config.get_string("sqlite_path"); !path.empty()) {
      file_ = std::make_unique<record_file>(path, context.name);
      try {
        cache_.restore(file_->load(now_ms()), file_->largest_id());
      } catch (const std::invalid_argument& e) {
        throw std::runtime_error("semantic layer: persistence file '" + path + "': " + e.what());
      }
    }
    metrics_.publish(cache_);
    report_health();
  }

  // --- the exact-key chain ---------------------------------------------------------------------

  status get(std::string_view ns, std::string_view key, layer_hit& out) override {
    const auto* r = cache_.exact(ns, key);
    if (r == nullptr)
      return status::not_found;
    out.value = r->answer;
    out.meta.tags = r->tags;
    if (r->expires_at_ms != 0) // a promoted copy expires with the entry (exact() returns live ones)
      out.meta.ttl = std::chrono::milliseconds(std::max<std::int64_t>(1, r->expires_at_ms - now_ms()));
    return status::ok;
  }

  status put(std::string_view, std::string_view, std::string_view, const entry_options&) override {
    return status::rejected; // an entry needs its vector: runtime::semantic_store
  }

  /// Not undone when the file does not take it, unlike an erase by id: this is also how the
  /// runtime drops a copy another write made stale (another node's, through the global layer),
  /// which nobody retries, and a stale answer put back would be served.
  status erase(std::string_view ns, std::string_view key) override {
    writes_.begin();
    const bool found = cache_.erase_query(ns, key);
    if (writes_.failed())
      unwritten("the entry is erased from memory; its row stays in the file until a maintenance deletes it (a "
                "restart before then brings it back)");
    metrics_.publish(cache_);
    return found ? status::ok : status::not_found;
  }

  std::size_t invalidate_tag(std::string_view ns, std::string_view tag) override {
    writes_.begin();
    const auto n = cache_.invalidate_tag(ns, tag); // the file's rows go through the dropped event
    if (writes_.failed())
      unwritten("the tagged entries are removed from memory; their rows stay in the file until a maintenance "
                "deletes them (a restart before then brings them back)");
    metrics_.publish(cache_);
    return n;
  }

  std::chrono::milliseconds maintenance_interval() const override { return interval_; }

  void maintain() override {
    if (file_)
      writes_.retry_removals(file_->path(), [&](std::uint64_t id) { file_->remove(id); });
    cache_.purge_expired();
    metrics_.publish(cache_);
    report_health();
  }

  semantic_operations* semantic() override { return this; }

  // --- semantic operations ---------------------------------------------------------------------

  status lookup(const semantic_lookup_request& request, semantic_match& out) override {
    check_text(request.text, "looked up");
    const auto s = cache_.lookup(request, out);
    metrics_.publish(cache_); // a lookup may drop expired entries
    return s;
  }

  // A get by the exact query text copies the answer into the layers above; so whatever changes
  // or removes the answer stored under a query text drops those copies too.

  status store(const semantic_entry& entry, std::uint64_t& id_out) override {
    check_text(entry.query, "stored");
    writes_.begin();
    const bool replacing = !entry.query.empty() && cache_.exact(entry.ns, entry.query) != nullptr;
    // With a file, the store evicts nothing until its row is written: taken back, it had emptied
    // the layer by an entry, so that a file failing for a while drained it.
    const auto id = cache_.store(entry, !file_);
    drop_copies(entry.ns, entry.query); // it may replace an answer under the same text
    if (id && !save(*id)) {
      // Taken back: an ok would promise what a restart loses, and its id would be given again.
      // The answer it replaced is gone from memory already (not put back: its row may be gone
      // from the file too, or not).
      undoing_ = true;
      cache_.take_back_last_store();
      undoing_ = false;
      unwritten(replacing ? "nothing was stored, and the answer it replaced is dropped (from the file at a "
                            "maintenance, if it is there still)"
                          : "nothing was stored");
    }
    if (file_)
      cache_.enforce_bounds();
    if (id)
      id_out = *id;
    metrics_.publish(cache_);
    return id ? status::ok : status::rejected;
  }

  status update(const semantic_update& update) override {
    std::string query; // the entry's, which a rejected update drops
    if (const auto r = cache_.find(update.id); r && r->ns == update.ns)
      query = r->query;
    const auto before = file_ ? cache_.find(update.id) : std::nullopt;
    writes_.begin();
    const auto done = cache_.update(update);
    if (done != status::not_found)
      drop_copies(update.ns, query);
    // Put back as the file holds it when the entry's own write failed: its save, or its delete (a
    // rejected update removes it). An eviction's that failed is logged only, as ever.
    if ((done == status::ok && !save(update.id)) || (done == status::rejected && writes_.failed())) {
      put_back(*before);
      unwritten("nothing was updated");
    }
    metrics_.publish(cache_);
    return done;
  }

  status erase(std::string_view ns, std::uint64_t id) override {
    std::string query;
    if (const auto r = cache_.find(id); r && r->ns == ns)
      query = r->query;
    const auto held = file_ ? cache_.find(id) : std::nullopt;
    writes_.begin_erase(id);
    const bool found = cache_.erase(ns, id);
    const bool row_stayed = writes_.row_stayed();
    if (found)
      drop_copies(ns, query);
    // Undone when its own row stays (not for an expired entry's, purged on the way: logged only).
    if (found && row_stayed)
      not_removed(held);
    metrics_.publish(cache_);
    return found ? status::ok : status::not_found;
  }

private:
  /// Refuses a text longer than `max_text`: the second stage reads a text looked up, and each
  /// stored one it is compared with, whole (0.5 s for 1 MB), and a query of 16 MB over the Redis
  /// protocol held the layer past its deadline until it was replaced, empty (audit).
  void check_text(const std::string& text, const char* done) const {
    if (text.size() > max_text_)
      throw std::invalid_argument("the query text is " + std::to_string(text.size()) + " bytes, above max_text (" +
                                  std::to_string(max_text_) + "): it is not " + done);
  }

  /// Puts back, as it was, an entry whose change the file did not take.
  void put_back(semantic_record record) {
    writes_.row_kept(record.id); // a rejected update's delete, which failed
    undoing_ = true;
    cache_.put_back(std::move(record));
    undoing_ = false;
  }

  /// The answer to a removal the file did not take: the entry (`held`) is put back, as the file
  /// still holds it; an answer of "erased from memory only" left a retry to find nothing, and a
  /// restart to serve it again (audit).
  [[noreturn]] void not_removed(std::optional<semantic_record> held) {
    if (held)
      put_back(std::move(*held));
    unwritten("nothing was erased");
  }

  /// Drops the copies an exact get of `query` promoted into the layers above. An entry stored by
  /// its vector alone has no text to get it by, and nothing to drop: no round trip to every layer,
  /// which the call's answer would wait for.
  void drop_copies(std::string_view ns, const std::string& query) {
    if (!query.empty())
      host_.invalidate_key(ns, query);
  }

  /// What /v1/health shows for the layer; at start and at each maintenance, not per request (and
  /// at once when a write to the file fails).
  void report_health() {
    const auto detail = holding_detail(cache_.size(), cache_.bytes());
    if (const auto note = file_ ? writes_.health_note(file_->path()) : std::string(); !note.empty())
      return host_.set_health(health_level::warning, detail + "; " + note); // until a write succeeds again
    host_.set_health(health_level::healthy, detail);
  }

  static std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
  }

  /// The metrics' events, and every entry that leaves deleted from the file (when there is one).
  cache_events events() {
    auto e = metrics_.events();
    e.dropped = [this](std::uint64_t id) {
      if (file_ && !undoing_) // what a store takes back never reached the file
        writes_.run_removal(id, file_->path(), [&] { file_->remove(id); });
    };
    return e;
  }

  /// Writes the entry `id` through to the file, when there is one and the entry is still held
  /// (a store may evict what it just stored when it alone exceeds the bounds). False when that
  /// failed.
  bool save(std::uint64_t id) {
    if (!file_)
      return true;
    if (const auto r = cache_.find(id)) {
      if (!writes_.run(file_->path(), [&] { file_->save({*r}); }))
        return false;
      writes_.row_kept(id);
    }
    return true;
  }

  /// The answer to an operation whose change could not be written to the file: unavailable (the
  /// layer is fine; its file is not), saying what became of the change.
  [[noreturn]] void unwritten(const std::string& what_became) {
    metrics_.publish(cache_);
    writes_.refuse(file_->path(), what_became);
  }

  plugin_host host_;
  semantic_metrics metrics_;
  semantic_cache cache_;
  std::chrono::milliseconds interval_;
  std::uint64_t max_text_; ///< the longest query text stored or looked up
  std::unique_ptr<record_file> file_; ///< null: the entries live in memory only
  vector_index::file_writes writes_{host_, "semantic layer", [this] { report_health(); }};
  bool undoing_ = false;              ///< taking back a change that never reached the file
};

const strata_config_key schema[] = {
  {"threshold", STRATA_VALUE_DOUBLE, "0.80", "minimum similarity of a hit when the lookup gives none", 1, -1, 1, 1},
  {"index", STRATA_VALUE_STRING, "ivf", "FAISS index per model: flat, hnsw or ivf", 0, 0, 0, 0},
  {"metric", STRATA_VALUE_STRING, "ip", "ip (inner product) or l2; scores are similarities either way", 0, 0, 0, 0},
  {"hnsw_m", STRATA_VALUE_INT, "32", "HNSW: links per node", 1, 4, 1, 128},
  {"ef_search", STRATA_VALUE_INT, "64", "HNSW: candidate list size of a search", 1, 1, 1, 4096},
  {"ef_construction", STRATA_VALUE_INT, "40", "HNSW: candidate list size while building", 1, 1, 1, 4096},
  {"hnsw_codes", STRATA_VALUE_STRING, "sq8",
   "HNSW: sq8 (8-bit codes, trained at 4096 entries, exact until then) or float", 0, 0, 0, 0},
  {"refine", STRATA_VALUE_INT, "2", "HNSW sq8: candidates re-ranked with the exact vectors, as a multiple of k", 1, 1, 1,
   16},
  {"nlist", STRATA_VALUE_INT, "0",
   "IVF: inverted lists (trained at max(4096, nlist) entries); 0 chooses 4*sqrt(entries) at each training", 1, 0, 1,
   1 << 20},
  {"nprobe", STRATA_VALUE_INT, "32", "IVF: lists probed per lookup", 1, 1, 1, 1 << 20},
  {"candidates", STRATA_VALUE_INT, "8", "neighbours a lookup examines (best, runner-up, expired ones)", 1, 1, 1, 1024},
  {"max_entries", STRATA_VALUE_INT, "100000", "entries kept; the least recently used go first", 1, 1, 0, 0},
  {"max_bytes", STRATA_VALUE_SIZE, "256MiB", "bytes charged (vectors, texts) before eviction", 1, 1, 0, 0},
  {"max_text", STRATA_VALUE_SIZE, "256KiB",
   "longest query text stored or looked up; the second stage reads texts whole (~0.5 ms a KiB)", 1, 1, 0, 0},
  {"default_ttl", STRATA_VALUE_DURATION, "0", "TTL of an entry stored without one; 0 means no expiry", 1, 0, 0, 0},
  {"expiry_interval", STRATA_VALUE_DURATION, "1s", "how often expired entries are purged", 1, 1, 0, 0},
  {"sqlite_path", STRATA_VALUE_FILE, "",
   "SQLite file the entries are written through to and reloaded from at start (its folder is created); "
   "empty: memory only", 0, 0, 0, 0},
  {"check_margin", STRATA_VALUE_DOUBLE, "0.03",
   "second stage: the hit must beat the best entry with another answer by this much; 0: off", 1, 0, 1, 1},
  {"check_numbers", STRATA_VALUE_BOOL, "true", "second stage: the numbers of both queries must match", 0, 0, 0, 0},
  {"check_negations", STRATA_VALUE_BOOL, "true", "second stage: both queries negated, or neither", 0, 0, 0, 0},
  {"check_order", STRATA_VALUE_BOOL, "true",
   "second stage: not the same words in another order, nor a word with + or # on one side only (C / C++), nor other "
   "operators (3 + 5 / 3 - 5, a == b / a != b)", 0, 0, 0,
   0},
};

} // namespace

} // namespace strata::semantic_layer

STRATA_LAYER_PLUGIN("semantic", "1.0.0", strata::semantic_layer::semantic_cache_layer, strata::semantic_layer::schema, 0)
