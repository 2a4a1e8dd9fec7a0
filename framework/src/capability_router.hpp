#pragma once
// The runtime's side of the semantic and vector APIs: picks the layer that serves each family of
// operations (the first of the chain that offers it), embeds texts in the calling thread with that
// layer's embedder, sends the operation to the coordinator, and applies the host's verifier to a
// semantic hit. Knows no CAF: the runtime hands it a function that sends a call_request.

#include "calls_in_flight.hpp"
#include "messages.hpp"

#include <strata/embedder.hpp>
#include <strata/metrics_registry.hpp>
#include <strata/runtime.hpp>

#include <chrono>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace strata::detail {

/// The layer that serves one family of operations, and its embedder (null: vectors only).
struct capability_target {
  std::size_t slot = 0;
  std::string layer;
  embedder* embed = nullptr;
  std::string embedder_name;
};

/// What the router needs of the runtime.
struct router_hooks {
  std::function<bool()> enter;  ///< counts a request in; false once shutdown began
  std::function<void()> leave;  ///< counts it out
  std::function<void(call_request)> send; ///< to the coordinator
  /// Records a finished request in the runtime's own metrics; may be empty.
  std::function<void(operation, status, std::chrono::steady_clock::duration)> record;
};

class capability_router {
public:
  /// `registry` may be null (metrics off).
  capability_router(std::optional<capability_target> semantic, std::optional<capability_target> vectors,
                    router_hooks hooks, semantic_verifier verifier, telemetry::registry* registry);

  semantic_result semantic_lookup(semantic_lookup_request request);
  semantic_store_result semantic_store(semantic_entry entry);
  operation_result semantic_update(strata::semantic_update update);
  operation_result semantic_erase(std::string ns, std::uint64_t id);

  vector_add_result vector_add(vector_item item);
  vector_batch_add_result vector_add_batch(std::vector<vector_item> items);
  vector_search_result vector_search(vector_query query);
  vector_batch_search_result vector_search_batch(std::vector<vector_query> queries);
  operation_result vector_update(vector_item item);
  operation_result vector_erase(std::string ns, std::uint64_t id);

  std::future<semantic_result> semantic_lookup_async(semantic_lookup_request request);
  std::future<semantic_store_result> semantic_store_async(semantic_entry entry);
  std::future<vector_add_result> vector_add_async(vector_item item);
  std::future<vector_search_result> vector_search_async(vector_query query);

  /// The calls in an embedder now (each in its caller's thread, outside the actors): the runtime
  /// frees its embedders only once there is none.
  const calls_in_flight& embedding_calls() const { return embedding_calls_; }

private:
  /// A request counted in: when it started, what it is.
  struct ticket {
    operation op;
    std::chrono::steady_clock::time_point start;
  };

  template <class Result>
  using run_fn = std::function<status(layer&, Result&)>;

  /// Checks the target and counts the request in; on refusal `refused` holds the answer.
  template <class Result>
  std::optional<ticket> begin(operation op, const std::optional<capability_target>& target, const char* family,
                              Result& refused);
  /// Records and counts out a request; returns `result`.
  template <class Result>
  Result finish(const ticket& t, Result result);
  /// Sends `run` to the target's layer; `deliver` gets the raw result in the coordinator's thread.
  template <class Result>
  void dispatch(const capability_target& target, operation op, run_fn<Result> run,
                std::function<void(Result)> deliver);
  /// Sends and waits; `post` (if set) runs on the result in the calling thread; then finishes.
  template <class Result>
  Result call(const ticket& t, const capability_target& target, run_fn<Result> run,
              const std::function<void(Result&)>& post = {});
  /// Sends; the future gets the finished result (`post` runs on it first, if set).
  template <class Result>
  std::future<Result> call_async(const ticket& t, const capability_target& target, run_fn<Result> run,
                                 std::function<void(Result&)> post = {});

  /// Fills `vectors[i]` from `texts[i]` where it has no values; checks every vector. An error
  /// message, or empty: of "item i" of a `batch` (of one too), else of the "request".
  std::string embed(const capability_target& target, const std::vector<const std::string*>& texts,
                    const std::vector<embedding*>& vectors, bool batch);
  std::string embed_one(const capability_target& target, const std::string& text, embedding& vector) {
    return embed(target, {&text}, {&vector}, false);
  }
  /// `problem` (what the request's own check found), or when there is none, `embed_one`.
  std::string checked_one(const std::string& problem, const capability_target& target, const std::string& text,
                          embedding& vector) {
    return problem.empty() ? embed_one(target, text, vector) : problem;
  }
  /// Checks each item of a batch, naming the first bad one by its position, then embeds the texts
  /// of those without a vector.
  template <class Item>
  std::string checked_batch(const capability_target& target, std::vector<Item>& items);
  /// The dimension `embedder` first declared for `model` (`dimension`, the first time): the layers
  /// keep one per model, and refused another as the client's `vector`.
  std::size_t first_dimension(const std::string& embedder, const std::string& model, std::size_t dimension);
  /// The host's verifier on a hit; `in_actor_thread` for an async lookup, whose answer the
  /// coordinator's thread runs (a synchronous call from the verifier is refused there).
  void verify(const semantic_lookup_request& request, semantic_result& result, bool in_actor_thread);

  std::optional<capability_target> semantic_;
  std::optional<capability_target> vectors_;
  router_hooks hooks_;
  semantic_verifier verifier_;
  instruments::counter* verifier_rejections_ = nullptr;
  std::mutex dimensions_mutex_;
  std::map<std::string, std::size_t> dimensions_; ///< by embedder and model, as `first_dimension` keeps them
  calls_in_flight embedding_calls_;
};

} // namespace strata::detail
