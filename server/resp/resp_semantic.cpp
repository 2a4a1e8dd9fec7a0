#include "resp_semantic.hpp"

#include "resp_numbers.hpp"
#include "resp_reply.hpp"

#include <strata/runtime.hpp>
#include <strata/units.hpp>
#include <strata/vectors.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <exception>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>
#include <utility>

namespace strata::resp {
namespace {

static_assert(sizeof(float) == 4, "FP32 blobs are read as 4-byte floats");

bool keyword(std::string_view arg, std::string_view word) {
  return arg.size() == word.size() && std::equal(arg.begin(), arg.end(), word.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) == y;
         });
}

/// An argument quoted in an error, cut short.
std::string quoted(std::string_view arg) { return "'" + std::string(arg.substr(0, 64)) + "'"; }

/// Everything an option of these commands may set.
struct command_options {
  std::optional<double> threshold;
  std::chrono::milliseconds ttl{0};
  bool has_ttl = false;
  std::vector<std::string> tags;
  std::string metadata;
  std::string ns;
  std::uint64_t id = 0;
  std::size_t k = 10;
  std::string model{default_vector_model};
  bool has_model = false;
};

/// Semantic and vector ids as a Redis integer: 1 to max_entry_id, as over HTTP.
constexpr auto largest_id = static_cast<std::int64_t>(max_entry_id);

/// Reads the options `a[from..]` that `allowed` lists (upper case) into `o`; an error text or empty.
std::string read_options(const command_args& a, std::size_t from, std::string_view command,
                         std::initializer_list<std::string_view> allowed, command_options& o) {
  std::set<std::string_view> given;
  for (std::size_t i = from; i < a.size(); ++i) {
    const auto known = std::find_if(allowed.begin(), allowed.end(), [&](std::string_view w) { return keyword(a[i], w); });
    if (known == allowed.end()) {
      std::string names;
      for (const auto w : allowed)
        names += (names.empty() ? "" : ", ") + std::string(w);
      return "ERR syntax error: unknown option " + quoted(a[i]) + "; " + std::string(command) + " takes " + names;
    }
    const std::string_view name = *known;
    // Given twice, the last one won: a namespace or tags the client did not mean.
    if (!given.insert(name).second && name != "TTL" && name != "PX")
      return "ERR syntax error: " + std::string(name) + " is given twice";
    if (i + 1 == a.size())
      return "ERR syntax error: " + std::string(name) + " needs a value";
    const std::string_view value = a[++i];
    if (name == "THRESHOLD") {
      double t = 0;
      if (!parse_number(value, t) || !(std::abs(t) <= 1))
        return "ERR THRESHOLD expects a number from -1 to 1, got " + quoted(value);
      o.threshold = t;
    } else if (name == "TTL" || name == "PX") {
      std::int64_t amount = 0;
      if (o.has_ttl)
        return "ERR syntax error: give TTL or PX once";
      if (!parse_number(value, amount) || amount <= 0 || amount > units::max_ttl.count() / (name == "TTL" ? 1000 : 1))
        return "ERR " + std::string(name) + " expects a positive integer of " +
               (name == "TTL" ? "seconds" : "milliseconds") + " up to " + std::to_string(units::max_duration_days) +
               " days, got " + quoted(value);
      o.ttl = std::chrono::milliseconds(name == "TTL" ? amount * 1000 : amount);
      o.has_ttl = true;
    } else if (name == "TAGS") {
      std::size_t n = 0;
      if (!parse_number(value, n) || n > a.size() - i - 1)
        return "ERR TAGS expects a count followed by that many tags, got " + quoted(value);
      o.tags.assign(a.begin() + static_cast<std::ptrdiff_t>(i) + 1, a.begin() + static_cast<std::ptrdiff_t>(i + 1 + n));
      // An empty tag could never be invalidated (an invalidation names a tag).
      for (std::size_t t = 0; t < n; ++t)
        if (o.tags[t].empty())
          return "ERR TAGS: tag " + std::to_string(t + 1) + " of " + std::to_string(n) + " is empty";
      i += n;
    } else if (name == "META") {
      o.metadata = std::string(value);
    } else if (name == "NS") {
      if (value.empty())
        return "ERR NS expects a non-empty namespace";
      o.ns = std::string(value);
    } else if (name == "ID") {
      // The ids HTTP takes, so that an entry added here can be reached there too.
      std::int64_t id = 0;
      if (!parse_number(value, id) || id <= 0 || id > largest_id)
        return "ERR ID expects an integer from 1 to 9007199254740991 (2^53 - 1), got " + quoted(value);
      o.id = static_cast<std::uint64_t>(id);
    } else if (name == "K") {
      if (!parse_number(value, o.k) || o.k == 0 || o.k > (1u << 20))
        return "ERR K expects an integer from 1 to 1048576, got " + quoted(value);
    } else if (name == "MODEL") {
      if (value.empty())
        return "ERR MODEL expects a non-empty model id";
      o.model = std::string(value);
      o.has_model = true;
    }
  }
  return {};
}

