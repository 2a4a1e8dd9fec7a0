#pragma once
// HNSW's vector storage as 8-bit codes: FAISS's IndexScalarQuantizer (QT_8bit: a range per
// dimension, trained on the data), whose distances come from SIMD kernels. Debian's FAISS is a
// generic build with scalar quantizer loops; a 384-dimension code is 384 bytes where a float vector
// is 1536, and with AVX-VNNI a distance is 12 instructions. The graph search is bound by those
// distances (measured: 75 % of an HNSW query's time in the float inner product), so an HNSW query
// on codes costs about a third of one on floats. The engine re-ranks the candidates with the exact
// float vectors (index_config::refine), so scores stay exact.

#include <faiss/IndexScalarQuantizer.h>

namespace strata::vector_index {

/// How a query is compared with 8-bit codes.
enum class sq8_kernel {
  vnni,  ///< the query's weights quantised to 8 bits too; AVX-VNNI dot products (inner product only)
  avx2,  ///< codes widened to floats against the float query, with FMA
  faiss, ///< FAISS's own distance computer (no SIMD in Debian's build)
};

/// The fastest kernel this CPU runs for `metric`.
sq8_kernel best_sq8_kernel(faiss::MetricType metric);

/// Whether this CPU can run `kernel` for `metric`.
bool supported(sq8_kernel kernel, faiss::MetricType metric);

/// An IndexScalarQuantizer (QT_8bit) whose distance computer is `kernel`'s. Train it before adding.
struct sq8_storage final : faiss::IndexScalarQuantizer {
  sq8_storage(faiss::Index::idx_t d, faiss::MetricType metric, sq8_kernel kernel);
  faiss::FlatCodesDistanceComputer* get_FlatCodesDistanceComputer() const override;

  sq8_kernel kernel;
};

} // namespace strata::vector_index
