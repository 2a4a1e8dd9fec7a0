// The vector layer plugin: a vector store with stable ids and nearest-neighbour search
// (strata/vectors.hpp) on the FAISS engine of layers/vector_index. It holds no exact-key entries:
// in the exact-key chain a get misses, a put is refused (a deployment lists it with
// `write: around` and `promote: false`), and a tag invalidation removes the tagged vectors.

#include "entry_file.hpp"
#include "file_writes.hpp"
#include "index_options.hpp"
#include "vector_store.hpp"

#include <strata/sdk.hpp>
#include <strata/vectors.hpp>

#include <chrono>
#include <memory>
#include <stdexcept>

namespace strata::vector_layer {

namespace {

store_options read_options(const plugin_config& c) {
  store_options o;
  o.index = vector_index::index_config_from(c);
  o.max_entries = static_cast<std::size_t>(c.get_int("max_entries"));
  o.max_k = static_cast<std::size_t>(c.get_int("max_k"));
  o.max_batch_hits = static_cast<std::size_t>(c.get_int("max_batch_hits"));
  return o;
}

/// The layer's own metrics; counters advance by what the store counted since the last publish.
class vector_metrics {
public:
  explicit vector_metrics(plugin_host& host)
    : entries_(host.entries_gauge()),
      bytes_(host.size_bytes_gauge()),
      tombstones_(host.gauge("strata_vector_tombstones",
                             "Deleted or replaced vectors still in a vector layer's HNSW index, until compaction.")),
      searches_{host.counter("strata_vector_searches_total",
                             "Nearest-neighbour queries a vector layer answered (each query of a batch counts).")},
      compactions_{host.counter("strata_vector_compactions_total",
                                "Background rebuilds of a vector layer's HNSW index that dropped its tombstones.")},
      expired_{host.evictions_counter("expired")},
      invalidated_{host.evictions_counter("invalidated")} {
  }

  void publish(const vector_store& store) {
    const auto c = store.counters();
    entries_.set(static_cast<double>(c.entries));
    bytes_.set(static_cast<double>(c.bytes));
    tombstones_.set(static_cast<double>(c.tombstones));
    searches_.follow(c.searches);
    compactions_.follow(c.compactions);
    expired_.follow(c.expired);
    invalidated_.follow(c.invalidated);
  }

private:
  instruments::gauge& entries_;
  instruments::gauge& bytes_;
  instruments::gauge& tombstones_;
  instruments::counter_total searches_;
  instruments::counter_total compactions_;
  instruments::counter_total expired_;
  instruments::counter_total invalidated_;
};

class vector_layer : public layer, public vector_operations {
public:
  /// A batch of a thousand vectors takes seconds to add (README.md, "Deadlines"): the runtime's
  /// 100 ms answered it `timeout`.
  static constexpr std::chrono::milliseconds default_deadline{5000};

  /// What the schema cannot say: the index's words and their combination.
  static void check_config(const plugin_config& config) { vector_index::checked_index_config(config); }

  /// What only one kind of index reads: set with another, refused (ABI 1.8). (train_min does
  /// nothing with HNSW on `hnsw_codes: float` either, but "ivf, or hnsw with sq8" is not what
  /// conditions say: alternatives of each key, all keys holding.)
  static constexpr strata_key_condition key_conditions[] = {
    {"hnsw_m", "index", "hnsw"},        {"ef_search", "index", "hnsw"}, {"ef_construction", "index", "hnsw"},
    {"hnsw_codes", "index", "hnsw"},    {"refine", "index", "hnsw"},    {"refine", "hnsw_codes", "sq8"},
    {"compact_ratio", "index", "hnsw"}, {"nlist", "index", "ivf"},      {"nprobe", "index", "ivf"},
    {"train_min", "index", "ivf"},      {"train_min", "index", "hnsw"},
  };

  explicit vector_layer(const layer_context& context)
    : host_(context.host), metrics_(host_), store_(read_options(context.config)),
      max_entries_(static_cast<std::size_t>(context.config.get_int("max_entries"))),
      interval_(std::chrono::duration_cast<std::chrono::milliseconds>(context.config.get_duration("maintenance_interval"))) {
    if (const auto& path = context.config.get_string("sqlite_path"); !path.empty()) {
      file_ = std::make_unique<entry_file>(path, context.name);
      try {
        store_.restore(file_->load(now_ms()), file_->largest_id());
      } catch (const std::invalid_argument& e) {
        throw std::runtime_error("vector layer: persistence file '" + path + "': " + e.what());
      }
      store_.on_removed(
        [this](std::uint64_t id) { writes_.run_removal(id, file_->path(), [&] { file_->remove(id); }); });
      if (store_.size() > max_entries_) // a store evicts nothing: all are kept, and said so
        host_.log(log_level::warn, "vector layer: persistence file '" + path + "' holds " +
                                     std::to_string(store_.size()) + " entries, above max_entries " +
                                     std::to_string(max_entries_) + ": all are served, adds are rejected until fewer");
    }
    metrics_.publish(store_);
    report_health();
  }

