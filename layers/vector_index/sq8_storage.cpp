#include "sq8_storage.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace strata::vector_index {

namespace {

using idx_t = faiss::Index::idx_t;

__attribute__((target("avx2"))) float horizontal_sum(__m256 s) {
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
  h = _mm_hadd_ps(h, h);
  h = _mm_hadd_ps(h, h);
  return _mm_cvtss_f32(h);
}

/// Eight codes from `p`, widened to floats.
__attribute__((target("avx2"))) __m256 widen(const std::uint8_t* p) {
  return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))));
}

/// Σ codes[i] * weights[i]: unsigned codes, signed weights, 32 products per instruction.
__attribute__((target("avx2,avxvnni"))) std::int32_t dot_u8_s8(const std::uint8_t* codes, const std::int8_t* weights,
                                                               std::size_t d) {
  __m256i a0 = _mm256_setzero_si256(), a1 = _mm256_setzero_si256();
  std::size_t i = 0;
  for (; i + 64 <= d; i += 64) {
    a0 = _mm256_dpbusd_avx_epi32(a0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + i)),
                                 _mm256_loadu_si256(reinterpret_cast<const __m256i*>(weights + i)));
    a1 = _mm256_dpbusd_avx_epi32(a1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + i + 32)),
                                 _mm256_loadu_si256(reinterpret_cast<const __m256i*>(weights + i + 32)));
  }
  for (; i + 32 <= d; i += 32)
    a0 = _mm256_dpbusd_avx_epi32(a0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(codes + i)),
                                 _mm256_loadu_si256(reinterpret_cast<const __m256i*>(weights + i)));
  __m256i s = _mm256_add_epi32(a0, a1);
  __m128i h = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
  h = _mm_hadd_epi32(h, h);
  h = _mm_hadd_epi32(h, h);
  std::int32_t sum = _mm_cvtsi128_si32(h);
  for (; i < d; ++i)
    sum += static_cast<std::int32_t>(codes[i]) * weights[i];
  return sum;
}

/// Σ codes[i] * weights[i] with float weights.
__attribute__((target("avx2,fma"))) float dot_u8_f32(const std::uint8_t* codes, const float* weights, std::size_t d) {
  __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 16 <= d; i += 16) {
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(weights + i), widen(codes + i), a0);
    a1 = _mm256_fmadd_ps(_mm256_loadu_ps(weights + i + 8), widen(codes + i + 8), a1);
  }
  for (; i + 8 <= d; i += 8)
    a0 = _mm256_fmadd_ps(_mm256_loadu_ps(weights + i), widen(codes + i), a0);
  float sum = horizontal_sum(_mm256_add_ps(a0, a1));
  for (; i < d; ++i)
    sum += static_cast<float>(codes[i]) * weights[i];
  return sum;
}

/// Σ (r[i] - step[i] * codes[i])²: the squared L2 distance of a query, less each dimension's
/// base, to a code.
__attribute__((target("avx2,fma"))) float l2_to_code(const std::uint8_t* codes, const float* r, const float* step,
                                                     std::size_t d) {
  __m256 acc = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    __m256 diff = _mm256_fnmadd_ps(_mm256_loadu_ps(step + i), widen(codes + i), _mm256_loadu_ps(r + i));
    acc = _mm256_fmadd_ps(diff, diff, acc);
  }
  float sum = horizontal_sum(acc);
  for (; i < d; ++i) {
    float diff = r[i] - step[i] * static_cast<float>(codes[i]);
    sum += diff * diff;
  }
  return sum;
}

/// Two codes decoded and compared: the inner product, or the squared L2 distance.
__attribute__((target("avx2,fma"))) float code_to_code(const std::uint8_t* x, const std::uint8_t* y, const float* step,
                                                       const float* base, std::size_t d, bool inner_product) {
  __m256 acc = _mm256_setzero_ps();
  std::size_t i = 0;
  for (; i + 8 <= d; i += 8) {
    __m256 s = _mm256_loadu_ps(step + i), b = _mm256_loadu_ps(base + i);
    __m256 xf = _mm256_fmadd_ps(s, widen(x + i), b);
    __m256 yf = _mm256_fmadd_ps(s, widen(y + i), b);
    if (inner_product) {
      acc = _mm256_fmadd_ps(xf, yf, acc);
    } else {
      __m256 diff = _mm256_sub_ps(xf, yf);
      acc = _mm256_fmadd_ps(diff, diff, acc);
    }
  }
  float sum = horizontal_sum(acc);
  for (; i < d; ++i) {
    float xf = base[i] + step[i] * static_cast<float>(x[i]);
    float yf = base[i] + step[i] * static_cast<float>(y[i]);
    sum += inner_product ? xf * yf : (xf - yf) * (xf - yf);
  }
  return sum;
}

