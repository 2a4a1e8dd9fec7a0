// An embedder whose output is wrong as `fault` says (`nan`: a value that is not finite,
// `no_model`: an empty model id; `none`: four zeros and a one): the runtime must blame the
// embedder, not the request.
#include <strata/sdk.hpp>

#include <limits>
#include <stdexcept>

namespace {

class test_embedder : public strata::embedder {
public:
  explicit test_embedder(const strata::embedder_context& ctx) : fault_(ctx.config.get_string("fault")) {
    if (fault_ != "none" && fault_ != "nan" && fault_ != "no_model")
      throw std::invalid_argument("fault: unknown mode '" + fault_ + "'");
  }

  std::size_t dimension() const override { return 4; }
  std::string model() const override { return fault_ == "no_model" ? "" : "test-4"; }

  std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) override {
    const float first = fault_ == "nan" ? std::numeric_limits<float>::quiet_NaN() : 0.0f;
    return std::vector<std::vector<float>>(texts.size(), std::vector<float>{first, 0.0f, 0.0f, 1.0f});
  }

private:
  std::string fault_;
};

const strata_config_key schema[] = {
  {"fault", STRATA_VALUE_STRING, "none", "what to get wrong: none, nan, no_model", 0, 0, 0, 0},
};

} // namespace

STRATA_EMBEDDER_PLUGIN("test_embedder", "1.0.0", test_embedder, schema)
