#include "capability_router.hpp"

#include "answered_on_drop.hpp"
#include "host_callback.hpp"
#include "request_checks.hpp"

#include "sync_waiter.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <memory>
#include <stdexcept>

namespace strata::detail {

namespace {

semantic_operations& semantic_of(layer& l) {
  if (auto* ops = l.semantic())
    return *ops;
  throw std::logic_error("the layer no longer offers semantic operations");
}

vector_operations& vectors_of(layer& l) {
  if (auto* ops = l.vectors())
    return *ops;
  throw std::logic_error("the layer no longer offers vector operations");
}

/// Checks a vector that is about to reach a layer.
std::string check_vector(const embedding& v, const std::string& where) {
  if (v.model.empty())
    return where + ": a vector needs its model id (embedding::model)";
  for (float x : v.values)
    if (!std::isfinite(x))
      return where + ": the vector holds a value that is not finite";
  return {};
}

} // namespace

capability_router::capability_router(std::optional<capability_target> semantic, std::optional<capability_target> vectors,
                                     router_hooks hooks, semantic_verifier verifier, telemetry::registry* registry)
  : semantic_(std::move(semantic)), vectors_(std::move(vectors)), hooks_(std::move(hooks)),
    verifier_(std::move(verifier)) {
  if (registry != nullptr && semantic_ && verifier_)
    verifier_rejections_ = &registry->counter("strata_semantic_rejected_hits_total",
                                              "Semantic hits refused by the second-stage check, by reason.",
                                              {"cache_layer", "reason"}, {semantic_->layer, "verifier"});
}

template <class Result>
std::optional<capability_router::ticket> capability_router::begin(operation op,
                                                                  const std::optional<capability_target>& target,
                                                                  const char* family, Result& refused) {
  if (!target) {
    refused.code = status::invalid;
    refused.offered = false;
    refused.error = std::string("no layer of this deployment offers ") + family +
                    " operations (" + to_string(op) + ")";
    return std::nullopt;
  }
  if (!hooks_.enter()) {
    refused.code = status::unavailable;
    refused.error = "the runtime is shutting down";
    return std::nullopt;
  }
  return ticket{op, std::chrono::steady_clock::now()};
}

template <class Result>
Result capability_router::finish(const ticket& t, Result result) {
  if (hooks_.record)
    hooks_.record(t.op, result.code, std::chrono::steady_clock::now() - t.start);
  hooks_.leave();
  return result;
}

namespace {

/// What a call writes in the layer's thread, and whether it has returned.
template <class Result>
struct call_state {
  Result result;
  std::atomic<bool> returned{false};
};

} // namespace

template <class Result>
void capability_router::dispatch(const capability_target& target, operation op, run_fn<Result> run,
                                 std::function<void(Result)> deliver) {
  auto state = std::make_shared<call_state<Result>>();
  auto call = std::make_shared<const layer_call>([state, run = std::move(run)](layer& l) {
    const auto code = run(l, state->result);
    state->returned.store(true, std::memory_order_release);
    return code;
  });
  // Answered `unavailable` if the request is dropped unanswered (the coordinator stopped at
  // shutdown with it in its mailbox, or waiting for the layer): a synchronous caller would wait
  // for ever, and a future would break.
  auto answer = answered_on_drop<layer_reply>(
    [state, deliver = std::move(deliver), name = target.layer](layer_reply reply) {
      // A reply that is not the layer's own (its deadline passed, its instance was replaced)
      // comes while the call may still run in the layer's thread, writing the result: reading it
      // then was a data race, and a crash under a large answer. Only a returned call's result is
      // read.
      Result r = state->returned.load(std::memory_order_acquire) ? std::move(state->result) : Result{};
      r.code = reply.code;
      r.layer = name;
      r.error = reply.error;
      deliver(std::move(r));
    },
    layer_reply{status::unavailable, false, "the runtime stopped before the layer answered", {}, 0});
  hooks_.send(call_request{target.slot, op, std::move(call), [answer](layer_reply& reply) { answer(reply); }});
}

template <class Result>
Result capability_router::call(const ticket& t, const capability_target& target, run_fn<Result> run,
                               const std::function<void(Result&)>& post) {
  if (in_host_callback::on_actor_thread()) { // its answer would need the thread it waits in
    Result refused;
    refused.code = status::invalid;
    refused.error = "a synchronous call from a completion callback, which runs in an actor's thread that its "
                    "answer would need; use the _async form there, or, where there is none, another thread";
    return finish(t, std::move(refused));
  }
  auto waiter = std::make_shared<sync_waiter<Result>>();
  dispatch<Result>(target, t.op, std::move(run), [waiter](Result r) { waiter->set(std::move(r)); });
  auto result = waiter->wait();
  if (post)
    post(result);
  return finish(t, std::move(result));
}

template <class Result>
std::future<Result> capability_router::call_async(const ticket& t, const capability_target& target,
                                                  run_fn<Result> run, std::function<void(Result&)> post) {
  auto promise = std::make_shared<std::promise<Result>>();
  auto future = promise->get_future();
  dispatch<Result>(target, t.op, std::move(run), [this, t, promise, post = std::move(post)](Result r) {
    if (post)
      post(r);
    promise->set_value(finish(t, std::move(r)));
  });
  return future;
}

template <class Result>
std::future<Result> ready(Result r) {
  std::promise<Result> p;
  p.set_value(std::move(r));
  return p.get_future();
}

std::string capability_router::embed(const capability_target& target, const std::vector<const std::string*>& texts,
                                     const std::vector<embedding*>& vectors, bool batch) {
  std::vector<std::string> pending_texts;
  std::vector<embedding*> pending;
  for (std::size_t i = 0; i < vectors.size(); ++i) {
    const auto where = batch ? "item " + std::to_string(i) : std::string("request");
    if (!vectors[i]->values.empty()) {
      if (auto problem = check_vector(*vectors[i], where); !problem.empty())
        return problem;
      continue;
    }
    if (texts[i]->empty())
      return where + ": needs a text or a vector";
    if (target.embed == nullptr)
      return where + ": layer '" + target.layer + "' names no embedder (layers[].embedder); pass a vector with its "
                     "model id instead of a text";
    pending_texts.push_back(*texts[i]);
    pending.push_back(vectors[i]);
  }
  if (pending.empty())
    return {};
  std::vector<std::vector<float>> made;
  std::size_t dimension = 0;
  std::string model;
  try {
    // Host-side code the shutdown waits for: a shutdown started from inside the embedder goes on
    // in a thread of its own.
    const in_host_callback host_code;
    const auto call = embedding_calls_.enter("embedder '" + target.embedder_name + "'");
    const calls_in_flight::in_call marked(call.get(), "embed()");
    made = target.embed->embed(pending_texts);
    dimension = target.embed->dimension();
    model = target.embed->model();
  } catch (const std::exception& e) {
    throw std::runtime_error("embedder '" + target.embedder_name + "' failed: " + e.what());
  } catch (...) {
    throw std::runtime_error("embedder '" + target.embedder_name + "' failed: it threw a non-standard exception");
  }
  if (made.size() != pending.size())
    throw std::runtime_error("embedder '" + target.embedder_name + "' returned " + std::to_string(made.size()) +
                             " vectors for " + std::to_string(pending.size()) + " texts");
  if (model.empty()) // the embedder's fault, not the request's
    throw std::runtime_error("embedder '" + target.embedder_name + "' names no model");
  for (std::size_t i = 0; i < pending.size(); ++i) {
    if (made[i].size() != dimension)
      throw std::runtime_error("embedder '" + target.embedder_name + "' returned a vector of " +
                               std::to_string(made[i].size()) + " floats, declared " + std::to_string(dimension));
    if (std::any_of(made[i].begin(), made[i].end(), [](float x) { return !std::isfinite(x); }))
      throw std::runtime_error("embedder '" + target.embedder_name + "' returned a value that is not finite");
  }
  // Recorded once its vectors are sound: a first call refused for them must not fix the dimension.
  if (const auto first = first_dimension(target.embedder_name, model, dimension); first != dimension)
    throw std::runtime_error("embedder '" + target.embedder_name + "' declares dimension " + std::to_string(dimension) +
                             " for model '" + model + "', which had " + std::to_string(first) +
                             ": one model id must keep its dimension");
  for (std::size_t i = 0; i < pending.size(); ++i) {
    pending[i]->values = std::move(made[i]);
    pending[i]->model = model;
  }
  return {};
}

std::size_t capability_router::first_dimension(const std::string& embedder, const std::string& model,
                                               std::size_t dimension) {
  std::lock_guard<std::mutex> guard(dimensions_mutex_);
  return dimensions_.try_emplace(embedder + '\n' + model, dimension).first->second;
}

template <class Item>
std::string capability_router::checked_batch(const capability_target& target, std::vector<Item>& items) {
  std::vector<const std::string*> texts;
  std::vector<embedding*> vectors;
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (auto problem = request_problem(items[i], "item " + std::to_string(i)); !problem.empty())
      return problem;
    texts.push_back(&items[i].text);
    vectors.push_back(&items[i].vector);
  }
  return embed(target, texts, vectors, true);
}

