#pragma once
/// @file embedder.hpp
/// The interface of an embedder plugin (kind STRATA_PLUGIN_EMBEDDER, ABI 1.2): texts in, vectors
/// out, each vector of the declared dimension and tagged with the declared model id.
///
/// Where embedding runs: in the runtime, in the thread of the host call, before the request is sent
/// to the layer. A semantic or vector layer therefore only ever sees vectors and their model id. An
/// embedder is called concurrently from any number of host threads and must be thread-safe.

#include <cstddef>
#include <string>
#include <vector>

namespace strata {

/// A vector and the model that produced it. Vectors of different models are never compared.
struct embedding {
  std::string model;         ///< e.g. "lexical-hash-v2-384-…"; never empty in a stored entry
  std::vector<float> values; ///< `dimension` floats
};

/// Turns texts into vectors.
class embedder {
public:
  virtual ~embedder() = default;

  /// How many floats each vector has.
  virtual std::size_t dimension() const = 0;

  /// The model id recorded with every vector this embedder makes. Two embedders that declare the
  /// same id must produce comparable vectors (same model, same dimension, same normalisation).
  virtual std::string model() const = 0;

  /// One vector of `dimension()` floats per text, in order. Thread-safe. May throw: the request
  /// then fails with `status::internal`.
  virtual std::vector<std::vector<float>> embed(const std::vector<std::string>& texts) = 0;
};

} // namespace strata
