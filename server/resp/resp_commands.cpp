#include "resp_commands.hpp"

#include "resp_event_loop.hpp"
#include "resp_numbers.hpp"
#include "resp_reply.hpp"
#include "resp_semantic.hpp"

#include <strata/ascii.hpp>
#include <strata/runtime.hpp>
#include <strata/units.hpp>

#include <fnmatch.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <functional>
#include <memory>
#include <optional>
#include <unordered_map>

namespace strata::resp {
namespace {

bool equals_nocase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::toupper(static_cast<unsigned char>(x)) == std::toupper(static_cast<unsigned char>(y));
         });
}


/// A runtime status that is not an answer of the command, as a RESP error.
std::string status_error(status s) {
  std::string out;
  append_error(out, std::string("ERR strata: ") + to_string(s) + ": " + explain(s));
  return out;
}

std::string ok_reply() { return "+OK\r\n"; }

std::string null_reply() { return "$-1\r\n"; }

std::string integer_reply(std::int64_t value) {
  std::string out;
  append_integer(out, value);
  return out;
}

void append_get(std::string& out, const get_result& r) {
  if (r.code == status::ok)
    append_bulk(out, r.value);
  else if (r.code == status::not_found)
    append_null(out);
  else
    out += status_error(r.code);
}

/// The bytes an answer adds to its command's reply: a value's (MGET); nothing for a status.
std::uint64_t reply_bytes(const get_result& r) { return r.value.size(); }
std::uint64_t reply_bytes(status) { return 0; }

/// Runs the requests of a multi-key command (one per key) and completes the ticket with `format`
/// once the last has answered, whichever thread each answer comes from. Up to `max_in_flight`
/// keys are sent at once; beyond, `max_in_flight` at a time, the next window once the last of the
/// one before has answered, sent from the event loop's thread: sent all at once, the requests of
/// 25 000 keys waited in the first layer's mailbox past its deadline. Such a command holds the
/// connection's later requests until it is answered, so that none overtakes its last keys.
/// Answers whose values come to more than `max_pipeline` bytes end the command with an error at
/// the end of their window: one MGET of 2000 keys of 1 MB each (18 KB sent) held 2 GB.
template <class T>
class fan_out : public std::enable_shared_from_this<fan_out<T>> {
public:
  using format_fn = std::string (*)(std::vector<T>&);
  using send_fn = void (*)(runtime&, const request_options&, const command_args&, std::size_t,
                           std::function<void(T)>);

  /// `send(args, k, done)` sends request k of `count`.
  static void start(command_context& ctx, const command_args& args, std::size_t count, format_fn format,
                    send_fn send) {
    const auto window = static_cast<std::size_t>(std::max(1, ctx.settings.max_in_flight));
    const bool paced = count > window;
    std::shared_ptr<fan_out> f{new fan_out(ctx, count, window, paced, format, send)};
    if (paced) { // the command's arguments are views into its input, gone once it returns
      f->owned_.assign(args.begin(), args.end());
      f->args_.assign(f->owned_.begin(), f->owned_.end());
    } else {
      f->args_ = args;
    }
    f->send_window();
    if (!paced)
      f->args_.clear(); // all sent
  }

private:
  fan_out(command_context& ctx, std::size_t count, std::size_t window, bool paced, format_fn format, send_fn send)
    : rt_(ctx.rt), where_(ctx.conn.namespace_options), loop_(ctx.loop.weak_from_this()), connection_(ctx.conn.id),
      ticket_(paced ? ctx.defer_holding_later(window) : ctx.defer(count)), results_(count), remaining_(count), window_(window),
      max_reply_(ctx.settings.max_pipeline), format_(format), send_(send) {}

  /// The error that ends a command whose values come to more than `max_reply_` bytes.
  std::string too_large() const {
    std::string out;
    append_error(out, "ERR strata: the reply would be larger than server.resp.max_pipeline (" +
                        std::to_string(max_reply_) + " bytes): ask for fewer keys at once");
    return out;
  }