namespace {

/// Runs `prepare` (checks, embedding); its error message or exception becomes the answer.
template <class Result, class F>
bool prepared(Result& out, F&& prepare) {
  try {
    auto problem = prepare();
    if (problem.empty())
      return true;
    out.code = status::invalid;
    out.error = std::move(problem);
  } catch (const std::exception& e) {
    out.code = status::internal;
    out.error = e.what();
  } catch (...) { // no exception leaves the runtime's API (an embedder's `embed` turns its own)
    out.code = status::internal;
    out.error = "the request's preparation threw a non-standard exception";
  }
  return false;
}

} // namespace

void capability_router::verify(const semantic_lookup_request& request, semantic_result& result,
                               bool in_actor_thread) {
  if (!verifier_ || result.code != status::ok)
    return;
  bool accepted = false;
  try {
    const in_host_callback host_code{in_actor_thread};
    accepted = verifier_(request, result.match);
  } catch (const std::exception& e) {
    result.code = status::internal;
    result.error = std::string("the host's semantic verifier threw: ") + e.what();
    return;
  } catch (...) {
    result.code = status::internal;
    result.error = "the host's semantic verifier threw a non-standard exception";
    return;
  }
  if (accepted)
    return;
  result.code = status::not_found;
  result.match.rejected_by = "verifier";
  if (verifier_rejections_)
    verifier_rejections_->inc();
}

