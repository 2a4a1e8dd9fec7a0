#pragma once
/// @file entry.hpp
/// What a cache entry carries besides its key and value, and the per-request options.

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata {

/// The namespace (tenant) a request uses when it names none. No layer answers across namespaces.
inline constexpr std::string_view default_namespace = "default";

/// Metadata written with a value.
struct entry_options {
  /// Time to live; zero means the entry does not expire. On a hit it is the time that remains.
  std::chrono::milliseconds ttl{0};
  /// Tags, for `invalidate_tag`.
  std::vector<std::string> tags;
  /// When non-zero, what the entry charges against the layer's byte bound instead of its measured
  /// size (as a weigher does: the cost of a large object, or of a slow recomputation).
  std::uint64_t cost = 0;
};

/// Options every request takes.
struct request_options {
  /// The namespace (tenant) of the request.
  std::string ns{default_namespace};
};

/// Options of a put: the namespace and the entry's metadata.
struct put_options : request_options, entry_options {};

} // namespace strata
