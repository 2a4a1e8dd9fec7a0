#pragma once
/// @file operation_result.hpp
/// The common part of every answer of the semantic and vector APIs.

#include <strata/status.hpp>

#include <string>

namespace strata {

/// What happened, who answered, and why it failed.
struct operation_result {
  /// ok; not_found (a lookup without a match, an update or erase of an unknown id); invalid (bad
  /// input, e.g. a vector of the wrong dimension, or no configured layer offers the operation);
  /// or the error that stopped the request (unavailable, timeout, internal).
  status code = status::ok;
  std::string layer; ///< the layer that answered; empty when none was asked
  std::string error; ///< why, when `code` is an error; names what and where
  /// False when no layer of the deployment offers the operation at all (`code` is then
  /// `invalid`): the request may be fine, this deployment cannot serve it.
  bool offered = true;
};

} // namespace strata
