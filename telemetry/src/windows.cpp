#include "windows.hpp"

#include <iterator>
#include <limits>

namespace strata::telemetry {

namespace {

using namespace std::chrono_literals;

/// Outcomes that count as errors: unavailable, timeout, internal (not a refused or invalid request).
constexpr std::array<std::size_t, 3> error_outcomes = {3, 4, 6};
constexpr std::size_t get = 0, ok = 0, not_found = 1;

/// Keeps `s` in `kept` if the newest kept sample is at least `spacing` older, and drops samples
/// older than `keep` (but one, so that a window always has a start).
template <class Sample>
void retain(std::deque<Sample>& kept, const Sample& s, std::chrono::seconds spacing, std::chrono::seconds keep) {
  if (kept.empty() || s.at - kept.back().at >= spacing)
    kept.push_back(s);
  while (kept.size() > 1 && s.at - kept[1].at >= keep)
    kept.pop_front();
}

derived difference(const std::string& name, const totals& from, const totals& to, double seconds) {
  derived d;
  d.name = name;
  for (std::size_t op = 0; op < operation_count; ++op)
    for (std::size_t o = 0; o < outcome_count; ++o) {
      const auto n = to.requests[op][o] - from.requests[op][o];
      d.requests += n;
      if (op == get)
        d.gets += n;
    }
  d.hits = to.requests[get][ok] - from.requests[get][ok];
  d.misses = to.requests[get][not_found] - from.requests[get][not_found];
  for (std::size_t op = 0; op < operation_count; ++op)
    for (auto o : error_outcomes)
      d.errors += to.requests[op][o] - from.requests[op][o];
  if (d.gets > 0) {
    d.hit_rate = static_cast<double>(d.hits) / d.gets;
    d.miss_rate = static_cast<double>(d.misses) / d.gets;
  }
  if (d.requests > 0)
    d.error_rate = static_cast<double>(d.errors) / d.requests;
  if (seconds > 0)
    d.throughput = d.requests / seconds;
  d.p50_seconds = quantile(0.50, from.get_durations, to.get_durations);
  d.p95_seconds = quantile(0.95, from.get_durations, to.get_durations);
  d.p99_seconds = quantile(0.99, from.get_durations, to.get_durations);
  return d;
}

} // namespace

double quantile(double q, const instruments::histogram::snapshot& from, const instruments::histogram::snapshot& to) {
  const auto& bounds = to.bounds;
  std::vector<std::uint64_t> counts(to.counts.size());
  std::uint64_t total = 0;
  for (std::size_t b = 0; b < counts.size(); ++b) {
    counts[b] = to.counts[b] - (b < from.counts.size() ? from.counts[b] : 0);
    total += counts[b];
  }
  if (total == 0)
    return 0;
  const double rank = q * static_cast<double>(total);
  double below = 0;
  for (std::size_t b = 0; b < counts.size(); ++b) {
    if (below + counts[b] >= rank && counts[b] > 0) {
      if (b == bounds.size()) // the +Inf bucket: the largest finite bound is all that is known
        return bounds.empty() ? 0 : bounds.back();
      const double lower = b == 0 ? 0 : bounds[b - 1];
      return lower + (bounds[b] - lower) * (rank - below) / static_cast<double>(counts[b]);
    }
    below += static_cast<double>(counts[b]);
  }
  return bounds.empty() ? 0 : bounds.back();
}

void windows::add(clock::time_point at, std::vector<totals> sources) {
  sample s{at, std::move(sources)};
  retain(minutes_, s, 60s, 3600s);
  retain(hours_, s, 3600s, 86400s);
  retain(every_, s, 0s, 60s);
}

std::vector<derived> windows::over(std::chrono::seconds span, const std::vector<std::string>& names,
                                   double& covered_seconds) const {
  covered_seconds = 0;
  std::vector<derived> out;
  if (every_.empty()) {
    for (const auto& name : names)
      out.push_back(derived{name});
    return out;
  }
  const auto& newest = every_.back();
  // From the kept sample whose age is nearest the span, older or younger: the first younger one
  // alone missed up to a sample interval (jitter put the one a minute old just past it, so a
  // minute covered 59 s, and 30 s at 30 s a sample).
  const auto& kept = span <= 60s ? every_ : span <= 3600s ? minutes_ : hours_;
  const auto off_span = [&](const sample& s) {
    const auto age = newest.at - s.at;
    return age > span ? age - span : span - age;
  };
  // Ages fall along the list, so the distance falls to the nearest and then grows: stop there (at
  // a 10 ms interval a minute is 6 000 samples). On a tie the older stays.
  const sample* start = &kept.front();
  for (auto s = std::next(kept.begin()); s != kept.end() && off_span(*s) < off_span(*start); ++s)
    start = &*s;
  covered_seconds = std::chrono::duration<double>(newest.at - start->at).count();
  for (std::size_t i = 0; i < names.size(); ++i)
    out.push_back(difference(names[i], start->sources[i], newest.sources[i], covered_seconds));
  return out;
}

} // namespace strata::telemetry
