#pragma once
/// @file successor_model.hpp
/// Which key tends to follow which: for each recently seen key, its few most frequent successors
/// with counts that decay, so that a prediction follows the current pattern. Bounded memory.

#include <cstddef>
#include <cstdint>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace strata::predictive {

/// A bounded table: at most `max_keys` source keys (the least recently seen is forgotten first),
/// each with at most `successors` slots (a new successor takes the slot of the least counted one,
/// as in the Space-Saving sketch). A source's counts are halved once it has seen `decay_after`
/// transitions since the last halving, so old habits fade. Keys are opaque strings (the layer
/// uses namespace + '\0' + key). Not thread-safe.
class successor_model {
public:
  struct prediction {
    std::string key;
    double confidence = 0; ///< the share of the source's recent transitions that went to `key`
    std::uint32_t count = 0;
  };

  successor_model(std::size_t max_keys, std::size_t successors, std::uint32_t decay_after = 32);

  /// One observed transition `from` → `to` (ignored when they are equal).
  void observe(const std::string& from, const std::string& to);

  /// The most frequent successor of `from`, if it was seen following `from` at least
  /// `min_count` times recently.
  std::optional<prediction> predict(const std::string& from, std::uint32_t min_count = 2) const;

  /// Source keys tracked.
  std::size_t keys() const noexcept { return sources_.size(); }

private:
  struct successor {
    std::string key;
    std::uint32_t count = 0;
  };
  struct source {
    std::vector<successor> next;
    std::uint32_t total = 0;     ///< transitions counted (decayed with the counts)
    std::list<std::string>::iterator age;
  };

  source& find_or_add(const std::string& from);

  std::size_t max_keys_;
  std::size_t successors_;
  std::uint32_t decay_after_;
  std::list<std::string> recency_; ///< source keys, most recently seen first
  std::unordered_map<std::string, source> sources_;
};

} // namespace strata::predictive
