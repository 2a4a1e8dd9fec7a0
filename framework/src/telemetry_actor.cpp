#include "telemetry_actor.hpp"

#include <caf/all.hpp>

namespace strata::detail {

namespace {

using sample_atom = caf::atom_constant<caf::atom("sample")>;

/// `from - taken`, or 0 where reading the two at slightly different times left `taken` ahead.
template <class T>
T less(T from, T taken) noexcept {
  return from > taken ? from - taken : T{};
}

/// Adds layer 0's read-view hits to the coordinator path's totals: layer 0's get hits and get
/// durations less those of the gets the coordinator asked of it (`routed`), which the totals hold
/// already. The view's timings are a one-in-N sample, so each counts N times.
void add_view_hits(telemetry::totals& all, const telemetry::totals& first, const telemetry::totals& routed) {
  constexpr std::size_t get = 0, hit = 0;
  all.requests[get][hit] += less(first.requests[get][hit], routed.requests[get][hit]);
  auto& h = all.get_durations;
  const auto& v = first.get_durations;
  const auto& r = routed.get_durations;
  for (std::size_t b = 0; b < h.counts.size() && b < v.counts.size() && b < r.counts.size(); ++b)
    h.counts[b] += less(v.counts[b], r.counts[b]) * view_timing_period;
  h.count += less(v.count, r.count) * view_timing_period;
  h.sum += less(v.sum, r.sum) * view_timing_period;
}

struct telemetry_state {
  telemetry::windows windows;
  static inline const char* name = "strata.telemetry";
};

caf::behavior telemetry_actor(caf::stateful_actor<telemetry_state>* self, std::vector<stats_source> sources,
                              std::shared_ptr<const layer_metrics> first_layer, std::shared_ptr<stats_board> board,
                              std::chrono::milliseconds interval, std::function<bool()> first_has_view,
                              std::function<void()> after_sample) {
  std::vector<std::string> names;
  for (const auto& s : sources)
    names.push_back(s.name);
  auto sample = [self, sources, first_layer, board, names, first_has_view, after_sample] {
    // Read before layer 0's totals, which include them, so that those are not behind.
    const auto routed = first_layer ? first_layer->routed_gets() : telemetry::totals{};
    std::vector<telemetry::totals> totals;
    for (const auto& s : sources)
      totals.push_back(s.metrics->totals());
    if (totals.size() > 1 && first_has_view())
      add_view_hits(totals[0], totals[1], routed);
    self->state.windows.add(std::chrono::steady_clock::now(), std::move(totals));
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
  sample();
  self->delayed_send(self, interval, sample_atom::value);
  return {
    [self, sample, interval](sample_atom) {
      sample();
      self->delayed_send(self, interval, sample_atom::value);
    },
  };
}

} // namespace

caf::actor spawn_telemetry(caf::actor_system& system, std::vector<stats_source> sources,
                           std::shared_ptr<const layer_metrics> first_layer, std::shared_ptr<stats_board> board,
                           std::chrono::milliseconds interval, std::function<bool()> first_has_view,
                           std::function<void()> after_sample) {
  return system.spawn(telemetry_actor, std::move(sources), std::move(first_layer), std::move(board), interval,
                      std::move(first_has_view), std::move(after_sample));
}

} // namespace strata::detail
