#pragma once
// What kind of FAISS index the engine builds, and its parameters.

#include <cstddef>
#include <optional>
#include <string>

namespace strata::vector_index {

/// The FAISS index family behind an engine.
enum class index_kind {
  flat, ///< exact search (IndexFlat); real deletes
  hnsw, ///< graph (IndexHNSW); deletes are tombstones until a background rebuild
  ivf,  ///< inverted lists (IndexIVFFlat), trained in the background; real deletes
};

/// How an HNSW index holds its vectors for the graph search.
enum class vector_codes {
  f32, ///< the float vectors (an IndexFlat as the IndexHNSW's storage)
  sq8, ///< 8-bit codes, a range per dimension trained on the data (an IndexScalarQuantizer as its storage); candidates re-ranked exactly
};

/// How vectors are compared. Inner product ranks by similarity (higher is closer; on unit vectors it
/// is the cosine); L2 ranks by squared distance (lower is closer).
enum class metric_kind { inner_product, l2 };

/// The engine's configuration. Every field has a usable default but `dimension`.
struct index_config {
  std::size_t dimension = 0;
  index_kind kind = index_kind::hnsw;
  metric_kind metric = metric_kind::inner_product;

  /// HNSW: links per node, build-time and search-time candidate list sizes.
  int hnsw_m = 32;
  int ef_construction = 40;
  int ef_search = 128;
  /// HNSW: float vectors, or 8-bit codes (a quarter of the memory a search reads, distances about
  /// three times as fast; trained like IVF, exact searches until then).
  vector_codes hnsw_codes = vector_codes::sq8;
  /// HNSW on 8-bit codes: the search returns `refine` * k candidates, which are re-ranked with the
  /// exact float vectors, so the scores a caller sees are exact.
  std::size_t refine = 2;

  /// IVF: number of lists (0 = chosen at each training as 4 * sqrt(vectors), at most vectors / 39) and lists
  /// probed per query.
  std::size_t nlist = 0;
  std::size_t nprobe = 32;
  /// IVF and HNSW on 8-bit codes: vectors needed before the first training; until then searches
  /// are exact. A trained index is retrained (in the background) once it holds `retrain_growth`
  /// times what it was trained on.
  std::size_t train_min = 4096;
  double retrain_growth = 4.0;

  /// HNSW: a background rebuild starts when tombstones reach this share of the stored vectors
  /// (and at least `compact_min`).
  double compact_ratio = 0.2;
  std::size_t compact_min = 256;

  /// A filtered search whose namespace holds at most this many entries is answered by an exact scan
  /// over that namespace (cheaper and exact at that size).
  std::size_t exact_scan_max = 2048;
};

/// "flat", "hnsw", "ivf"; nullopt for anything else.
std::optional<index_kind> parse_index_kind(const std::string& name);
/// "inner_product" (or "ip", "cosine"), "l2"; nullopt for anything else.
std::optional<metric_kind> parse_metric(const std::string& name);
/// "float", "sq8"; nullopt for anything else.
std::optional<vector_codes> parse_codes(const std::string& name);
const char* to_string(index_kind kind);
const char* to_string(metric_kind metric);
const char* to_string(vector_codes codes);

/// Whether the index is built from training data (IVF, HNSW on 8-bit codes): searches are exact
/// until `train_min` vectors are held.
bool needs_training(const index_config& config);

/// The IVF list count for `n` training vectors when `nlist` is 0: 4 * sqrt(n), at most n / 39.
std::size_t auto_nlist(std::size_t n);

/// Empty when the configuration is usable, else what is wrong with which field.
std::string validate(const index_config& config);

} // namespace strata::vector_index
