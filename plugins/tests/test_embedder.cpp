// An embedder whose output is wrong as `fault` says (`nan`: a value that is not finite,
// `no_model`: an empty model id; `throw_other`: it throws an int; `flip_dimension`: every other
// call declares, and returns, 8 floats instead of 4 for the same model; `zero_dimension`: it
// declares 0; `throw_in_dimension`: `dimension()` throws; `slow`: `embed` takes 2 s; `none`: four
// zeros and a one): the runtime must blame the embedder, not the request, and wait for it. `wide` is no fault: 8 floats, under the same model id
// as the others (another embedder may use an id for another dimension).
#include <strata/sdk.hpp>

#include <atomic>
#include <chrono>
#include <limits>
#include <stdexcept>
#include <thread>

namespace {

class test_embedder : public strata::embedder {
public:
  explicit test_embedder(const strata::embedder_context& ctx) : fault_(ctx.config.get_string("fault")) {
    if (fault_ != "none" && fault_ != "nan" && fault_ != "no_model" && fault_ != "throw_other" &&
        fault_ != "flip_dimension" && fault_ != "zero_dimension" && fault_ != "throw_in_dimension" && fault_ != "wide" &&
        fault_ != "slow")
      throw std::invalid_argument("fault: unknown mode '" + fault_ + "'");
  }

  std::size_t dimension() const override {
    if (fault_ == "zero_dimension")
      return 0;
    if (fault_ == "throw_in_dimension")
      throw std::runtime_error("no dimension today");
    return fault_ == "wide" || (fault_ == "flip_dimension" && calls_ % 2 == 0) ? 8 : 4;
  }
  std::string model() const override { return fault_ == "no_model" ? "" : "test-4"; }

  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) override {
    if (fault_ == "throw_other")
      throw 13;
    if (fault_ == "slow")
      std::this_thread::sleep_for(std::chrono::seconds(2));
    ++calls_;
    const float first = fault_ == "nan" ? std::numeric_limits<float>::quiet_NaN() : 0.0f;
    std::vector<float> vector(dimension(), 0.0f);
    if (!vector.empty()) {
      vector.front() = first;
      vector.back() = 1.0f;
    }
    return std::vector<std::vector<float>>(texts.size(), vector);
  }

private:
  std::string fault_;
  std::atomic<int> calls_{0};
};

const strata_config_key schema[] = {
  {"fault", STRATA_VALUE_STRING, "none",
   "what to get wrong: none, nan, no_model, throw_other, flip_dimension, zero_dimension, throw_in_dimension, "
   "slow (embed takes 2 s); or wide (8 floats)", 0, 0, 0, 0},
};

} // namespace

STRATA_EMBEDDER_PLUGIN("test_embedder", "1.0.0", test_embedder, schema)