  /// Sends the next window (on the event loop's thread only).
  void send_window() {
    const auto first = next_;
    const auto n = std::min(window_, results_.size() - first);
    next_ += n;
    window_left_.store(n, std::memory_order_release);
    for (auto k = first; k < first + n; ++k)
      send_(rt_, where_, args_, k, [self = this->shared_from_this(), k](T value) { self->answered(k, std::move(value)); });
  }

  void answered(std::size_t k, T value) {
    const auto bytes = reply_bytes(value);
    if (bytes > 0 && reply_bytes_.fetch_add(bytes, std::memory_order_acq_rel) + bytes > max_reply_)
      over_.store(true, std::memory_order_release);
    if (!over_.load(std::memory_order_acquire)) // over: the values are dropped as they come
      results_[k] = std::move(value);
    if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1)
      return ticket_.complete(over_.load(std::memory_order_acquire) ? too_large() : format_(results_));
    // The window's last answer: the next window, posted to the loop (an answer of the first
    // layer's read view comes back inside its send, which would otherwise recurse); or, over the
    // bound, the error, and no more keys.
    if (window_left_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      if (over_.load(std::memory_order_acquire))
        return ticket_.complete(too_large());
      if (const auto loop = loop_.lock())
        loop->post(connection_, [self = this->shared_from_this()](bool open) {
          if (open)
            return self->send_window();
          self->ticket_.complete({}); // the client is gone: no more keys; the drain waits for none
        });
    }
  }

  runtime& rt_;
  request_options where_;
  std::weak_ptr<event_loop> loop_;
  std::uint32_t connection_;
  reply_ticket ticket_;
  std::vector<T> results_;
  std::atomic<std::size_t> remaining_;
  std::size_t window_;
  std::uint64_t max_reply_;
  std::atomic<std::uint64_t> reply_bytes_{0}; ///< the values answered so far
  std::atomic<bool> over_{false};              ///< they came to more than `max_reply_`
  format_fn format_;
  send_fn send_;
  std::vector<std::string> owned_;
  command_args args_;
  std::size_t next_ = 0;                   ///< the next request to send (the loop's thread only)
  std::atomic<std::size_t> window_left_{0}; ///< the current window's requests not answered yet
};

// --- connection and server ------------------------------------------------------------------

/// Every command of the table below, in its order.
struct command_list {
  const command_spec* first;
  std::size_t count;
  const command_spec* begin() const { return first; }
  const command_spec* end() const { return first + count; }
  std::size_t size() const { return count; }
};
command_list all_commands();

/// PING [message], as in Redis: a second argument is an arity error, not ignored.
void ping(command_context& ctx, const command_args& a) {
  if (a.size() > 2)
    append_error(ctx.out, "ERR wrong number of arguments for 'ping' command");
  else if (a.size() == 1)
    append_simple(ctx.out, "PONG");
  else
    append_bulk(ctx.out, a[1]);
}

void echo(command_context& ctx, const command_args& a) { append_bulk(ctx.out, a[1]); }

void quit(command_context& ctx, const command_args&) {
  append_simple(ctx.out, "OK");
  ctx.conn.close_when_flushed = true;
}

/// SELECT 0 is the namespace `default`; SELECT n another number is `db<n>`; SELECT name (any
/// other non-empty bytes, as the HTTP API's `ns` takes them: "2024-12-06", "my ns") is the
/// namespace of that name.
void select(command_context& ctx, const command_args& a) {
  std::int64_t index = 0;
  std::string ns;
  const auto digits = a[1].substr(!a[1].empty() && a[1][0] == '-' ? 1 : 0);
  const bool numeral = !digits.empty() && std::all_of(digits.begin(), digits.end(), [](unsigned char c) {
    return std::isdigit(c);
  });
  if (parse_number(a[1], index)) {
    if (index < 0)
      return append_error(ctx.out, "ERR DB index is out of range");
    ns = index == 0 ? std::string(default_namespace) : "db" + std::to_string(index);
  } else if (numeral && digits.size() > 1 && digits[0] == '0') {
    // No index (Redis refuses it too) and no name either: 007 would read as the index 7 to one
    // client and as the name "007" to another. Said so, since it is a valid namespace elsewhere.
    return append_error(ctx.out, "ERR DB index '" + std::string(a[1]) +
                                   "' has leading zeros: a namespace named by a whole number cannot be selected; "
                                   "reach it over HTTP (?ns=), or by SEMANTIC.* and VECTOR.*'s NS");
  } else if (numeral || a[1].empty()) {
    // A number a 64-bit index cannot hold is no index, as in Redis, and no name either; nor is
    // an empty argument.
    return append_error(ctx.out, "ERR value is not an integer or out of range");
  } else {
    ns = std::string(a[1]);
  }
  ctx.conn.namespace_options.ns = std::move(ns);
  append_simple(ctx.out, "OK");
}

