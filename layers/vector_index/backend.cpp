#include "backend.hpp"

#include "distances.hpp"
#include "huge_pages.hpp"
#include "sq8_storage.hpp"

#include <faiss/IndexFlat.h>
#include <faiss/impl/DistanceComputer.h>
#include <faiss/IndexHNSW.h>
#include <faiss/IndexIVFFlat.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/invlists/DirectMap.h>
#include <faiss/utils/Heap.h>
#include <faiss/utils/distances.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <numeric>
#include <queue>
#include <vector>

namespace strata::vector_index {

namespace {

using idx_t = faiss::Index::idx_t;

faiss::MetricType to_faiss(metric_kind m) {
  return m == metric_kind::l2 ? faiss::METRIC_L2 : faiss::METRIC_INNER_PRODUCT;
}

/// FAISS's distance computer for a flat storage, with the SIMD distances of distances.hpp.
class simd_distance_computer final : public faiss::FlatCodesDistanceComputer {
public:
  explicit simd_distance_computer(const faiss::IndexFlat& storage)
    : FlatCodesDistanceComputer(storage.codes.data(), storage.code_size),
      dimension_(static_cast<std::size_t>(storage.d)),
      inner_product_(storage.metric_type == faiss::METRIC_INNER_PRODUCT) {
  }
  void set_query(const float* x) override { query_ = x; }
  float distance_to_code(const std::uint8_t* code) override {
    return distance(query_, reinterpret_cast<const float*>(code));
  }
  float symmetric_dis(idx_t i, idx_t j) override {
    return distance(reinterpret_cast<const float*>(codes + i * code_size),
                    reinterpret_cast<const float*>(codes + j * code_size));
  }

private:
  float distance(const float* a, const float* b) const {
    return inner_product_ ? inner_product(a, b, dimension_) : l2_squared(a, b, dimension_);
  }
  std::size_t dimension_;
  bool inner_product_;
  const float* query_ = nullptr;
};

/// The HNSW graph's vector storage: an IndexFlat whose distance computer uses SIMD.
struct simd_flat final : faiss::IndexFlat {
  simd_flat(idx_t d, faiss::MetricType metric) : faiss::IndexFlat(d, metric) {}
  faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override {
    return new simd_distance_computer(*this);
  }
};

/// IVF's coarse quantizer. FAISS's flat search scores fewer than
/// `faiss::distance_compute_blas_threshold` (20) queries with its scalar distances, which is every
/// IVF add or search of one vector: 1024 centroids of 384 floats took ~300 us. Those are scored
/// here with the SIMD ones; larger batches keep FAISS's BLAS path.
struct simd_quantizer final : faiss::IndexFlat {
  simd_quantizer(idx_t d, faiss::MetricType metric) : faiss::IndexFlat(d, metric) {}

  void search(idx_t n, const float* x, idx_t k, float* distances, idx_t* labels,
              const faiss::SearchParameters* params = nullptr) const override {
    if (n >= faiss::distance_compute_blas_threshold || params != nullptr)
      return faiss::IndexFlat::search(n, x, k, distances, labels, params);
    const bool ip = metric_type == faiss::METRIC_INNER_PRODUCT;
    const auto dim = static_cast<std::size_t>(d);
    const auto* centroids = get_xb();
    std::vector<float> scores(static_cast<std::size_t>(ntotal));
    std::vector<idx_t> order(static_cast<std::size_t>(ntotal));
    const auto kept = std::min(k, ntotal);
    for (idx_t q = 0; q < n; ++q) {
      const float* query = x + q * d;
      for (idx_t c = 0; c < ntotal; ++c)
        scores[c] = ip ? inner_product(query, centroids + c * d, dim) : l2_squared(query, centroids + c * d, dim);
      std::iota(order.begin(), order.end(), 0);
      std::partial_sort(order.begin(), order.begin() + kept, order.end(), [&](idx_t a, idx_t b) {
        return ip ? scores[a] > scores[b] : scores[a] < scores[b];
      });
      for (idx_t i = 0; i < k; ++i) {
        labels[q * k + i] = i < kept ? order[i] : -1;
        distances[q * k + i] = i < kept ? scores[order[i]]
                                        : (ip ? -std::numeric_limits<float>::max() : std::numeric_limits<float>::max());
      }
    }
  }
};

/// Scans an IVF list with the SIMD distances (FAISS's own scanner uses its scalar ones).
class simd_list_scanner final : public faiss::InvertedListScanner {
public:
  simd_list_scanner(std::size_t dimension, bool inner_product, bool store_pairs, const faiss::IDSelector* sel)
    : faiss::InvertedListScanner(store_pairs, sel), dimension_(dimension) {
    keep_max = inner_product;
    code_size = dimension * sizeof(float);
  }