  // --- the exact-key chain ---------------------------------------------------------------------

  status get(std::string_view, std::string_view, layer_hit&) override { return status::not_found; }

  status put(std::string_view, std::string_view, std::string_view, const entry_options&) override {
    return status::rejected; // vectors come through runtime::vector_add
  }

  status erase(std::string_view, std::string_view) override { return status::not_found; }

  std::size_t invalidate_tag(std::string_view ns, std::string_view tag) override {
    writes_.begin();
    const auto removed = store_.invalidate_tag(ns, tag); // the file's rows go through on_removed
    if (writes_.failed())
      unwritten("the tagged entries are removed from memory; their rows stay in the file until a maintenance "
                "deletes them (a restart before then brings them back)");
    return published(removed);
  }

  std::chrono::milliseconds maintenance_interval() const override { return interval_; }

  /// Expires entries, swaps in finished background builds (IVF training, HNSW compaction).
  void maintain() override {
    if (file_)
      writes_.retry_removals(file_->path(), [&](std::uint64_t id) { file_->remove(id); });
    store_.purge_expired();
    store_.poll();
    metrics_.publish(store_);
    report_health();
  }

  vector_operations* vectors() override { return this; }

  // --- vector operations -------------------------------------------------------------------------

  status add(const vector_item& item, std::uint64_t& id_out) override {
    writes_.begin();
    const auto s = store_.add(item, id_out);
    if (s == status::ok)
      persist_added({id_out});
    return published(said_full(s, 1));
  }

  status add_batch(const std::vector<vector_item>& items, std::vector<std::uint64_t>& ids_out) override {
    writes_.begin();
    const auto s = store_.add_batch(items, ids_out);
    if (s == status::ok)
      persist_added(ids_out);
    return published(said_full(s, items.size()));
  }

  status search(const vector_query& query, std::vector<vector_hit>& out) override {
    return published(store_.search(query, out));
  }

  status search_batch(const std::vector<vector_query>& queries, std::vector<std::vector<vector_hit>>& out) override {
    return published(store_.search_batch(queries, out));
  }

  // An update or an erase the file does not take is undone, the entry put back as the file holds
  // it: done in memory only, a retried erase answered not found, and a restart served the entry
  // again (as an audit saw the semantic layer do).

  status update(const vector_item& item) override {
    const auto before = file_ ? store_.find(item.id) : std::nullopt;
    writes_.begin();
    const auto s = store_.update(item);
    if (s == status::ok && !save({item.id})) {
      store_.put_back(*before);
      unwritten("nothing was updated");
    }
    return published(s);
  }

  status erase(std::string_view ns, std::uint64_t id) override {
    const auto held = file_ ? store_.find(id) : std::nullopt;
    writes_.begin_erase(id);
    const auto s = store_.erase(ns, id); // the file's row goes through on_removed
    // Undone when its own row stays (not for an expired entry's, purged first: logged only).
    if (writes_.row_stayed() && s == status::ok) {
      store_.put_back(*held);
      unwritten("nothing was erased");
    }
    return published(s);
  }

private:
  /// What /v1/health shows for the layer; at start and at each maintenance, not per request (and
  /// at once when a write to the file fails, or the entries cross the bound).
  void report_health() {
    const auto c = store_.counters();
    reported_over_bound_ = c.entries > max_entries_;
    const auto detail = holding_detail(c.entries, c.bytes);
    if (const auto note = file_ ? writes_.health_note(file_->path()) : std::string(); !note.empty())
      return host_.set_health(health_level::warning, detail + "; " + note); // until a write succeeds again
    if (c.entries > max_entries_) // loaded from a file written under a larger bound
      return host_.set_health(health_level::warning, detail + ", above max_entries " + std::to_string(max_entries_) +
                                                       ": adds are rejected");
    host_.set_health(health_level::healthy, detail);
  }

  static std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
  }

  /// Writes the entries `ids` through to the file, when there is one (in one transaction). False
  /// when that failed.
  bool save(const std::vector<std::uint64_t>& ids) {
    if (!file_)
      return true;
    std::vector<vector_entry> entries;
    for (auto id : ids)
      if (auto e = store_.find(id))
        entries.push_back(std::move(*e));
    if (!writes_.run(file_->path(), [&] { file_->save(entries); }))
      return false;
    for (const auto& e : entries) // an id given again (a host's own), whose old row's delete failed
      writes_.row_kept(e.id);
    return true;
  }