// --- semantic ------------------------------------------------------------------------------------

semantic_result capability_router::semantic_lookup(semantic_lookup_request request) {
  semantic_result out;
  auto t = begin(operation::semantic_lookup, semantic_, "semantic", out);
  if (!t)
    return out;
  if (!prepared(out, [&] { return checked_one(request_problem(request), *semantic_, request.text, request.vector); }))
    return finish(*t, std::move(out));
  auto shared = std::make_shared<const semantic_lookup_request>(std::move(request));
  return call<semantic_result>(
    *t, *semantic_, [shared](layer& l, semantic_result& r) { return semantic_of(l).lookup(*shared, r.match); },
    [this, shared](semantic_result& r) { verify(*shared, r, false); });
}

std::future<semantic_result> capability_router::semantic_lookup_async(semantic_lookup_request request) {
  semantic_result out;
  auto t = begin(operation::semantic_lookup, semantic_, "semantic", out);
  if (!t)
    return ready(std::move(out));
  if (!prepared(out, [&] { return checked_one(request_problem(request), *semantic_, request.text, request.vector); }))
    return ready(finish(*t, std::move(out)));
  auto shared = std::make_shared<const semantic_lookup_request>(std::move(request));
  return call_async<semantic_result>(
    *t, *semantic_, [shared](layer& l, semantic_result& r) { return semantic_of(l).lookup(*shared, r.match); },
    [this, shared](semantic_result& r) { verify(*shared, r, true); });
}

semantic_store_result capability_router::semantic_store(semantic_entry entry) {
  semantic_store_result out;
  auto t = begin(operation::semantic_store, semantic_, "semantic", out);
  if (!t)
    return out;
  if (!prepared(out, [&] { return checked_one(request_problem(entry), *semantic_, entry.query, entry.vector); }))
    return finish(*t, std::move(out));
  return call<semantic_store_result>(*t, *semantic_, [entry = std::move(entry)](layer& l, semantic_store_result& r) {
    return semantic_of(l).store(entry, r.id);
  });
}

std::future<semantic_store_result> capability_router::semantic_store_async(semantic_entry entry) {
  semantic_store_result out;
  auto t = begin(operation::semantic_store, semantic_, "semantic", out);
  if (!t)
    return ready(std::move(out));
  if (!prepared(out, [&] { return checked_one(request_problem(entry), *semantic_, entry.query, entry.vector); }))
    return ready(finish(*t, std::move(out)));
  return call_async<semantic_store_result>(
    *t, *semantic_,
    [entry = std::move(entry)](layer& l, semantic_store_result& r) { return semantic_of(l).store(entry, r.id); });
}

operation_result capability_router::semantic_update(strata::semantic_update update) {
  operation_result out;
  auto t = begin(operation::semantic_update, semantic_, "semantic", out);
  if (!t)
    return out;
  if (!prepared(out, [&] { return request_problem(update); }))
    return finish(*t, std::move(out));
  return call<operation_result>(*t, *semantic_, [update = std::move(update)](layer& l, operation_result&) {
    return semantic_of(l).update(update);
  });
}

operation_result capability_router::semantic_erase(std::string ns, std::uint64_t id) {
  operation_result out;
  auto t = begin(operation::semantic_erase, semantic_, "semantic", out);
  if (!t)
    return out;
  if (!prepared(out, [&] { return namespace_problem(ns, "request"); }))
    return finish(*t, std::move(out));
  return call<operation_result>(*t, *semantic_, [ns = std::move(ns), id](layer& l, operation_result&) {
    return semantic_of(l).erase(ns, id);
  });
}