  void set_query(const float* query) override { query_ = query; }
  void set_list(idx_t list, float) override { list_no = list; }

  float distance_to_code(const std::uint8_t* code) const override {
    const auto* v = reinterpret_cast<const float*>(code);
    return keep_max ? inner_product(query_, v, dimension_) : l2_squared(query_, v, dimension_);
  }

  std::size_t scan_codes(std::size_t n, const std::uint8_t* codes, const idx_t* ids, float* distances, idx_t* labels,
                         std::size_t k) const override {
    std::size_t updates = 0;
    for (std::size_t j = 0; j < n; ++j, codes += code_size) {
      const idx_t id = store_pairs ? static_cast<idx_t>(faiss::lo_build(list_no, j)) : ids[j];
      if (sel != nullptr && !sel->is_member(id))
        continue;
      const float score = distance_to_code(codes);
      if (keep_max ? score > distances[0] : score < distances[0]) {
        if (keep_max)
          faiss::minheap_replace_top(k, distances, labels, score, id);
        else
          faiss::maxheap_replace_top(k, distances, labels, score, id);
        ++updates;
      }
    }
    return updates;
  }

private:
  std::size_t dimension_;
  const float* query_ = nullptr;
};

/// IndexIVFFlat with the SIMD list scanner.
struct simd_ivf_flat final : faiss::IndexIVFFlat {
  using faiss::IndexIVFFlat::IndexIVFFlat;
  faiss::InvertedListScanner* get_InvertedListScanner(bool store_pairs, const faiss::IDSelector* sel) const override {
    return new simd_list_scanner(static_cast<std::size_t>(d), metric_type == faiss::METRIC_INNER_PRODUCT, store_pairs, sel);
  }
};

/// FAISS asks about positions; positions map to slots (-1: removed or tombstone).
struct position_selector : faiss::IDSelector {
  position_selector(const std::vector<std::int64_t>& to_slot, const slot_filter& f)
    : pos_to_slot(to_slot), filter(f) {
  }
  bool is_member(idx_t pos) const override {
    auto slot = pos_to_slot[static_cast<std::size_t>(pos)];
    return slot >= 0 && filter.accepts(static_cast<slot_t>(slot));
  }
  const std::vector<std::int64_t>& pos_to_slot;
  const slot_filter& filter;
};

/// FAISS labels are slots already (IVF stores them).
struct label_selector : faiss::IDSelector {
  explicit label_selector(const slot_filter& f) : filter(f) {
  }
  bool is_member(idx_t label) const override {
    return filter.accepts(static_cast<slot_t>(label));
  }
  const slot_filter& filter;
};

/// Shared by the flat and HNSW backends: FAISS numbers vectors by position.
class positional {
protected:
  void remember(std::size_t n, const slot_t* slots) {
    for (std::size_t i = 0; i < n; ++i) {
      if (slots[i] >= slot_to_pos_.size())
        slot_to_pos_.resize(std::max<std::size_t>(slots[i] + 1, slot_to_pos_.size() * 2), -1);
      slot_to_pos_[slots[i]] = static_cast<std::int64_t>(pos_to_slot_.size());
      pos_to_slot_.push_back(slots[i]);
    }
  }

  std::int64_t position_of(slot_t slot) const {
    return slot < slot_to_pos_.size() ? slot_to_pos_[slot] : -1;
  }

  void positions_to_slots(std::size_t count, std::int64_t* labels) const {
    for (std::size_t i = 0; i < count; ++i)
      if (labels[i] >= 0)
        labels[i] = pos_to_slot_[static_cast<std::size_t>(labels[i])];
  }

  std::vector<std::int64_t> pos_to_slot_;
  std::vector<std::int64_t> slot_to_pos_;
};

void fill_empty(std::size_t count, float* distances, std::int64_t* slots) {
  std::fill(distances, distances + count, 0.0f);
  std::fill(slots, slots + count, -1);
}

class flat_backend final : public backend, positional {
public:
  explicit flat_backend(const index_config& c) : index_(static_cast<idx_t>(c.dimension), to_faiss(c.metric)) {
  }

  void add(std::size_t n, const float* x, const slot_t* slots) override {
    index_.add(static_cast<idx_t>(n), x);
    remember(n, slots);
  }