  /// Writes what an add put in memory through to the file; when that fails, takes it out again
  /// and says so: an `ok` would promise what a restart loses, and the ids would be given again.
  void persist_added(const std::vector<std::uint64_t>& ids) {
    if (save(ids))
      return;
    store_.take_back_last_add();
    unwritten("nothing was added");
  }

  /// The answer to an operation whose change could not be written to the file: unavailable (the
  /// layer is fine; its file is not), saying what became of the change.
  [[noreturn]] void unwritten(const std::string& what_became) {
    metrics_.publish(store_);
    writes_.refuse(file_->path(), what_became);
  }

  /// An add the store refused for room (its only `rejected`) says so, rather than the generic
  /// "the layers declined the write".
  status said_full(status s, std::size_t adding) {
    if (s != status::rejected)
      return s;
    metrics_.publish(store_); // the add purged what had expired
    throw layer_declined("the layer holds " + std::to_string(store_.size()) + " entries, and max_entries is " +
                         std::to_string(max_entries_) + ": " + std::to_string(adding) +
                         (adding == 1 ? " more does" : " more do") + " not fit (erase some, or raise max_entries)");
  }

  /// Publishes the metrics after an operation; and the health, when the entries went above or
  /// below the bound since it was reported (the warning "adds are rejected" stayed until the next
  /// maintenance, an hour with `maintenance_interval: 1h`, while adds went through).
  template <typename T>
  T published(T result) {
    metrics_.publish(store_);
    if ((store_.size() > max_entries_) != reported_over_bound_)
      report_health();
    return result;
  }

  plugin_host host_;
  vector_metrics metrics_;
  vector_store store_;
  std::size_t max_entries_;
  bool reported_over_bound_ = false; ///< the health last reported says "above max_entries"
  std::chrono::milliseconds interval_;
  std::unique_ptr<entry_file> file_; ///< null: the entries live in memory only
  vector_index::file_writes writes_{host_, "vector layer", [this] { report_health(); }};
};

const strata_config_key schema[] = {
  {"index", STRATA_VALUE_STRING, "hnsw", "FAISS index per model: flat, hnsw or ivf", 0, 0, 0, 0},
  {"metric", STRATA_VALUE_STRING, "ip", "ip (inner product) or l2; scores are similarities either way", 0, 0, 0, 0},
  {"hnsw_m", STRATA_VALUE_INT, "32", "HNSW: links per node", 1, 4, 1, 128},
  {"ef_search", STRATA_VALUE_INT, "128", "HNSW: candidate list size of a search", 1, 1, 1, 4096},
  {"ef_construction", STRATA_VALUE_INT, "40", "HNSW: candidate list size while building", 1, 1, 1, 4096},
  {"hnsw_codes", STRATA_VALUE_STRING, "sq8",
   "HNSW: sq8 (8-bit codes, trained at train_min entries, exact until then) or float", 0, 0, 0, 0},
  {"refine", STRATA_VALUE_INT, "2", "HNSW sq8: candidates re-ranked with the exact vectors, as a multiple of k", 1, 1, 1,
   16},
  {"compact_ratio", STRATA_VALUE_DOUBLE, "0.2",
   "HNSW: rebuild in the background when deleted vectors reach this share of the index (and 256 at least)", 1,
   0.01, 1, 1},
  {"nlist", STRATA_VALUE_INT, "0", "IVF: inverted lists; 0 chooses 4*sqrt(entries) at each training", 1, 0, 1,
   1 << 20},
  {"nprobe", STRATA_VALUE_INT, "32", "IVF: lists probed per search", 1, 1, 1, 1 << 20},
  {"train_min", STRATA_VALUE_INT, "4096", "IVF and HNSW sq8: entries before the first training (searches are exact until then)",
   1, 16, 0, 0},
  {"max_entries", STRATA_VALUE_INT, "1000000", "entries kept; an add beyond is rejected", 1, 1, 0, 0},
  {"max_k", STRATA_VALUE_INT, "1000", "largest k a search may ask for", 1, 1, 1, 100000},
  {"max_batch_hits", STRATA_VALUE_INT, "10000",
   "most hits a search batch may ask for in all (the sum of its queries' k); more is refused", 1, 1, 0, 0},
  {"maintenance_interval", STRATA_VALUE_DURATION, "1s",
   "how often expired entries are purged and finished background index builds swapped in", 1, 1, 0, 0},
  {"sqlite_path", STRATA_VALUE_FILE, "",
   "SQLite file the entries are written through to and reloaded from at start (its folder is created); "
   "empty: memory only", 0, 0, 0, 0},
};

} // namespace

} // namespace strata::vector_layer

STRATA_LAYER_PLUGIN("vector", "1.0.0", strata::vector_layer::vector_layer, strata::vector_layer::schema, 0)
