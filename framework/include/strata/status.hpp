#pragma once
/// @file status.hpp
/// The outcome of every operation on the hot path: a small enum, no allocation.

#include <cstdint>

namespace strata {

/// What happened to one request or one layer operation.
enum class status : std::uint8_t {
  ok,          ///< the operation succeeded (a get found its key)
  not_found,   ///< a get found no live entry
  rejected,    ///< the layer declined the write (too big, policy)
  unavailable, ///< the layer or its backend cannot serve right now
  timeout,     ///< the layer did not answer within its deadline
  invalid,     ///< bad input: the request is malformed
  internal,    ///< a bug or an exception inside a layer
};

/// The lower-case name of a status, as it appears in logs and metric labels.
constexpr const char* to_string(status s) noexcept {
  switch (s) {
    case status::ok: return "ok";
    case status::not_found: return "not_found";
    case status::rejected: return "rejected";
    case status::unavailable: return "unavailable";
    case status::timeout: return "timeout";
    case status::invalid: return "invalid";
    case status::internal: return "internal";
  }
  return "unknown";
}

/// Why a runtime call ended with `s`, in words for an error message (the HTTP API's "error" and
/// the Redis protocol's `-ERR strata: <status>: <why>`).
constexpr const char* explain(status s) noexcept {
  switch (s) {
    case status::ok: return "succeeded";
    case status::not_found: return "no live entry";
    case status::rejected:
      return "the layers declined the write (too large for their bounds, their policy, or every layer is write: "
             "around)";
    case status::unavailable:
      return "the runtime cannot serve now (shutting down, a layer being replaced, or a layer's backend is down: "
             "the health of the layers, /v1/health or INFO strata, and the server's log say which)";
    case status::timeout: return "a layer, or its backend, did not answer in time";
    case status::invalid: return "the runtime refused the request as malformed";
    case status::internal: return "a layer failed; see the server's log and /v1/health";
  }
  return "unknown";
}

} // namespace strata
