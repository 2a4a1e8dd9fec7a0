#include "distances.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <vector>

using namespace strata::vector_index;

TEST_CASE("SIMD distances equal the plain loop at every length", "[vector_index]") {
  std::mt19937 gen{3};
  std::uniform_real_distribution<float> uniform{-1.0f, 1.0f};
  for (std::size_t d : {1, 7, 8, 9, 31, 32, 33, 100, 384, 385}) {
    std::vector<float> x(d), y(d);
    for (std::size_t i = 0; i < d; ++i) {
      x[i] = uniform(gen);
      y[i] = uniform(gen);
    }
    double ip = 0, l2 = 0;
    for (std::size_t i = 0; i < d; ++i) {
      ip += static_cast<double>(x[i]) * y[i];
      l2 += static_cast<double>(x[i] - y[i]) * (x[i] - y[i]);
    }
    INFO("d = " << d);
    CHECK(inner_product(x.data(), y.data(), d) == Approx(ip).margin(1e-4));
    CHECK(l2_squared(x.data(), y.data(), d) == Approx(l2).margin(1e-4));
  }
}