  // FAISS's own remove_ids shifts every later vector; moving the last one into the hole is O(d).
  bool remove(slot_t slot) override {
    auto pos = position_of(slot);
    if (pos < 0)
      return true;
    auto last = static_cast<std::int64_t>(pos_to_slot_.size()) - 1;
    auto code = index_.code_size;
    if (pos != last) {
      std::memcpy(index_.codes.data() + pos * code, index_.codes.data() + last * code, code);
      pos_to_slot_[pos] = pos_to_slot_[last];
      slot_to_pos_[pos_to_slot_[pos]] = pos;
    }
    index_.codes.resize(last * code);
    index_.ntotal = last;
    pos_to_slot_.pop_back();
    slot_to_pos_[slot] = -1;
    return true;
  }

  // An exact scan with the SIMD distances (FAISS's own flat search uses its scalar ones).
  void search(std::size_t nq, const float* q, std::size_t k, const slot_filter& filter, std::size_t,
              float* distances, std::int64_t* slots) const override {
    fill_empty(nq * k, distances, slots);
    const auto d = static_cast<std::size_t>(index_.d);
    const bool ip = index_.metric_type == faiss::METRIC_INNER_PRODUCT;
    const auto* base = reinterpret_cast<const float*>(index_.codes.data());
    // Orders so that the worst of the best k is on top (the smallest similarity for IP, the greatest
    // distance for L2); ranks_before(a, b) is true when a is closer than b.
    auto ranks_before = [ip](const std::pair<float, std::int64_t>& a, const std::pair<float, std::int64_t>& b) {
      return ip ? a.first > b.first : a.first < b.first;
    };
    for (std::size_t i = 0; i < nq; ++i) {
      const float* query = q + i * d;
      std::priority_queue<std::pair<float, std::int64_t>, std::vector<std::pair<float, std::int64_t>>, decltype(ranks_before)>
        best{ranks_before};
      for (std::size_t pos = 0; pos < pos_to_slot_.size(); ++pos) {
        if (!filter.accepts(static_cast<slot_t>(pos_to_slot_[pos])))
          continue;
        const float* v = base + pos * d;
        float score = ip ? inner_product(query, v, d) : l2_squared(query, v, d);
        if (best.size() < k)
          best.emplace(score, pos_to_slot_[pos]);
        else if (ranks_before({score, 0}, best.top())) { // closer than the worst kept
          best.pop();
          best.emplace(score, pos_to_slot_[pos]);
        }
      }
      for (auto j = best.size(); j-- > 0; best.pop()) {
        distances[i * k + j] = best.top().first;
        slots[i * k + j] = best.top().second;
      }
    }
  }

  std::size_t stored() const override {
    return static_cast<std::size_t>(index_.ntotal);
  }
  std::size_t tombstones() const override {
    return 0;
  }
  std::size_t bytes() const override {
    return index_.codes.capacity() + (pos_to_slot_.capacity() + slot_to_pos_.capacity()) * 8;
  }

private:
  faiss::IndexFlat index_;
};

class hnsw_backend final : public backend, positional {
public:
  /// On 8-bit codes, the quantizer's ranges are trained on the `n_train` vectors of `train`.
  hnsw_backend(const index_config& c, const float* train, std::size_t n_train)
    : index_(storage_for(c, train, n_train), c.hnsw_m) {
    index_.own_fields = true; // the index deletes its storage
    index_.hnsw.efConstruction = c.ef_construction;
  }

  void add(std::size_t n, const float* x, const slot_t* slots) override {
    index_.add(static_cast<idx_t>(n), x);
    remember(n, slots);
    // The arrays a search reads moved to a bigger allocation: ask for huge pages again.
    if (codes().data() != advised_codes_ || index_.hnsw.neighbors.data() != advised_neighbors_) {
      advised_codes_ = codes().data();
      advised_neighbors_ = index_.hnsw.neighbors.data();
      advise_huge_pages(codes().data(), codes().capacity());
      advise_huge_pages(index_.hnsw.neighbors.data(), index_.hnsw.neighbors.capacity() * sizeof(faiss::HNSW::storage_idx_t));
    }
  }

  void settle() override {
    collapse_huge_pages(codes().data(), codes().size());
    collapse_huge_pages(index_.hnsw.neighbors.data(), index_.hnsw.neighbors.size() * sizeof(faiss::HNSW::storage_idx_t));
  }

  // FAISS 1.7.3 cannot remove from HNSW: the position stays in the graph (it still routes
  // searches) and maps to no slot.
  bool remove(slot_t slot) override {
    auto pos = position_of(slot);
    if (pos < 0)
      return false;
    pos_to_slot_[pos] = -1;
    slot_to_pos_[slot] = -1;
    ++tombstones_;
    return false;
  }