void info(command_context& ctx, const command_args& a) {
  append_bulk(ctx.out, info_text(ctx.rt, ctx.counters, ctx.settings, {a.begin() + 1, a.end()}));
}

/// One command's entry in COMMAND's reply, in the layout of Redis before 7 (name, arity, flags,
/// first key, last key, step), which clients after 7 read too.
void append_command_entry(std::string& out, const command_spec& spec) {
  append_array_header(out, 6);
  append_bulk(out, ascii_lower(spec.name));
  append_integer(out, spec.arity);
  // Redis's flags for what touches keys: `write`, or `readonly` for a read of keys; none for the
  // connection's own commands (PING, HELLO, ...) and for the semantic and vector reads, which
  // take no key.
  const char* flag = spec.write ? "write" : spec.first_key > 0 ? "readonly" : nullptr;
  append_array_header(out, flag ? 1 : 0);
  if (flag)
    append_simple(out, flag);
  append_integer(out, spec.first_key);
  append_integer(out, spec.last_key);
  append_integer(out, spec.key_step);
}

/// COMMAND, COUNT, LIST, INFO [name...] (every command without a name, as Redis 7) and DOCS
/// (empty: no documentation is served).
void command(command_context& ctx, const command_args& a) {
  const auto commands = all_commands();
  if (a.size() == 1) {
    append_array_header(ctx.out, commands.size());
    for (const auto& spec : commands)
      append_command_entry(ctx.out, spec);
    return;
  }
  const auto sub = a[1];
  if (equals_nocase(sub, "COUNT") && a.size() == 2)
    return append_integer(ctx.out, static_cast<std::int64_t>(commands.size()));
  if (equals_nocase(sub, "DOCS"))
    return append_array_header(ctx.out, 0);
  if (equals_nocase(sub, "LIST") && a.size() == 2) {
    append_array_header(ctx.out, commands.size());
    for (const auto& spec : commands)
      append_bulk(ctx.out, ascii_lower(spec.name));
    return;
  }
  if (equals_nocase(sub, "INFO") && a.size() == 2) {
    append_array_header(ctx.out, commands.size());
    for (const auto& spec : commands)
      append_command_entry(ctx.out, spec);
    return;
  }
  if (equals_nocase(sub, "INFO")) {
    append_array_header(ctx.out, a.size() - 2);
    for (std::size_t i = 2; i < a.size(); ++i)
      if (const auto* spec = find_command(a[i]))
        append_command_entry(ctx.out, *spec);
      else
        append_null_array(ctx.out);
    return;
  }
  append_error(ctx.out, "ERR unknown subcommand or wrong number of arguments for 'command|" + std::string(sub) +
                          "' (strata answers COMMAND, COMMAND COUNT, LIST, INFO and DOCS)");
}

