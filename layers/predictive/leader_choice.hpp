#pragma once
/// @file leader_choice.hpp
/// Which of `adaptive_window`'s two shadows the store follows.

#include <cstdint>

namespace strata::predictive {

/// Follow the leader between two shadows of the same bounds, a GreedyDual-Size (`gds_shadow`:
/// recency, with small entries outliving large ones of the same age; exactly LRU when charges are
/// equal) and a W-TinyLFU with the configured window, fed the same requests as the store: the
/// store holds what the GreedyDual-Size shadow holds until the W-TinyLFU shadow leads, then what
/// that shadow holds until the GreedyDual-Size one leads. Recency first, because W-TinyLFU's
/// advantage needs frequencies that have not been learnt yet, and a store that changes leader
/// misses once more each key the new leader holds and it does not.
///
/// A shadow leads when it has hit more over all requests so far by a margin that is both worth
/// the change (2 % of the other's misses) and more than chance: over the requests where exactly
/// one of the two hit, two equally good policies would each win about half, so a lead is taken
/// only beyond 5 standard deviations of that count (5 × its square root; 4 and 6 measured the
/// same). Cumulative counts keep it from chasing short phases, which costs twice per phase.
/// Checked every 32 requests.
struct leader_choice {
  static constexpr double margin = 0.02;
  static constexpr double deviations = 5.0;
  static constexpr std::uint64_t period = 32;
  std::uint64_t gds = 0;      ///< the GreedyDual-Size shadow's hits
  std::uint64_t tinylfu = 0;  ///< the W-TinyLFU shadow's
  std::uint64_t disputed = 0; ///< requests that only one of the two hit
  std::uint64_t seen = 0;     ///< requests counted
  bool gds_leads = true;

  /// Counts one request; returns whether the store should now follow the GreedyDual-Size shadow.
  bool count(bool gds_hit, bool tinylfu_hit) noexcept {
    gds += gds_hit ? 1 : 0;
    tinylfu += tinylfu_hit ? 1 : 0;
    disputed += gds_hit != tinylfu_hit ? 1 : 0;
    if (++seen % period != 0) return gds_leads;
    const auto lead = [this](std::uint64_t hits, std::uint64_t other, std::uint64_t other_misses) {
      if (hits <= other) return false;
      const auto by = static_cast<double>(hits - other);
      return by > margin * static_cast<double>(other_misses) &&
             by * by > deviations * deviations * static_cast<double>(disputed);
    };
    if (gds_leads && lead(tinylfu, gds, seen - gds))
      gds_leads = false;
    else if (!gds_leads && lead(gds, tinylfu, seen - tinylfu))
      gds_leads = true;
    return gds_leads;
  }
};

} // namespace strata::predictive