// --- vectors -------------------------------------------------------------------------------------

vector_add_result capability_router::vector_add(vector_item item) {
  vector_add_result out;
  auto t = begin(operation::vector_add, vectors_, "vector", out);
  if (!t)
    return out;
  if (!prepared(out, [&] { return checked_one(request_problem(item, "request"), *vectors_, item.text, item.vector); }))
    return finish(*t, std::move(out));
  return call<vector_add_result>(*t, *vectors_, [item = std::move(item)](layer& l, vector_add_result& r) {
    return vectors_of(l).add(item, r.id);
  });
}

std::future<vector_add_result> capability_router::vector_add_async(vector_item item) {
  vector_add_result out;
  auto t = begin(operation::vector_add, vectors_, "vector", out);
  if (!t)
    return ready(std::move(out));
  if (!prepared(out, [&] { return checked_one(request_problem(item, "request"), *vectors_, item.text, item.vector); }))
    return ready(finish(*t, std::move(out)));
  return call_async<vector_add_result>(
    *t, *vectors_, [item = std::move(item)](layer& l, vector_add_result& r) { return vectors_of(l).add(item, r.id); });
}

vector_batch_add_result capability_router::vector_add_batch(std::vector<vector_item> items) {
  vector_batch_add_result out;
  auto t = begin(operation::vector_add, vectors_, "vector", out);
  if (!t)
    return out;
  if (!prepared(out, [&] { return checked_batch(*vectors_, items); }))
    return finish(*t, std::move(out));
  auto shared = std::make_shared<const std::vector<vector_item>>(std::move(items));
  return call<vector_batch_add_result>(*t, *vectors_, [shared](layer& l, vector_batch_add_result& r) {
    return vectors_of(l).add_batch(*shared, r.ids);
  });
}

vector_search_result capability_router::vector_search(vector_query query) {
  vector_search_result out;
  auto t = begin(operation::vector_search, vectors_, "vector", out);
  if (!t)
    return out;
  if (!prepared(out,
                [&] { return checked_one(request_problem(query, "request"), *vectors_, query.text, query.vector); }))
    return finish(*t, std::move(out));
  return call<vector_search_result>(*t, *vectors_, [query = std::move(query)](layer& l, vector_search_result& r) {
    return vectors_of(l).search(query, r.hits);
  });
}

std::future<vector_search_result> capability_router::vector_search_async(vector_query query) {
  vector_search_result out;
  auto t = begin(operation::vector_search, vectors_, "vector", out);
  if (!t)
    return ready(std::move(out));
  if (!prepared(out,
                [&] { return checked_one(request_problem(query, "request"), *vectors_, query.text, query.vector); }))
    return ready(finish(*t, std::move(out)));
  return call_async<vector_search_result>(
    *t, *vectors_,
    [query = std::move(query)](layer& l, vector_search_result& r) { return vectors_of(l).search(query, r.hits); });
}

vector_batch_search_result capability_router::vector_search_batch(std::vector<vector_query> queries) {
  vector_batch_search_result out;
  auto t = begin(operation::vector_search, vectors_, "vector", out);
  if (!t)
    return out;
  if (!prepared(out, [&] { return checked_batch(*vectors_, queries); }))
    return finish(*t, std::move(out));
  auto shared = std::make_shared<const std::vector<vector_query>>(std::move(queries));
  return call<vector_batch_search_result>(*t, *vectors_, [shared](layer& l, vector_batch_search_result& r) {
    return vectors_of(l).search_batch(*shared, r.hits);
  });
}

operation_result capability_router::vector_update(vector_item item) {
  operation_result out;
  auto t = begin(operation::vector_update, vectors_, "vector", out);
  if (!t)
    return out;
  if (!prepared(out, [&] { return checked_one(request_problem(item, "request"), *vectors_, item.text, item.vector); }))
    return finish(*t, std::move(out));
  return call<operation_result>(*t, *vectors_, [item = std::move(item)](layer& l, operation_result&) {
    return vectors_of(l).update(item);
  });
}

operation_result capability_router::vector_erase(std::string ns, std::uint64_t id) {
  operation_result out;
  auto t = begin(operation::vector_erase, vectors_, "vector", out);
  if (!t)
    return out;
  if (!prepared(out, [&] { return namespace_problem(ns, "request"); }))
    return finish(*t, std::move(out));
  return call<operation_result>(*t, *vectors_, [ns = std::move(ns), id](layer& l, operation_result&) {
    return vectors_of(l).erase(ns, id);
  });
}

} // namespace strata::detail