/// CONFIG GET answers the few parameters clients read on connect (redis-benchmark reads `save`
/// and `appendonly`); the configuration itself is the YAML file.
void config_command(command_context& ctx, const command_args& a) {
  if (!equals_nocase(a[1], "GET"))
    return append_error(ctx.out, "ERR CONFIG " + std::string(a[1]) +
                                   " is not supported: strata is configured by its YAML file (SIGHUP reloads it)");
  if (a.size() != 3)
    return append_error(ctx.out, "ERR wrong number of arguments for 'config|get' command");
  // As Redis has them: the address in `bind`, the port apart (bind said "127.0.0.1:6380").
  const auto bound = units::parse_host_port(ctx.counters.address);
  const std::pair<const char*, std::string> parameters[] = {
    {"save", ""},
    {"appendonly", "no"},
    {"maxclients", std::to_string(ctx.settings.max_clients)},
    {"proto-max-bulk-len", std::to_string(ctx.settings.max_bulk)},
    {"bind", bound ? bound->host : ctx.counters.address},
    {"port", bound ? std::to_string(bound->port) : std::string()},
  };
  const std::string pattern = ascii_lower(a[2]);
  std::vector<const std::pair<const char*, std::string>*> matched;
  for (const auto& p : parameters)
    if (fnmatch(pattern.c_str(), p.first, 0) == 0)
      matched.push_back(&p);
  append_array_header(ctx.out, matched.size() * 2);
  for (const auto* p : matched) {
    append_bulk(ctx.out, p->first);
    append_bulk(ctx.out, p->second);
  }
}

/// Names the connection (as in Redis: no spaces or newlines; empty clears it), or appends why not.
bool set_client_name(command_context& ctx, std::string_view name) {
  if (std::any_of(name.begin(), name.end(), [](unsigned char c) { return c <= ' ' || c > '~'; })) {
    append_error(ctx.out, "ERR Client names cannot contain spaces, newlines or special characters.");
    return false;
  }
  ctx.conn.name = std::string(name);
  return true;
}

/// CLIENT SETNAME names the connection for GETNAME (as in Redis: one argument, no spaces or
/// newlines; an empty name clears it); SETINFO, which client libraries send on connect, is
/// accepted and ignored.
void client(command_context& ctx, const command_args& a) {
  if (equals_nocase(a[1], "SETNAME")) {
    if (a.size() != 3)
      return append_error(ctx.out, "ERR wrong number of arguments for 'client|setname' command");
    if (set_client_name(ctx, a[2]))
      append_simple(ctx.out, "OK");
    return;
  }
  if (equals_nocase(a[1], "SETINFO"))
    return append_simple(ctx.out, "OK");
  if (equals_nocase(a[1], "GETNAME"))
    return ctx.conn.name.empty() ? append_null(ctx.out) : append_bulk(ctx.out, ctx.conn.name);
  if (equals_nocase(a[1], "ID"))
    return append_integer(ctx.out, static_cast<std::int64_t>(ctx.conn.client_id));
  append_error(ctx.out, "ERR unknown subcommand '" + std::string(a[1]) + "'. Supported: SETNAME, SETINFO, GETNAME, ID");
}

/// HELLO: RESP2 only. Clients that try RESP3 first fall back on the NOPROTO error. AUTH is refused:
/// there are no users, and a client that sent credentials must not take itself for authenticated.
void hello(command_context& ctx, const command_args& a) {
  if (a.size() > 1 && a[1] != "2")
    return append_error(ctx.out, "NOPROTO sorry, this protocol version is not supported");
  std::optional<std::string_view> name; // set once every option is known good, as in Redis
  for (std::size_t i = 2; i < a.size(); ++i) {
    if (equals_nocase(a[i], "AUTH") && i + 2 < a.size())
      return append_error(ctx.out, "ERR AUTH is not supported: strata's Redis protocol has no users or passwords "
                                   "(keep it on a trusted interface)");
    if (equals_nocase(a[i], "SETNAME") && i + 1 < a.size()) {
      name = a[++i];
      continue;
    }
    return append_error(ctx.out, "ERR Syntax error in HELLO option '" + std::string(a[i]) + "'");
  }
  if (name && !set_client_name(ctx, *name))
    return;
  append_array_header(ctx.out, 14);
  append_bulk(ctx.out, "server");
  append_bulk(ctx.out, "strata");
  append_bulk(ctx.out, "version");
  append_bulk(ctx.out, "7.0.0");
  append_bulk(ctx.out, "proto");
  append_integer(ctx.out, 2);
  append_bulk(ctx.out, "id");
  append_integer(ctx.out, static_cast<std::int64_t>(ctx.conn.client_id));
  append_bulk(ctx.out, "mode");
  append_bulk(ctx.out, "standalone");
  append_bulk(ctx.out, "role");
  append_bulk(ctx.out, "master");
  append_bulk(ctx.out, "modules");
  append_array_header(ctx.out, 0);
}

