#include "distances.hpp"

#include <faiss/utils/distances.h>
#include <immintrin.h>

namespace strata::vector_index {

namespace {

__attribute__((target("avx2,fma"))) float horizontal_sum(__m256 s) {
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_hadd_ps(h, h);
  h = _mm_hadd_ps(h, h);
  return _mm_cvtss_f32(h);
}

// Four independent accumulators hide the FMA latency.
__attribute__((target("avx2,fma"))) float inner_product_avx2(const float* x, const float* y, std::size_t d) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8), a1);
    a2 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(y + i + 16), a2);
    a3 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i + 24), _mm256_loadu_ps(y + i + 24), a3);
  }
  for (; i + 8 <= d; i += 8)
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i), a0);
  float sum = horizontal_sum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  for (; i < d; ++i)
    sum += x[i] * y[i];
  return sum;
}

__attribute__((target("avx2,fma"))) float l2_squared_avx2(const float* x, const float* y, std::size_t d) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(), a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 32 <= d; i += 32) {
    auto d0 = _mm256_sub_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i));
    auto d1 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 8), _mm256_loadu_ps(y + i + 8));
    auto d2 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 16), _mm256_loadu_ps(y + i + 16));
    auto d3 = _mm256_sub_ps(_mm256_loadu_ps(x + i + 24), _mm256_loadu_ps(y + i + 24));
    a0 = _mm256_fmadd_ps(d0, d0, a0);
    a1 = _mm256_fmadd_ps(d1, d1, a1);
    a2 = _mm256_fmadd_ps(d2, d2, a2);
    a3 = _mm256_fmadd_ps(d3, d3, a3);
  }
  for (; i + 8 <= d; i += 8) {
    auto d0 = _mm256_sub_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(y + i));
    a0 = _mm256_fmadd_ps(d0, d0, a0);
  }
  float sum = horizontal_sum(_mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
  for (; i < d; ++i)
    sum += (x[i] - y[i]) * (x[i] - y[i]);
  return sum;
}

using distance_fn = float (*)(const float*, const float*, std::size_t);

bool has_avx2() {
  static const bool yes = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return yes;
}

} // namespace

float inner_product(const float* x, const float* y, std::size_t d) {
  static const distance_fn fn = has_avx2() ? inner_product_avx2 : faiss::fvec_inner_product;
  return fn(x, y, d);
}

float l2_squared(const float* x, const float* y, std::size_t d) {
  static const distance_fn fn = has_avx2() ? l2_squared_avx2 : faiss::fvec_L2sqr;
  return fn(x, y, d);
}

} // namespace strata::vector_index
