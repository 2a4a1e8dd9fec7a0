#pragma once
// Inner product and squared L2 distance of two float vectors, with AVX2 and FMA when the CPU has
// them. Debian's FAISS 1.7.3 is a generic build whose fvec_inner_product is a scalar loop: 613 ns
// for 384 floats in cache on this machine, 82 ns with AVX2 (3.8 us and 1.1 us from memory).

#include <cstddef>

namespace strata::vector_index {

float inner_product(const float* x, const float* y, std::size_t d);
float l2_squared(const float* x, const float* y, std::size_t d);

} // namespace strata::vector_index