// --- keys -------------------------------------------------------------------------------------

void get(command_context& ctx, const command_args& a) {
  const auto ticket = ctx.defer();
  // A first-layer hit runs the callback here, in the loop's thread; anything else later.
  ctx.rt.get_async(a[1], ctx.conn.namespace_options, [ticket](get_result r) {
    std::string out;
    append_get(out, r);
    ticket.complete(std::move(out));
  });
}

/// SET key value [EX seconds | PX milliseconds] [NX | XX]
void set(command_context& ctx, const command_args& a) {
  put_options options;
  options.ns = ctx.conn.namespace_options.ns;
  // As Redis: an option given again takes its last value; EX with PX, or NX with XX, is an error.
  bool has_ex = false, has_px = false;
  for (std::size_t i = 3; i < a.size(); ++i) {
    const bool ex = equals_nocase(a[i], "EX"), px = equals_nocase(a[i], "PX");
    if (ex || px) {
      std::int64_t amount = 0;
      if ((ex ? has_px : has_ex) || i + 1 == a.size())
        return append_error(ctx.out, "ERR syntax error");
      if (!parse_number(a[++i], amount)) // as Redis: the number first, then its range
        return append_error(ctx.out, "ERR value is not an integer or out of range");
      if (amount <= 0)
        return append_error(ctx.out, "ERR invalid expire time in 'set' command");
      if (amount > units::max_ttl.count() / (ex ? 1000 : 1))
        return append_error(ctx.out, "ERR invalid expire time in 'set' command (strata takes up to " +
                                       std::to_string(units::max_duration_days) + " days)");
      options.ttl = std::chrono::milliseconds(ex ? amount * 1000 : amount);
      (ex ? has_ex : has_px) = true;
    } else if (equals_nocase(a[i], "NX") || equals_nocase(a[i], "XX")) {
      const auto wanted = equals_nocase(a[i], "NX") ? put_condition::if_absent : put_condition::if_present;
      if (options.condition != put_condition::always && options.condition != wanted)
        return append_error(ctx.out, "ERR syntax error");
      options.condition = wanted;
    } else {
      return append_error(ctx.out, "ERR syntax error (strata's SET takes EX, PX, NX and XX)");
    }
  }
  if (options.condition == put_condition::if_absent) {
    // `rejected` is both "the key exists" and "no layer kept the value" (too large, every layer
    // write: around): only the first is nil, which a client taking a lock reads as "held by
    // another". A get tells them apart (a key written meanwhile makes NX fail all the same). The
    // connection's later requests wait for it: a DEL pipelined after the NX ran before that get,
    // which then found nothing and answered an error for a key that existed.
    const auto ticket = ctx.defer_holding_later();
    runtime& rt = ctx.rt;
    ctx.rt.put_async(a[1], a[2], options,
                     [ticket, &rt, key = std::string(a[1]), where = ctx.conn.namespace_options](status s) {
                       if (s != status::rejected)
                         return ticket.complete(s == status::ok ? ok_reply() : status_error(s));
                       // A get that could not tell (timeout, unavailable) says so: taken for
                       // "absent", it blamed the value's size for a key that existed.
                       rt.get_async(key, where, [ticket](get_result r) {
                         ticket.complete(r.code == status::ok          ? null_reply()
                                         : r.code == status::not_found ? status_error(status::rejected)
                                                                       : status_error(r.code));
                       });
                     });
    return;
  }
  const auto ticket = ctx.defer();
  const bool conditional = options.condition == put_condition::if_present;
  ctx.rt.put_async(a[1], a[2], options, [ticket, conditional](status s) {
    if (s == status::ok)
      ticket.complete(ok_reply());
    else if (conditional && s == status::not_found)
      ticket.complete(null_reply()); // XX on a missing key: nothing was written
    else
      ticket.complete(status_error(s));
  });
}