/// FAISS's QT_8bit decodes component i of code c as vmin[i] + (c + 0.5) / 255 * vdiff[i], that is
/// base[i] + step[i] * c. Every distance below is written in those terms.
class sq8_distance_computer final : public faiss::FlatCodesDistanceComputer {
public:
  sq8_distance_computer(const faiss::IndexScalarQuantizer& storage, sq8_kernel kernel)
    : FlatCodesDistanceComputer(storage.codes.data(), storage.code_size),
      d_(static_cast<std::size_t>(storage.d)),
      inner_product_(storage.metric_type == faiss::METRIC_INNER_PRODUCT),
      kernel_(kernel),
      step_(d_),
      base_(d_),
      weights_(d_),
      weights8_(d_) {
    const float* vmin = storage.sq.trained.data();
    const float* vdiff = vmin + d_;
    for (std::size_t i = 0; i < d_; ++i) {
      step_[i] = vdiff[i] / 255.0f;
      base_[i] = vmin[i] + 0.5f * step_[i];
    }
  }

  // Inner product: q·x = Σ q[i] base[i] + Σ (q[i] step[i]) c[i], a constant plus a weighted sum
  // of the codes. L2: the weights are q - base, compared by l2_to_code.
  void set_query(const float* q) override {
    offset_ = 0;
    float largest = 0;
    for (std::size_t i = 0; i < d_; ++i) {
      if (inner_product_) {
        weights_[i] = q[i] * step_[i];
        offset_ += q[i] * base_[i];
      } else {
        weights_[i] = q[i] - base_[i];
      }
      largest = std::max(largest, std::fabs(weights_[i]));
    }
    if (kernel_ != sq8_kernel::vnni)
      return;
    scale_ = largest > 0 ? largest / 127.0f : 1.0f;
    for (std::size_t i = 0; i < d_; ++i)
      weights8_[i] = static_cast<std::int8_t>(std::lrint(weights_[i] / scale_));
  }

  float distance_to_code(const std::uint8_t* code) override {
    if (!inner_product_)
      return l2_to_code(code, weights_.data(), step_.data(), d_);
    if (kernel_ == sq8_kernel::vnni)
      return offset_ + scale_ * static_cast<float>(dot_u8_s8(code, weights8_.data(), d_));
    return offset_ + dot_u8_f32(code, weights_.data(), d_);
  }

  float symmetric_dis(idx_t i, idx_t j) override {
    return code_to_code(codes + i * code_size, codes + j * code_size, step_.data(), base_.data(), d_, inner_product_);
  }

private:
  std::size_t d_;
  bool inner_product_;
  sq8_kernel kernel_;
  std::vector<float> step_;
  std::vector<float> base_;
  std::vector<float> weights_;
  std::vector<std::int8_t> weights8_;
  float offset_ = 0;
  float scale_ = 1;
};

} // namespace

bool supported(sq8_kernel kernel, faiss::MetricType metric) {
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  static const bool vnni = avx2 && __builtin_cpu_supports("avxvnni");
  switch (kernel) {
    case sq8_kernel::vnni: return vnni && metric == faiss::METRIC_INNER_PRODUCT;
    case sq8_kernel::avx2: return avx2;
    case sq8_kernel::faiss: return true;
  }
  return false;
}

sq8_kernel best_sq8_kernel(faiss::MetricType metric) {
  for (auto kernel : {sq8_kernel::vnni, sq8_kernel::avx2})
    if (supported(kernel, metric))
      return kernel;
  return sq8_kernel::faiss;
}

sq8_storage::sq8_storage(faiss::Index::idx_t d, faiss::MetricType metric, sq8_kernel k)
  : faiss::IndexScalarQuantizer(d, faiss::ScalarQuantizer::QT_8bit, metric), kernel(k) {
}

faiss::FlatCodesDistanceComputer* sq8_storage::get_FlatCodesDistanceComputer() const {
  if (kernel == sq8_kernel::faiss)
    return faiss::IndexScalarQuantizer::get_FlatCodesDistanceComputer();
  return new sq8_distance_computer(*this, kernel);
}

} // namespace strata::vector_index
