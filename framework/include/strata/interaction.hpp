#pragma once
/// @file interaction.hpp
/// What the runtime tells an observing layer (the diary) of every request it answered. The
/// runtime calls `interaction_observer::record` in the thread that saw the answer (the caller's
/// thread for a first-layer hit): it must be thread-safe, must not block and should cost tens of
/// nanoseconds (copy what it keeps into a buffer and return).

#include <strata/status.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace strata {

/// Which request an interaction was.
enum class interaction_kind : std::uint8_t { get, put, erase, invalidate_tag };

constexpr const char* to_string(interaction_kind k) noexcept {
  switch (k) {
    case interaction_kind::get: return "get";
    case interaction_kind::put: return "put";
    case interaction_kind::erase: return "erase";
    case interaction_kind::invalidate_tag: return "invalidate_tag";
  }
  return "unknown";
}

/// One answered request. The views are valid only during the call.
struct interaction {
  interaction_kind kind = interaction_kind::get;
  std::string_view ns;
  std::string_view key;   ///< the key, the query text, or the tag of a tag invalidation
  std::string_view layer; ///< the layer that answered a get ("loader", or empty on a miss)
  status outcome = status::ok; ///< for a get: ok is a hit
  /// How long the request took; negative when it was not measured (a first-layer hit, served in
  /// the caller's thread, is not timed, to keep it as cheap as a hash lookup).
  std::chrono::nanoseconds latency{-1};
  const float* embedding = nullptr; ///< the query's embedding when there is one
  std::size_t dimension = 0;
};

/// Receives every interaction; see the file comment for the rules.
class interaction_observer {
public:
  virtual ~interaction_observer() = default;
  virtual void record(const interaction& what) noexcept = 0;
};

} // namespace strata