/// What a vector command is about, from `a[1]`: `TEXT t`, `FP32 blob`, or comma-separated
/// numbers. `next` receives the index of the first option; an error text or empty.
std::string read_subject(const command_args& a, std::string& text, embedding& vector, std::size_t& next) {
  if (keyword(a[1], "TEXT") || keyword(a[1], "FP32")) {
    if (a.size() < 3)
      return "ERR syntax error: " + std::string(keyword(a[1], "TEXT") ? "TEXT" : "FP32") + " needs a value";
    next = 3;
    if (keyword(a[1], "TEXT")) {
      if (a[2].empty())
        return "ERR TEXT expects a non-empty text";
      text = std::string(a[2]);
      return {};
    }
    const auto blob = a[2];
    if (blob.empty() || blob.size() % 4 != 0)
      return "ERR FP32 expects a blob of 4-byte little-endian floats, got " + std::to_string(blob.size()) + " bytes";
    vector.values.resize(blob.size() / 4);
    for (std::size_t i = 0; i < vector.values.size(); ++i) {
      const auto* b = reinterpret_cast<const unsigned char*>(blob.data()) + 4 * i;
      const std::uint32_t bits = std::uint32_t{b[0]} | std::uint32_t{b[1]} << 8 | std::uint32_t{b[2]} << 16 |
                                 std::uint32_t{b[3]} << 24;
      std::memcpy(&vector.values[i], &bits, 4);
      if (!std::isfinite(vector.values[i]))
        return "ERR FP32 holds a value that is not finite (float " + std::to_string(i) + ")";
    }
    return {};
  }
  next = 2;
  std::string_view rest = a[1];
  while (true) {
    const auto comma = rest.find(',');
    const auto item = rest.substr(0, comma);
    // Read as a double, as the HTTP API reads JSON: a float's from_chars refused 1e-50, which
    // rounds to 0 there, as "not a number"; and a double's refuses 1e-400 (0 there too) and 1e400
    // (past a float's range, as 1e39 is), which strtod reads as 0 and infinity.
    double x = 0;
    const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), x);
    const bool whole = !item.empty() && end == item.data() + item.size();
    if (whole && ec == std::errc::result_out_of_range)
      x = std::strtod(std::string(item).c_str(), nullptr);
    else if (!whole || ec != std::errc{} || !std::isfinite(x))
      return "ERR expected TEXT t, FP32 blob, or a vector of comma-separated numbers; " + quoted(item) +
             " is not a number";
    if (!(std::abs(x) <= static_cast<double>(std::numeric_limits<float>::max())))
      return "ERR expected numbers within the range of a 32-bit float; " + quoted(item) + " is not";
    vector.values.push_back(static_cast<float>(x));
    if (comma == std::string_view::npos)
      return {};
    rest.remove_prefix(comma + 1);
  }
}

/// The model of a host vector; MODEL beside TEXT is refused (the layer's embedder decides it).
std::string model_of(const command_options& o, embedding& vector) {
  if (vector.values.empty())
    return o.has_model ? "ERR syntax error: MODEL names the model of a vector; TEXT is embedded by the layer's embedder"
                       : std::string{};
  vector.model = o.model;
  return {};
}

std::string namespace_of(const command_options& o, std::string_view selected_ns) {
  return o.ns.empty() ? std::string(selected_ns) : o.ns;
}

/// "0.912345": a score as Redis writes doubles in RESP2, a bulk string.
std::string score_text(double score) {
  char text[32];
  const int n = std::snprintf(text, sizeof text, "%.6f", score);
  return std::string(text, static_cast<std::size_t>(std::max(n, 0)));
}

/// A failed runtime call, with the runtime's message.
std::string failure(const operation_result& result) {
  std::string out;
  append_error(out, std::string("ERR strata: ") + to_string(result.code) + ": " +
                      (result.error.empty() ? std::string(explain(result.code)) : result.error));
  return out;
}

/// Runs the runtime calls of these commands, one after another, off the event loops: a call
/// embeds its text and waits for the layer. One thread: the order the loops queue them is kept.
class worker {
public:
  ~worker() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable())
      thread_.join();
  }

  void post(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!thread_.joinable())
        thread_ = std::thread([this] { run(); });
      jobs_.push_back(std::move(job));
    }
    wake_.notify_one();
  }

private:
  void run() {
    while (true) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        if (jobs_.empty())
          return;
        job = std::move(jobs_.front());
        jobs_.pop_front();
      }
      job();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

