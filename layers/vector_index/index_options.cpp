#include "index_options.hpp"

#include <strata/config_refusals.hpp>

#include <stdexcept>

namespace strata::vector_index {

index_config index_config_from(const plugin_config& c) {
  index_config o;
  config_refusals refused; // each refused key, in one run of check-config
  refused.check([&] {
    const auto& kind = c.get_string("index");
    const auto parsed = parse_index_kind(kind);
    if (!parsed)
      throw std::invalid_argument("index: expected flat, hnsw or ivf, got '" + kind + "'");
    o.kind = *parsed;
  });
  refused.check([&] {
    const auto& metric = c.get_string("metric");
    const auto parsed = parse_metric(metric);
    if (!parsed)
      throw std::invalid_argument("metric: expected ip (inner product) or l2, got '" + metric + "'");
    o.metric = *parsed;
  });
  refused.check([&] {
    const auto& codes = c.get_string("hnsw_codes");
    const auto parsed = parse_codes(codes);
    if (!parsed)
      throw std::invalid_argument("hnsw_codes: expected sq8 or float, got '" + codes + "'");
    o.hnsw_codes = *parsed;
  });
  refused.done();
  o.hnsw_m = static_cast<int>(c.get_int("hnsw_m"));
  o.ef_search = static_cast<int>(c.get_int("ef_search"));
  o.ef_construction = static_cast<int>(c.get_int("ef_construction"));
  o.refine = static_cast<std::size_t>(c.get_int("refine"));
  o.nlist = static_cast<std::size_t>(c.get_int("nlist"));
  o.nprobe = static_cast<std::size_t>(c.get_int("nprobe"));
  if (c.contains("train_min"))
    o.train_min = static_cast<std::size_t>(c.get_int("train_min"));
  if (c.contains("compact_ratio"))
    o.compact_ratio = c.get_double("compact_ratio");
  return o;
}

index_config checked_index_config(const plugin_config& c) {
  auto o = index_config_from(c);
  auto probe = o;
  probe.dimension = 1;
  if (auto problem = validate(probe); !problem.empty())
    throw std::invalid_argument(problem);
  return o;
}

} // namespace strata::vector_index
