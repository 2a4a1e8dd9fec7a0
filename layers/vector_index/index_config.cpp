#include "index_config.hpp"

#include <algorithm>
#include <cmath>

namespace strata::vector_index {

std::optional<index_kind> parse_index_kind(const std::string& name) {
  if (name == "flat")
    return index_kind::flat;
  if (name == "hnsw")
    return index_kind::hnsw;
  if (name == "ivf")
    return index_kind::ivf;
  return std::nullopt;
}

std::optional<metric_kind> parse_metric(const std::string& name) {
  // Not "cosine": the vector layer keeps vectors as given, so that name would promise a
  // normalisation it does not do (an audit's [3,4] and [6,8] scored 50 and 25).
  if (name == "inner_product" || name == "ip")
    return metric_kind::inner_product;
  if (name == "l2")
    return metric_kind::l2;
  return std::nullopt;
}

std::optional<vector_codes> parse_codes(const std::string& name) {
  if (name == "float")
    return vector_codes::f32;
  if (name == "sq8")
    return vector_codes::sq8;
  return std::nullopt;
}

const char* to_string(index_kind kind) {
  switch (kind) {
    case index_kind::flat: return "flat";
    case index_kind::hnsw: return "hnsw";
    case index_kind::ivf: return "ivf";
  }
  return "?";
}

const char* to_string(metric_kind metric) {
  return metric == metric_kind::l2 ? "l2" : "inner_product";
}

const char* to_string(vector_codes codes) {
  return codes == vector_codes::sq8 ? "sq8" : "float";
}

bool needs_training(const index_config& c) {
  return c.kind == index_kind::ivf || (c.kind == index_kind::hnsw && c.hnsw_codes == vector_codes::sq8);
}

std::size_t auto_nlist(std::size_t n) {
  auto root = static_cast<std::size_t>(4.0 * std::sqrt(static_cast<double>(n)));
  // FAISS wants at least 39 training points per list.
  return std::max<std::size_t>(1, std::min(root, n / 39));
}

std::string validate(const index_config& c) {
  if (c.dimension == 0 || c.dimension > 65536)
    return "dimension must be between 1 and 65536, got " + std::to_string(c.dimension);
  // Each other problem starts with the name of the layers' YAML key at fault, so that a
  // configuration check can point at it.
  if (c.hnsw_m < 2 || c.hnsw_m > 256)
    return "hnsw_m: must be between 2 and 256, got " + std::to_string(c.hnsw_m);
  if (c.ef_construction < 1)
    return "ef_construction: must be at least 1";
  if (c.ef_search < 1)
    return "ef_search: must be at least 1";
  if (c.refine < 1 || c.refine > 16)
    return "refine: must be between 1 and 16, got " + std::to_string(c.refine);
  if (c.nprobe == 0)
    return "nprobe: must be at least 1";
  if (c.kind == index_kind::ivf && c.nlist != 0 && c.train_min < c.nlist)
    return "nlist: " + std::to_string(c.nlist) + " lists need at least as many entries to train on, and train_min is " +
           std::to_string(c.train_min) + ": lower nlist or raise train_min";
  if (c.train_min < 16)
    return "train_min: must be at least 16";
  if (!(c.retrain_growth > 1.0))
    return "retrain_growth: must be greater than 1";
  if (!(c.compact_ratio > 0.0 && c.compact_ratio <= 1.0))
    return "compact_ratio: must be in (0, 1]";
  return {};
}

} // namespace strata::vector_index
