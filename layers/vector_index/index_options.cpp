#include "index_options.hpp"

#include <strata/config_refusals.hpp>

#include <algorithm>
#include <stdexcept>

namespace strata::vector_index {

namespace {

/// Reads string key `key` through `parse` into `out`; a text it does not take is refused, saying
/// what was `expected`, and kept with the other refusals.
template <class Parse, class T>
void read_choice(config_refusals& refused, const plugin_config& c, const char* key, Parse parse,
                 const char* expected, T& out) {
  refused.check([&] {
    const auto& text = c.get_string(key);
    const auto parsed = parse(text);
    if (!parsed)
      throw std::invalid_argument(std::string(key) + ": expected " + expected + ", got '" + text + "'");
    out = *parsed;
  });
}

} // namespace

index_config index_config_from(const plugin_config& c) {
  index_config o;
  config_refusals refused; // each refused key, in one run of check-config
  read_choice(refused, c, "index", parse_index_kind, "flat, hnsw or ivf", o.kind);
  read_choice(refused, c, "metric", parse_metric, "ip (inner product) or l2", o.metric);
  read_choice(refused, c, "hnsw_codes", parse_codes, "sq8 or float", o.hnsw_codes);
  refused.done();
  o.hnsw_m = static_cast<int>(c.get_int("hnsw_m"));
  o.ef_search = static_cast<int>(c.get_int("ef_search"));
  o.ef_construction = static_cast<int>(c.get_int("ef_construction"));
  o.refine = static_cast<std::size_t>(c.get_int("refine"));
  o.nlist = static_cast<std::size_t>(c.get_int("nlist"));
  o.nprobe = static_cast<std::size_t>(c.get_int("nprobe"));
  if (c.contains("train_min"))
    o.train_min = static_cast<std::size_t>(c.get_int("train_min"));
  else if (o.kind == index_kind::ivf) // a layer without the key (semantic) trains once it has enough for its lists
    o.train_min = std::max(o.train_min, o.nlist);
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
