// A test double for the runtime's vector routing (the real vector layer is layers/vector): an
// in-memory store answering the vector operations by brute force, and recording nothing else.
// Refuses a vector whose dimension differs from the first one it saw, as a layer must. With
// `search_pause` set, a search writes its hits, then pauses that long (a search that outlives its
// deadline after it has written part of its answer).

#include <strata/sdk.hpp>
#include <strata/vectors.hpp>

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>
#include <thread>

namespace {

class vector_double : public strata::layer, public strata::vector_operations {
public:
  explicit vector_double(const strata::layer_context& context)
    : search_pause_(context.config.get_duration("search_pause")) {}

  strata::status get(std::string_view, std::string_view, strata::layer_hit&) override {
    return strata::status::not_found;
  }
  strata::status put(std::string_view, std::string_view, std::string_view, const strata::entry_options&) override {
    return strata::status::rejected;
  }
  strata::status erase(std::string_view, std::string_view) override { return strata::status::not_found; }
  std::size_t invalidate_tag(std::string_view, std::string_view) override { return 0; }
  strata::vector_operations* vectors() override { return this; }

  strata::status add(const strata::vector_item& item, std::uint64_t& id_out) override {
    check(item.vector);
    id_out = item.id != 0 ? item.id : next_++;
    if (items_.count(id_out) != 0)
      return strata::status::rejected;
    items_[id_out] = item;
    return strata::status::ok;
  }

  strata::status search(const strata::vector_query& query, std::vector<strata::vector_hit>& out) override {
    check(query.vector);
    out.clear();
    for (const auto& [id, item] : items_) {
      if (item.ns != query.ns || item.vector.model != query.vector.model)
        continue;
      if (!std::all_of(query.tags.begin(), query.tags.end(), [&](const std::string& t) {
            return std::find(item.tags.begin(), item.tags.end(), t) != item.tags.end();
          }))
        continue;
      double dot = 0;
      for (std::size_t i = 0; i < item.vector.values.size(); ++i)
        dot += static_cast<double>(item.vector.values[i]) * query.vector.values[i];
      out.push_back({id, dot, item.metadata, item.tags});
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.score > b.score; });
    if (out.size() > query.k)
      out.resize(query.k);
    std::this_thread::sleep_for(search_pause_);
    return strata::status::ok;
  }

  strata::status update(const strata::vector_item& item) override {
    check(item.vector);
    auto it = items_.find(item.id);
    if (it == items_.end() || it->second.ns != item.ns)
      return strata::status::not_found;
    it->second = item;
    return strata::status::ok;
  }

  strata::status erase(std::string_view ns, std::uint64_t id) override {
    auto it = items_.find(id);
    if (it == items_.end() || it->second.ns != ns)
      return strata::status::not_found;
    items_.erase(it);
    return strata::status::ok;
  }

private:
  void check(const strata::embedding& v) {
    if (dimension_ == 0)
      dimension_ = v.values.size();
    if (v.values.size() != dimension_)
      throw std::invalid_argument("expected " + std::to_string(dimension_) + " floats, got " +
                                  std::to_string(v.values.size()));
  }

  std::map<std::uint64_t, strata::vector_item> items_;
  std::uint64_t next_ = 1;
  std::size_t dimension_ = 0;
  std::chrono::nanoseconds search_pause_;
};

const strata_config_key schema[] = {
  {"search_pause", STRATA_VALUE_DURATION, "0", "how long a search pauses after writing its hits", 0, 0, 0, 0}};

} // namespace

STRATA_LAYER_PLUGIN("test_vector_double", "1.0.0", vector_double, schema, 0)