  void search(std::size_t nq, const float* q, std::size_t k, const slot_filter& filter, std::size_t effort,
              float* distances, std::int64_t* slots) const override {
    if (index_.ntotal == 0)
      return fill_empty(nq * k, distances, slots);
    position_selector sel{pos_to_slot_, filter};
    faiss::SearchParametersHNSW params;
    params.sel = &sel;
    params.efSearch = static_cast<int>(std::max(k, effort));
    // FAISS 1.7.3 ignores SearchParametersHNSW::efSearch and reads the index's own.
    index_.hnsw.efSearch = params.efSearch;
    index_.search(static_cast<idx_t>(nq), q, static_cast<idx_t>(k), distances, slots, &params);
    positions_to_slots(nq * k, slots);
  }

  std::size_t stored() const override {
    return static_cast<std::size_t>(index_.ntotal);
  }
  std::size_t tombstones() const override {
    return tombstones_;
  }
  std::size_t bytes() const override {
    const auto& h = index_.hnsw;
    return codes().capacity() + h.neighbors.capacity() * sizeof(faiss::HNSW::storage_idx_t)
           + h.offsets.capacity() * sizeof(std::size_t) + h.levels.capacity() * sizeof(int)
           + (pos_to_slot_.capacity() + slot_to_pos_.capacity()) * 8;
  }

private:
  static faiss::IndexFlatCodes* storage_for(const index_config& c, const float* train, std::size_t n_train) {
    auto metric = to_faiss(c.metric);
    if (c.hnsw_codes == vector_codes::f32)
      return new simd_flat(static_cast<idx_t>(c.dimension), metric);
    auto storage = std::make_unique<sq8_storage>(static_cast<idx_t>(c.dimension), metric, best_sq8_kernel(metric));
    storage->train(static_cast<idx_t>(n_train), train);
    return storage.release();
  }

  /// The storage's codes: floats or 8-bit codes, both IndexFlatCodes.
  const std::vector<std::uint8_t>& codes() const {
    return static_cast<const faiss::IndexFlatCodes*>(index_.storage)->codes;
  }

  mutable faiss::IndexHNSW index_; // efSearch is set per search (see search)
  const void* advised_codes_ = nullptr;
  const void* advised_neighbors_ = nullptr;
  std::size_t tombstones_ = 0;
};

class ivf_backend final : public backend {
public:
  ivf_backend(const index_config& c, const float* train, std::size_t n_train)
    : dimension_(c.dimension),
      nlist_(c.nlist != 0 ? c.nlist : auto_nlist(n_train)),
      quantizer_(static_cast<idx_t>(c.dimension), to_faiss(c.metric)),
      index_(&quantizer_, c.dimension, nlist_, to_faiss(c.metric)) {
    index_.cp.niter = 10;
    index_.verbose = false;
    index_.train(static_cast<idx_t>(n_train), train);
    // A hash table from label to list position makes remove_ids O(1) instead of a scan of every list.
    index_.set_direct_map_type(faiss::DirectMap::Hashtable);
  }

  void add(std::size_t n, const float* x, const slot_t* slots) override {
    std::vector<idx_t> labels(slots, slots + n);
    index_.add_with_ids(static_cast<idx_t>(n), x, labels.data());
  }

  bool remove(slot_t slot) override {
    idx_t label = slot;
    faiss::IDSelectorArray one{1, &label};
    index_.remove_ids(one);
    return true;
  }

  void search(std::size_t nq, const float* q, std::size_t k, const slot_filter& filter, std::size_t effort,
              float* distances, std::int64_t* slots) const override {
    if (index_.ntotal == 0)
      return fill_empty(nq * k, distances, slots);
    label_selector sel{filter};
    faiss::SearchParametersIVF params;
    params.sel = &sel;
    params.nprobe = std::max<std::size_t>(1, std::min(nlist_, effort));
    index_.search(static_cast<idx_t>(nq), q, static_cast<idx_t>(k), distances, slots, &params);
  }

  std::size_t stored() const override {
    return static_cast<std::size_t>(index_.ntotal);
  }
  std::size_t tombstones() const override {
    return 0;
  }
  std::size_t bytes() const override {
    auto per_vector = index_.code_size + sizeof(idx_t) + 24; // code, label, direct-map entry
    return static_cast<std::size_t>(index_.ntotal) * per_vector + nlist_ * dimension_ * sizeof(float);
  }

private:
  std::size_t dimension_;
  std::size_t nlist_;
  simd_quantizer quantizer_;
  simd_ivf_flat index_;
};

} // namespace

std::unique_ptr<backend> make_backend(const index_config& config, const float* train, std::size_t n_train) {
  switch (config.kind) {
    case index_kind::flat: return std::make_unique<flat_backend>(config);
    case index_kind::hnsw: return std::make_unique<hnsw_backend>(config, train, n_train);
    case index_kind::ivf: return std::make_unique<ivf_backend>(config, train, n_train);
  }
  return nullptr;
}

} // namespace strata::vector_index
