#include "telemetry_actor.hpp"

#include <caf/all.hpp>

#include <algorithm>

namespace strata::detail {

namespace {

using sample_atom = caf::atom_constant<caf::atom("sample")>;

/// `from - taken`, or 0 where `taken` was read later and is ahead.
template <class T>
T less(T from, T taken) noexcept {
  return from > taken ? from - taken : T{};
}

/// Adds the view's hits to the coordinator path's totals; its timings are a one-in-N sample, so
/// each counts N times.
void add_view(telemetry::totals& all, const telemetry::totals& view) {
  constexpr std::size_t get = 0, hit = 0;
  all.requests[get][hit] += view.requests[get][hit];
  auto& h = all.get_durations;
  const auto& v = view.get_durations;
  for (std::size_t b = 0; b < h.counts.size() && b < v.counts.size(); ++b)
    h.counts[b] += v.counts[b] * view_timing_period;
  h.count += v.count * view_timing_period;
  h.sum += v.sum * view_timing_period;
}

struct telemetry_state {
  telemetry::windows windows;
  telemetry::totals view; ///< layer 0's read-view hits, as last added (`estimate_view`)
  static inline const char* name = "strata.telemetry";
};

caf::behavior telemetry_actor(caf::stateful_actor<telemetry_state>* self, std::vector<stats_source> sources,
                              std::shared_ptr<const layer_metrics> first_layer, std::shared_ptr<stats_board> board,
                              std::chrono::milliseconds interval, std::function<void()> after_sample) {
  std::vector<std::string> names;
  for (const auto& s : sources)
    names.push_back(s.name);
  // Derives the windows' figures from the samples kept, and publishes them.
  auto publish = [self, board, names, after_sample] {
    const std::array<std::pair<stats_window, std::chrono::seconds>, 3> spans = {
      {{stats_window::minute, std::chrono::seconds(60)},
       {stats_window::hour, std::chrono::seconds(3600)},
       {stats_window::day, std::chrono::seconds(86400)}}};
    std::array<runtime_stats, 3> figures;
    for (std::size_t w = 0; w < spans.size(); ++w) {
      auto& f = figures[w];
      f.window = spans[w].first;
      auto derived = self->state.windows.over(spans[w].second, names, f.covered_seconds);
      f.overall = derived.front();
      for (std::size_t i = 1; i < derived.size(); ++i)
        f.layers.push_back(derived[i]);
    }
    board->publish(std::move(figures));
    after_sample();
  };
  auto sample = [self, sources, first_layer, publish] {
    std::vector<telemetry::totals> totals;
    for (const auto& s : sources)
      totals.push_back(s.metrics->totals());
    if (first_layer && totals.size() > 1) { // without a view, all of layer 0's gets are routed: adds 0
      estimate_view(self->state.view, totals[1], first_layer->routed_gets());
      add_view(totals[0], self->state.view);
    }
    self->state.windows.add(std::chrono::steady_clock::now(), std::move(totals));
    publish();
  };
  // The counts start at zero with the runtime: that is the first sample, and the first taken comes
  // an interval later. A sample taken when this actor first ran missed the requests made before it
  // (with two scheduler threads, a request right after the start often was, and no window ever saw
  // it); and with both, the requests in between were a rate over microseconds.
  self->state.windows.add(std::chrono::steady_clock::now(), std::vector<telemetry::totals>(sources.size()));
  publish();
  self->delayed_send(self, interval, sample_atom::value);
  return {
    [self, sample, interval](sample_atom) {
      sample();
      self->delayed_send(self, interval, sample_atom::value);
    },
  };
}

} // namespace

stats_board::stats_board(const std::vector<std::string>& layer_names) {
  for (std::size_t w = 0; w < by_window_.size(); ++w) {
    auto& f = by_window_[w];
    f.window = static_cast<stats_window>(w);
    f.overall.name = "all";
    for (const auto& name : layer_names)
      f.layers.push_back(window_stats{name});
  }
}

void estimate_view(telemetry::totals& view, const telemetry::totals& first, const telemetry::totals& routed) {
  constexpr std::size_t get = 0, hit = 0;
  auto& hits = view.requests[get][hit];
  hits = std::max(hits, less(first.requests[get][hit], routed.requests[get][hit]));
  auto& d = view.get_durations;
  const auto& f = first.get_durations;
  const auto& r = routed.get_durations;
  d.counts.resize(f.counts.size());
  for (std::size_t b = 0; b < f.counts.size() && b < r.counts.size(); ++b)
    d.counts[b] = std::max(d.counts[b], less(f.counts[b], r.counts[b]));
  d.count = std::max(d.count, less(f.count, r.count));
  d.sum = std::max(d.sum, less(f.sum, r.sum));
}

caf::actor spawn_telemetry(caf::actor_system& system, std::vector<stats_source> sources,
                           std::shared_ptr<const layer_metrics> first_layer, std::shared_ptr<stats_board> board,
                           std::chrono::milliseconds interval, std::function<void()> after_sample) {
  return system.spawn(telemetry_actor, std::move(sources), std::move(first_layer), std::move(board), interval,
                      std::move(after_sample));
}

} // namespace strata::detail