std::string count_ok(std::vector<status>& results) {
  std::int64_t n = 0;
  for (auto s : results) {
    if (s != status::ok && s != status::not_found)
      return status_error(s);
    n += s == status::ok;
  }
  return integer_reply(n);
}

/// DEL key [key ...]: how many existed.
void del(command_context& ctx, const command_args& a) {
  fan_out<status>::start(ctx, a, a.size() - 1, &count_ok,
                         [](runtime& rt, const request_options& where, const command_args& args, std::size_t k,
                            std::function<void(status)> done) { rt.erase_async(args[k + 1], where, std::move(done)); });
}

/// EXISTS key [key ...]: how many exist (a key named twice counts twice, as in Redis).
void exists(command_context& ctx, const command_args& a) {
  fan_out<status>::start(ctx, a, a.size() - 1, &count_ok,
                         [](runtime& rt, const request_options& where, const command_args& args, std::size_t k,
                            std::function<void(status)> done) {
                           rt.get_async(args[k + 1], where, [done = std::move(done)](get_result r) { done(r.code); });
                         });
}

std::string mget_reply(std::vector<get_result>& results) {
  // A key whose lookup failed is not known to be absent: a nil would say it is. Redis has no
  // such case; the whole command answers the failure, as a GET of that key would.
  for (const auto& r : results)
    if (r.code != status::ok && r.code != status::not_found)
      return status_error(r.code);
  std::string out;
  append_array_header(out, results.size());
  for (const auto& r : results) {
    if (r.code == status::ok)
      append_bulk(out, r.value);
    else
      append_null(out);
  }
  return out;
}

void mget(command_context& ctx, const command_args& a) {
  fan_out<get_result>::start(ctx, a, a.size() - 1, &mget_reply,
                             [](runtime& rt, const request_options& where, const command_args& args, std::size_t k,
                                std::function<void(get_result)> done) { rt.get_async(args[k + 1], where, std::move(done)); });
}

std::string all_ok(std::vector<status>& results) {
  for (auto s : results)
    if (s != status::ok)
      return status_error(s);
  return ok_reply();
}

/// MSET key value [key value ...]: each pair is its own put (not atomic across keys).
void mset(command_context& ctx, const command_args& a) {
  if (a.size() % 2 == 0)
    return append_error(ctx.out, "ERR wrong number of arguments for 'mset' command");
  fan_out<status>::start(ctx, a, (a.size() - 1) / 2, &all_ok,
                         [](runtime& rt, const request_options& where, const command_args& args, std::size_t k,
                            std::function<void(status)> done) {
                           put_options options;
                           options.ns = where.ns;
                           rt.put_async(args[2 * k + 1], args[2 * k + 2], options, std::move(done));
                         });
}

/// EXPIRE key seconds, PEXPIRE key milliseconds: 1 when the key exists; a time <= 0 deletes it.
void expire_in(command_context& ctx, const command_args& a, std::int64_t unit_ms) {
  std::int64_t amount = 0;
  const auto bound = units::max_ttl.count() / unit_ms; // as for SET's EX and PX, both ways
  if (!parse_number(a[2], amount))
    return append_error(ctx.out, "ERR value is not an integer or out of range");
  if (amount > bound || amount < -bound)
    return append_error(ctx.out, std::string("ERR invalid expire time in '") + (unit_ms == 1 ? "pexpire" : "expire") +
                                   "' command (strata takes up to " + std::to_string(units::max_duration_days) +
                                   " days)");
  if (a.size() > 3)
    return append_error(ctx.out, "ERR strata's EXPIRE takes no NX, XX, GT or LT option");
  const auto ticket = ctx.defer();
  const auto answer = [ticket](status s) {
    if (s == status::ok || s == status::not_found)
      ticket.complete(integer_reply(s == status::ok ? 1 : 0));
    else
      ticket.complete(status_error(s));
  };
  if (amount <= 0)
    ctx.rt.erase_async(a[1], ctx.conn.namespace_options, answer);
  else
    ctx.rt.expire_async(a[1], std::chrono::milliseconds(amount * unit_ms), ctx.conn.namespace_options, answer);
}