/// Embeds and sends (the runtime's calls); for the calls with a future, `the_waiter` then waits
/// for the answers in order, so that the embedding of the next request overlaps the layer's work
/// on this one and a pipelined batch is in flight at once.
worker& the_worker() {
  static worker w;
  return w;
}

worker& the_waiter() {
  static worker w;
  return w;
}

/// Takes the request's ticket and completes it with what `compute` (run on the worker) returns.
template <class F>
void answer_off_loop(command_context& ctx, F compute) {
  const auto ticket = ctx.defer();
  the_worker().post([ticket, compute = std::move(compute)]() mutable {
    std::string reply;
    try {
      reply = compute();
    } catch (const std::exception& e) {
      append_error(reply, std::string("ERR strata: internal: ") + e.what());
    }
    ticket.complete(std::move(reply));
  });
}

/// As `answer_off_loop`, for a call with a future: `start` (on the worker) returns it, `format` (on
/// the waiter) turns its result into the reply.
template <class Start, class Format>
void answer_through_future(command_context& ctx, Start start, Format format) {
  const auto ticket = ctx.defer();
  the_worker().post([ticket, start = std::move(start), format = std::move(format)]() mutable {
    try {
      auto answer = std::make_shared<decltype(start())>(start());
      the_waiter().post([ticket, answer, format] {
        std::string reply;
        try {
          reply = format(answer->get());
        } catch (const std::exception& e) {
          append_error(reply, std::string("ERR strata: internal: ") + e.what());
        }
        ticket.complete(std::move(reply));
      });
    } catch (const std::exception& e) {
      std::string reply;
      append_error(reply, std::string("ERR strata: internal: ") + e.what());
      ticket.complete(std::move(reply));
    }
  });
}

/// The value of `parsed`, or null once its error is in `ctx.out`.
template <class T>
T* usable(parsed_command<T>& parsed, command_context& ctx) {
  if (const auto* error = std::get_if<std::string>(&parsed)) {
    append_error(ctx.out, *error);
    return nullptr;
  }
  return &std::get<T>(parsed);
}

std::string integer_reply(std::int64_t value) {
  std::string out;
  append_integer(out, value);
  return out;
}

/// 1 when the entry was there, 0 when not, as DEL.
std::string erased_reply(const operation_result& result) {
  if (result.code == status::ok || result.code == status::not_found)
    return integer_reply(result.code == status::ok ? 1 : 0);
  return failure(result);
}

} // namespace

parsed_command<semantic_lookup_request> parse_semantic_get(const command_args& a, std::string_view selected_ns) {
  command_options o;
  if (auto error = read_options(a, 2, "SEMANTIC.GET", {"THRESHOLD", "NS"}, o); !error.empty())
    return error;
  if (a[1].empty())
    return std::string("ERR SEMANTIC.GET expects a non-empty query");
  semantic_lookup_request request;
  request.text = std::string(a[1]);
  request.threshold = o.threshold;
  request.ns = namespace_of(o, selected_ns);
  return request;
}

parsed_command<semantic_entry> parse_semantic_set(const command_args& a, std::string_view selected_ns) {
  command_options o;
  if (auto error = read_options(a, 3, "SEMANTIC.SET", {"TTL", "PX", "TAGS", "META", "NS"}, o); !error.empty())
    return error;
  if (a[1].empty())
    return std::string("ERR SEMANTIC.SET expects a non-empty query");
  semantic_entry entry;
  entry.query = std::string(a[1]);
  entry.answer = std::string(a[2]);
  entry.metadata = std::move(o.metadata);
  entry.tags = std::move(o.tags);
  entry.ttl = o.ttl;
  entry.ns = namespace_of(o, selected_ns);
  return entry;
}

parsed_command<vector_item> parse_vector_add(const command_args& a, std::string_view selected_ns) {
  vector_item item;
  std::size_t next = 0;
  if (auto error = read_subject(a, item.text, item.vector, next); !error.empty())
    return error;
  command_options o;
  if (auto error = read_options(a, next, "VECTOR.ADD", {"MODEL", "ID", "TTL", "PX", "TAGS", "META", "NS"}, o);
      !error.empty())
    return error;
  if (auto error = model_of(o, item.vector); !error.empty())
    return error;
  item.id = o.id;
  item.metadata = std::move(o.metadata);
  item.tags = std::move(o.tags);
  item.ttl = o.ttl;
  item.ns = namespace_of(o, selected_ns);
  return item;
}

