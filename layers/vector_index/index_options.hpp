#pragma once
// The index keys that the semantic and the vector layer both declare in their YAML schemas, read
// in one place. A library of its own (strata_vector_index_options): the engine itself knows
// nothing of Strata.

#include "index_config.hpp"

#include <strata/plugin_config.hpp>

namespace strata::vector_index {

/// The index configuration from a layer's keys `index`, `metric`, `hnsw_m`, `ef_search`,
/// `ef_construction`, `hnsw_codes`, `refine`, `nlist`, `nprobe`, and `train_min` and
/// `compact_ratio` where the layer declares them (the others keep index_config's defaults).
/// `dimension` stays 0: it comes from the model. Throws std::invalid_argument naming the key and
/// the value for a word it does not know.
index_config index_config_from(const plugin_config& c);

/// `index_config_from`, then `validate` with a stand-in dimension (each model brings its own):
/// what a layer's `check_config` asks of its index keys. Throws std::invalid_argument.
index_config checked_index_config(const plugin_config& c);

} // namespace strata::vector_index