void expire(command_context& ctx, const command_args& a) { expire_in(ctx, a, 1000); }
void pexpire(command_context& ctx, const command_args& a) { expire_in(ctx, a, 1); }

/// TTL and PTTL: -2 when the key does not exist, -1 when it does not expire.
void ttl_in(command_context& ctx, const command_args& a, bool milliseconds) {
  const auto ticket = ctx.defer();
  ctx.rt.get_with_ttl_async(a[1], ctx.conn.namespace_options, [ticket, milliseconds](get_result r) {
    if (r.code == status::not_found)
      return ticket.complete(integer_reply(-2));
    if (r.code != status::ok)
      return ticket.complete(status_error(r.code));
    const auto ms = r.ttl.value_or(std::chrono::milliseconds{0}).count();
    if (ms <= 0)
      return ticket.complete(integer_reply(-1));
    ticket.complete(integer_reply(milliseconds ? ms : (ms + 500) / 1000));
  });
}

void ttl(command_context& ctx, const command_args& a) { ttl_in(ctx, a, false); }
void pttl(command_context& ctx, const command_args& a) { ttl_in(ctx, a, true); }

const command_spec table[] = {
  // name, arity, handler, write, first key, last key, key step
  {"PING", -1, &ping},
  {"ECHO", 2, &echo},
  {"QUIT", -1, &quit},
  {"SELECT", 2, &select},
  {"INFO", -1, &info},
  {"COMMAND", -1, &command},
  {"CONFIG", -2, &config_command},
  {"CLIENT", -2, &client},
  {"HELLO", -1, &hello},
  {"GET", 2, &get, false, 1, 1, 1},
  {"SET", -3, &set, true, 1, 1, 1},
  {"DEL", -2, &del, true, 1, -1, 1},
  {"EXISTS", -2, &exists, false, 1, -1, 1},
  {"MGET", -2, &mget, false, 1, -1, 1},
  {"MSET", -3, &mset, true, 1, -1, 2},
  {"EXPIRE", -3, &expire, true, 1, 1, 1},
  {"PEXPIRE", -3, &pexpire, true, 1, 1, 1},
  {"TTL", 2, &ttl, false, 1, 1, 1},
  {"PTTL", 2, &pttl, false, 1, 1, 1},
  {"SEMANTIC.GET", -2, &semantic_get},
  {"SEMANTIC.SET", -3, &semantic_set, true},
  {"SEMANTIC.DEL", -2, &semantic_del, true},
  {"VECTOR.ADD", -2, &vector_add, true},
  {"VECTOR.SEARCH", -2, &vector_search},
  {"VECTOR.DEL", -2, &vector_del, true},
};

command_list all_commands() { return {table, sizeof table / sizeof table[0]}; }

} // namespace

const command_spec* find_command(std::string_view name) {
  static const auto index = [] {
    std::unordered_map<std::string_view, const command_spec*> by_name;
    for (const auto& spec : table)
      by_name.emplace(spec.name, &spec);
    return by_name;
  }();
  char upper[32];
  if (name.size() > sizeof upper)
    return nullptr;
  for (std::size_t i = 0; i < name.size(); ++i)
    upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(name[i])));
  const auto it = index.find(std::string_view(upper, name.size()));
  return it == index.end() ? nullptr : it->second;
}

void execute(command_context& ctx, const command_spec* spec, const command_args& args) {
  if (!spec) {
    std::string message = "ERR unknown command '" + std::string(args[0].substr(0, 128)) + "', with args beginning with: ";
    for (std::size_t i = 1; i < args.size() && i < 4; ++i)
      message += "'" + std::string(args[i].substr(0, 64)) + "' ";
    return append_error(ctx.out, message);
  }
  const auto n = static_cast<int>(std::min<std::size_t>(args.size(), 1 << 30));
  if ((spec->arity > 0 && n != spec->arity) || (spec->arity < 0 && n < -spec->arity))
    return append_error(ctx.out, "ERR wrong number of arguments for '" + ascii_lower(spec->name) + "' command");
  spec->handler(ctx, args);
}

} // namespace strata::resp
