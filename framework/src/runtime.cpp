// The runtime's API: requests, their synchronous and asynchronous forms, commands, health and metrics,
// and its stop.

#include "runtime_impl.hpp"

namespace strata {

namespace {

template <class T>
T await(detail::runtime_log& log, const std::function<void(std::function<void(T)>)>& submit) {
  // A completion callback runs in an actor's thread, which the answer would need: waiting there
  // never ended.
  if (detail::in_host_callback::on_actor_thread()) {
    log.write(log_level::error, {"a synchronous runtime call from a completion callback was refused (it would wait "
                                 "for the thread the callback runs in); use its _async form there, or, where there is none, another thread",
                                 {}, {}, to_string(status::invalid), {}, {}, {}});
    auto refused = detail::answer_of<T>(status::invalid);
    if constexpr (std::is_same_v<T, command_result>)
      refused.json = R"({"error": "a synchronous call from a completion callback"})";
    return refused;
  }
  auto waiter = std::make_shared<detail::sync_waiter<T>>();
  submit([waiter](T result) { waiter->set(std::move(result)); });
  return waiter->wait();
}

/// An empty `done` would be called with the answer and throw std::bad_function_call, logged as a
/// callback's failure after the request had run: refused before it starts, in the caller's code.
template <class T>
void require_callback(const std::function<void(T)>& done, const char* function) {
  if (!done)
    throw std::invalid_argument(std::string("strata::runtime::") + function +
                                ": the completion callback is empty (to not wait for the answer, pass one "
                                "that ignores it)");
}

template <class T>
std::pair<std::future<T>, std::function<void(T)>> promise_pair() {
  auto promise = std::make_shared<std::promise<T>>();
  auto future = promise->get_future();
  return {std::move(future), [promise](T result) { promise->set_value(std::move(result)); }};
}

/// The threads that stop and free runtimes destroyed in their own callbacks. Joined when the
/// process exits, before the statics they use (CAF's, the log's) go: made at the first such
/// destruction, it is destroyed before what was made earlier.
class background_stops {
public:
  static void start(std::unique_ptr<runtime_impl> impl) {
    auto& self = instance();
    std::lock_guard<std::mutex> guard(self.mutex_);
    self.threads_.emplace_back([impl = std::move(impl)]() mutable {
      detail::ensure_alternate_stack(); // plugins' destructors run here
      impl->stop();
      impl.reset();
    });
  }
  ~background_stops() {
    for (auto& t : threads_)
      t.join();
  }

private:
  static background_stops& instance() {
    static background_stops stops;
    return stops;
  }
  std::mutex mutex_;
  std::vector<std::thread> threads_;
};

} // namespace

runtime::runtime(std::unique_ptr<runtime_impl> impl) : impl_(std::move(impl)) {}

runtime::~runtime() {
  if (detail::in_host_callback::active()) {
    // This thread cannot wait for the runtime's others, and must not free what they use: a
    // thread of its own stops the runtime and frees it (joined at exit at the latest).
    impl_->log->write(log_level::warn, {"runtime destroyed from its own loader or callback: it stops in the background",
                                        {}, {}, {}, {}, {}, {}});
    background_stops::start(std::move(impl_));
    return;
  }
  shutdown();
}

void runtime::shutdown() { impl_->stop(); }

get_result runtime::get(std::string_view key, const request_options& options) {
  if (!impl_->accepting.load(std::memory_order_relaxed))
    return get_result{status::unavailable, {}, {}, {}};
  get_result hit;
  // From a completion callback `await` refuses the call, whether or not the read view holds the key:
  // answered when it did, a host's misuse passed its tests and failed at the first miss.
  const auto answer = detail::in_host_callback::on_actor_thread() ? runtime_impl::view_answer::absent
                                                                  : impl_->try_first_view(key, options.ns, hit);
  if (answer == runtime_impl::view_answer::hit) {
    if (!impl_->observers.empty())
      impl_->observe(interaction_kind::get, options.ns, key, hit.layer, status::ok, std::chrono::nanoseconds{-1});
    return hit;
  }
  return await<get_result>(*impl_->log, [&](std::function<void(get_result)> done) {
    impl_->submit_get(key, options.ns, runtime_impl::first_layer_to_ask(answer), std::move(done));
  });
}

status runtime::put(std::string_view key, std::string_view value, const put_options& options) {
  return await<status>(*impl_->log, [&](std::function<void(status)> done) {
    impl_->submit_put(key, value, options, std::move(done));
  });
}

status runtime::erase(std::string_view key, const request_options& options) {
  return await<status>(*impl_->log, [&](std::function<void(status)> done) {
    impl_->submit_erase(key, options.ns, std::move(done));
  });
}

invalidate_result runtime::invalidate_tag(std::string_view tag, const request_options& options) {
  return await<invalidate_result>(*impl_->log, [&](std::function<void(invalidate_result)> done) {
    impl_->submit_tag(tag, options.ns, std::move(done));
  });
}

std::future<get_result> runtime::get_async(std::string_view key, const request_options& options) {
  auto [future, done] = promise_pair<get_result>();
  get_async(key, options, std::move(done));
  return std::move(future);
}

void runtime::get_async(std::string_view key, const request_options& options,
                        std::function<void(get_result)> done) {
  require_callback(done, "get_async");
  if (!impl_->accepting.load(std::memory_order_relaxed))
    return impl_->answer_now(done, get_result{status::unavailable, {}, {}, {}});
  get_result hit;
  const auto answer = impl_->try_first_view(key, options.ns, hit);
  if (answer == runtime_impl::view_answer::hit) {
    if (!impl_->observers.empty())
      impl_->observe(interaction_kind::get, options.ns, key, hit.layer, status::ok, std::chrono::nanoseconds{-1});
    return impl_->answer_now(done, std::move(hit));
  }
  impl_->submit_get(key, options.ns, runtime_impl::first_layer_to_ask(answer), std::move(done));
}

std::future<status> runtime::put_async(std::string_view key, std::string_view value, const put_options& options) {
  auto [future, done] = promise_pair<status>();
  put_async(key, value, options, std::move(done));
  return std::move(future);
}

void runtime::put_async(std::string_view key, std::string_view value, const put_options& options,
                        std::function<void(status)> done) {
  require_callback(done, "put_async");
  impl_->submit_put(key, value, options, std::move(done));
}

std::future<status> runtime::erase_async(std::string_view key, const request_options& options) {
  auto [future, done] = promise_pair<status>();
  impl_->submit_erase(key, options.ns, std::move(done));
  return std::move(future);
}

void runtime::erase_async(std::string_view key, const request_options& options, std::function<void(status)> done) {
  require_callback(done, "erase_async");
  impl_->submit_erase(key, options.ns, std::move(done));
}

get_result runtime::get_with_ttl(std::string_view key, const request_options& options) {
  return await<get_result>(*impl_->log, [&](std::function<void(get_result)> done) {
    impl_->submit_get(key, options.ns, 0, std::move(done));
  });
}

void runtime::get_with_ttl_async(std::string_view key, const request_options& options,
                                 std::function<void(get_result)> done) {
  require_callback(done, "get_with_ttl_async");
  impl_->submit_get(key, options.ns, 0, std::move(done));
}

status runtime::expire(std::string_view key, std::chrono::milliseconds ttl, const request_options& options) {
  return await<status>(*impl_->log, [&](std::function<void(status)> done) { expire_async(key, ttl, options, std::move(done)); });
}

void runtime::expire_async(std::string_view key, std::chrono::milliseconds ttl, const request_options& options,
                           std::function<void(status)> done) {
  require_callback(done, "expire_async");
  put_options put;
  put.ns = options.ns;
  put.ttl = ttl;
  put.condition = put_condition::if_present;
  impl_->submit_put(key, {}, put, std::move(done), true);
}

std::future<invalidate_result> runtime::invalidate_tag_async(std::string_view tag, const request_options& options) {
  auto [future, done] = promise_pair<invalidate_result>();
  impl_->submit_tag(tag, options.ns, std::move(done));
  return std::move(future);
}

semantic_result runtime::semantic_lookup(semantic_lookup_request request) {
  return impl_->capabilities->semantic_lookup(std::move(request));
}

semantic_store_result runtime::semantic_store(semantic_entry entry) {
  return impl_->capabilities->semantic_store(std::move(entry));
}

operation_result runtime::semantic_update(strata::semantic_update update) {
  return impl_->capabilities->semantic_update(std::move(update));
}

operation_result runtime::semantic_erase(std::uint64_t id, const request_options& options) {
  return impl_->capabilities->semantic_erase(options.ns, id);
}

vector_add_result runtime::vector_add(vector_item item) { return impl_->capabilities->vector_add(std::move(item)); }

vector_batch_add_result runtime::vector_add_batch(std::vector<vector_item> items) {
  return impl_->capabilities->vector_add_batch(std::move(items));
}

vector_search_result runtime::vector_search(vector_query query) {
  return impl_->capabilities->vector_search(std::move(query));
}

vector_batch_search_result runtime::vector_search_batch(std::vector<vector_query> queries) {
  return impl_->capabilities->vector_search_batch(std::move(queries));
}

operation_result runtime::vector_update(vector_item item) { return impl_->capabilities->vector_update(std::move(item)); }

operation_result runtime::vector_erase(std::uint64_t id, const request_options& options) {
  return impl_->capabilities->vector_erase(options.ns, id);
}

std::future<semantic_result> runtime::semantic_lookup_async(semantic_lookup_request request) {
  return impl_->capabilities->semantic_lookup_async(std::move(request));
}

std::future<semantic_store_result> runtime::semantic_store_async(semantic_entry entry) {
  return impl_->capabilities->semantic_store_async(std::move(entry));
}

std::future<vector_add_result> runtime::vector_add_async(vector_item item) {
  return impl_->capabilities->vector_add_async(std::move(item));
}

std::future<vector_search_result> runtime::vector_search_async(vector_query query) {
  return impl_->capabilities->vector_search_async(std::move(query));
}

command_result runtime::layer_command(std::string_view layer, std::string_view command, std::string_view json_args) {
  if (!impl_->enter())
    return command_result{status::unavailable, R"({"error":"the runtime is shutting down"})"};
  struct leave_guard {
    runtime_impl& impl;
    ~leave_guard() { impl.leave(); }
  } counted{*impl_};
  auto result = await<command_result>(*impl_->log, [&](std::function<void(command_result)> done) {
    caf::anon_send(impl_->coordinator, detail::command_atom::value,
                   detail::command_request{std::string(layer), std::string(command), std::string(json_args),
                                           detail::answered_on_drop(std::move(done), command_result{
                                             status::unavailable, R"({"error":"the runtime is shutting down"})"})});
  });
  // What a plugin wrote is passed on as a JSON object (the HTTP API serves it as application/json):
  // checked here, in the caller's thread, not in the coordinator's.
  const auto starts = result.json.find_first_not_of(" \t\r\n");
  if (starts == std::string::npos || result.json[starts] != '{' || !nlohmann::json::accept(result.json)) {
    const auto why = "layer '" + std::string(layer) + "' answered command '" + std::string(command) +
                     "' with text that is not a JSON object";
    impl_->log->write(log_level::warn, {why, std::string(layer), "command", to_string(status::internal), {}, {}, {}});
    result = command_result{status::internal, nlohmann::json{{"error", why}}.dump()};
  }
  return result;
}

health_report runtime::health() const {
  auto report = impl_->hub->health();
  // What the layers last said is kept, but the runtime no longer serves.
  if (!impl_->accepting.load(std::memory_order_relaxed)) {
    report.system.push_back(system_check{"runtime", health_level::critical,
                                         "shut down: every request is refused (unavailable)", 0, 0});
    report.overall = health_level::critical;
  }
  return report;
}

const config& runtime::effective_config() const { return impl_->cfg; }

runtime_stats runtime::stats(stats_window window) const { return impl_->hub->stats(window); }

std::string runtime::prometheus_text() const {
  return impl_->metrics ? telemetry::prometheus_text(impl_->hub->metrics()) : "";
}

telemetry_snapshot runtime::snapshot() const { return impl_->hub->snapshot(); }

void runtime::export_now() {
  if (impl_->exports.empty() || !impl_->enter())
    return;
  struct leave_guard {
    runtime_impl& impl;
    ~leave_guard() { impl.leave(); }
  } counted{*impl_};
  {
    const auto schedulers = impl_->exports; // as at the count: a shutdown past its drain clears them
    caf::scoped_actor self{*impl_->system};
    // All asked before any answer is awaited: one exporter stuck in its publish delays no other's.
    std::vector<decltype(self->request(schedulers.front(), caf::infinite, detail::export_now_atom::value))> asked;
    for (const auto& scheduler : schedulers)
      asked.push_back(self->request(scheduler, caf::infinite, detail::export_now_atom::value));
    for (auto& answer : asked)
      answer.receive([](bool) {}, [](caf::error&) {});
  }
  detail::release_caf_logger();
}

std::vector<active_alert> runtime::alerts() const {
  return impl_->alerts ? impl_->alerts->active() : std::vector<active_alert>{};
}

std::vector<alert_event> runtime::alert_history() const {
  return impl_->alerts ? impl_->alerts->history() : std::vector<alert_event>{};
}

bool runtime::acknowledge_alert(const std::string& rule) { return impl_->alerts && impl_->alerts->acknowledge(rule); }

bool runtime::set_log_level(const std::string& level) {
  if (!detail::valid_log_level(level))
    return false;
  impl_->log->set_level(level);
  std::lock_guard<std::mutex> guard(impl_->reload_mutex);
  impl_->current_level = level;
  return true;
}

} // namespace strata