parsed_command<vector_query> parse_vector_search(const command_args& a, std::string_view selected_ns) {
  vector_query query;
  std::size_t next = 0;
  if (auto error = read_subject(a, query.text, query.vector, next); !error.empty())
    return error;
  command_options o;
  if (auto error = read_options(a, next, "VECTOR.SEARCH", {"MODEL", "K", "TAGS", "NS"}, o); !error.empty())
    return error;
  if (auto error = model_of(o, query.vector); !error.empty())
    return error;
  query.k = o.k;
  query.tags = std::move(o.tags);
  query.ns = namespace_of(o, selected_ns);
  return query;
}

parsed_command<erase_command> parse_erase(const command_args& a, std::string_view selected_ns) {
  std::int64_t id = 0;
  if (!parse_number(a[1], id) || id <= 0 || id > largest_id)
    return "ERR the id must be an integer from 1 to 9007199254740991 (2^53 - 1), got " + quoted(a[1]);
  command_options o;
  if (auto error = read_options(a, 2, keyword(a[0], "VECTOR.DEL") ? "VECTOR.DEL" : "SEMANTIC.DEL", {"NS"}, o);
      !error.empty())
    return error;
  erase_command command;
  command.id = static_cast<std::uint64_t>(id);
  command.options.ns = namespace_of(o, selected_ns);
  return command;
}

/// A hit: [answer, score, id]; a miss: nil.
void semantic_get(command_context& ctx, const command_args& a) {
  auto parsed = parse_semantic_get(a, ctx.conn.namespace_options.ns);
  auto* request = usable(parsed, ctx);
  if (!request)
    return;
  auto start = [&rt = ctx.rt, request = std::move(*request)]() mutable {
    return rt.semantic_lookup_async(std::move(request));
  };
  answer_through_future(ctx, std::move(start), [](const semantic_result& result) {
    if (result.code == status::not_found)
      return std::string("$-1\r\n");
    if (result.code != status::ok)
      return failure(result);
    std::string out;
    append_array_header(out, 3);
    append_bulk(out, result.match.answer);
    append_bulk(out, score_text(result.match.score));
    append_integer(out, static_cast<std::int64_t>(result.match.id));
    return out;
  });
}

/// The new entry's id.
void semantic_set(command_context& ctx, const command_args& a) {
  auto parsed = parse_semantic_set(a, ctx.conn.namespace_options.ns);
  auto* entry = usable(parsed, ctx);
  if (!entry)
    return;
  auto start = [&rt = ctx.rt, entry = std::move(*entry)]() mutable { return rt.semantic_store_async(std::move(entry)); };
  answer_through_future(ctx, std::move(start), [](const semantic_store_result& result) {
    return result.code == status::ok ? integer_reply(static_cast<std::int64_t>(result.id)) : failure(result);
  });
}

void semantic_del(command_context& ctx, const command_args& a) {
  auto parsed = parse_erase(a, ctx.conn.namespace_options.ns);
  auto* command = usable(parsed, ctx);
  if (!command)
    return;
  answer_off_loop(ctx, [&rt = ctx.rt, command = *command] {
    return erased_reply(rt.semantic_erase(command.id, command.options));
  });
}

/// The new entry's id.
void vector_add(command_context& ctx, const command_args& a) {
  auto parsed = parse_vector_add(a, ctx.conn.namespace_options.ns);
  auto* item = usable(parsed, ctx);
  if (!item)
    return;
  auto start = [&rt = ctx.rt, item = std::move(*item)]() mutable { return rt.vector_add_async(std::move(item)); };
  answer_through_future(ctx, std::move(start), [](const vector_add_result& result) {
    return result.code == status::ok ? integer_reply(static_cast<std::int64_t>(result.id)) : failure(result);
  });
}

/// [[id, score, metadata], ...], best first.
void vector_search(command_context& ctx, const command_args& a) {
  auto parsed = parse_vector_search(a, ctx.conn.namespace_options.ns);
  auto* query = usable(parsed, ctx);
  if (!query)
    return;
  auto start = [&rt = ctx.rt, query = std::move(*query)]() mutable { return rt.vector_search_async(std::move(query)); };
  answer_through_future(ctx, std::move(start), [](const vector_search_result& result) {
    if (result.code != status::ok)
      return failure(result);
    std::string out;
    append_array_header(out, result.hits.size());
    for (const auto& hit : result.hits) {
      append_array_header(out, 3);
      append_integer(out, static_cast<std::int64_t>(hit.id));
      append_bulk(out, score_text(hit.score));
      append_bulk(out, hit.metadata);
    }
    return out;
  });
}

void vector_del(command_context& ctx, const command_args& a) {
  auto parsed = parse_erase(a, ctx.conn.namespace_options.ns);
  auto* command = usable(parsed, ctx);
  if (!command)
    return;
  answer_off_loop(ctx, [&rt = ctx.rt, command = *command] {
    return erased_reply(rt.vector_erase(command.id, command.options));
  });
}

} // namespace strata::resp
