#include "sq8_storage.hpp"

#include <catch2/catch.hpp>

#include <faiss/impl/DistanceComputer.h>

#include <memory>
#include <random>
#include <vector>

using namespace strata::vector_index;

namespace {

/// `n` random unit vectors of dimension `d`.
std::vector<float> unit_vectors(std::size_t n, std::size_t d, std::uint32_t seed) {
  std::mt19937 gen{seed};
  std::normal_distribution<float> normal;
  std::vector<float> out(n * d);
  for (std::size_t i = 0; i < n; ++i) {
    float norm = 0;
    for (std::size_t j = 0; j < d; ++j) {
      out[i * d + j] = normal(gen);
      norm += out[i * d + j] * out[i * d + j];
    }
    for (std::size_t j = 0; j < d; ++j)
      out[i * d + j] /= std::sqrt(norm);
  }
  return out;
}

double exact(const float* x, const float* y, std::size_t d, bool inner_product) {
  double s = 0;
  for (std::size_t j = 0; j < d; ++j)
    s += inner_product ? static_cast<double>(x[j]) * y[j] : static_cast<double>(x[j] - y[j]) * (x[j] - y[j]);
  return s;
}

} // namespace

TEST_CASE("8-bit code distances agree with FAISS's decoding, for every kernel the CPU runs", "[vector_index]") {
  for (auto metric : {faiss::METRIC_INNER_PRODUCT, faiss::METRIC_L2}) {
    for (std::size_t d : {8, 33, 64, 100, 384}) {
      const std::size_t n = 300;
      auto base = unit_vectors(n, d, 7);
      auto queries = unit_vectors(5, d, 8);
      for (auto kernel : {sq8_kernel::vnni, sq8_kernel::avx2, sq8_kernel::faiss}) {
        if (!supported(kernel, metric))
          continue;
        const bool ip = metric == faiss::METRIC_INNER_PRODUCT;
        INFO("d " << d << ", " << (ip ? "inner product" : "L2") << ", kernel " << static_cast<int>(kernel));
        sq8_storage storage{static_cast<faiss::Index::idx_t>(d), metric, kernel};
        storage.train(static_cast<faiss::Index::idx_t>(n), base.data());
        storage.add(static_cast<faiss::Index::idx_t>(n), base.data());
        std::vector<float> decoded(n * d);
        storage.sa_decode(static_cast<faiss::Index::idx_t>(n), storage.codes.data(), decoded.data());
        std::unique_ptr<faiss::DistanceComputer> dc{storage.get_distance_computer()};
        for (std::size_t q = 0; q < 5; ++q) {
          const float* query = queries.data() + q * d;
          dc->set_query(query);
          for (std::size_t i = 0; i < n; i += 7) {
            // Against the decoded vector: only the VNNI kernel's 8-bit query weights add an error (each
            // weight within half a step of 1/127 of the largest; 0.01 at d 8, far less at d 384).
            double want = exact(query, decoded.data() + i * d, d, ip);
            CHECK((*dc)(static_cast<faiss::Index::idx_t>(i)) == Approx(want).margin(kernel == sq8_kernel::vnni ? 0.02 : 1e-4));
            // Against the original: the codes' own error stays small on unit vectors.
            CHECK((*dc)(static_cast<faiss::Index::idx_t>(i)) == Approx(exact(query, base.data() + i * d, d, ip)).margin(0.03));
          }
        }
        for (std::size_t i = 0; i + 1 < n; i += 13) {
          double want = exact(decoded.data() + i * d, decoded.data() + (i + 1) * d, d, ip);
          CHECK(dc->symmetric_dis(static_cast<faiss::Index::idx_t>(i), static_cast<faiss::Index::idx_t>(i + 1))
                == Approx(want).margin(1e-4));
        }
      }
    }
  }
}

TEST_CASE("the best kernel is one the CPU runs, and VNNI only for the inner product", "[vector_index]") {
  CHECK(supported(best_sq8_kernel(faiss::METRIC_INNER_PRODUCT), faiss::METRIC_INNER_PRODUCT));
  CHECK(supported(best_sq8_kernel(faiss::METRIC_L2), faiss::METRIC_L2));
  CHECK_FALSE(supported(sq8_kernel::vnni, faiss::METRIC_L2));
  CHECK(supported(sq8_kernel::faiss, faiss::METRIC_L2));
}
