#pragma once
// The command table of the RESP server. A handler answers at once into `out`, or takes a ticket
// (`defer`) and completes it later from any thread; the loop keeps every connection's replies in
// the order of its requests either way. New commands (SEMANTIC.GET, VECTOR.SEARCH, ...) are one
// handler and one row of the table in resp_commands.cpp.

#include "resp_connection.hpp"

#include <memory>
#include <strata/config.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace strata {
class runtime;
}

namespace strata::resp {

class event_loop;

/// The place of a reply that is computed later. `complete` may be called from any thread, once;
/// when the loop is gone (the server stopped before the runtime answered), the reply is dropped.
struct reply_ticket {
  std::weak_ptr<event_loop> loop;
  std::uint32_t connection = 0;
  std::uint32_t sequence = 0;
  void complete(std::string reply) const;
};

/// What INFO reports of the server itself; shared by every loop.
struct server_counters {
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  std::atomic<std::int64_t> connected{0};
  std::atomic<std::uint64_t> connections_received{0};
  std::atomic<std::uint64_t> connections_rejected{0}; ///< beyond max_clients
  std::atomic<std::uint64_t> commands{0};
  std::atomic<std::uint64_t> protocol_errors{0};
  std::atomic<std::uint64_t> bytes_read{0};
  std::atomic<std::uint64_t> bytes_written{0};
  /// CLIENT ID of the next connection: one sequence for every event loop, as Redis's IDs are
  /// unique over the server's life and never reused.
  std::atomic<std::uint64_t> next_client_id{1};
  std::string address; ///< as bound
};

/// What a handler sees of the server and of the request's connection.
struct command_context {
  runtime& rt;
  const resp_settings& settings;
  server_counters& counters;
  event_loop& loop;
  connection& conn;
  std::string& out; ///< an immediate reply goes here

  /// Reserves this request's place in the connection's replies; `keys`: the requests it has the
  /// layers work on at once (connection::in_flight).
  reply_ticket defer(std::size_t keys = 1);
  /// The same, holding the connection's later requests until the reply is ready.
  reply_ticket defer_holding_later(std::size_t keys = 1);
};

using command_args = std::vector<std::string_view>;
using command_handler = void (*)(command_context&, const command_args&);

struct command_spec {
  std::string_view name; ///< upper case
  int arity;             ///< Redis's convention: N exactly N arguments (the name counted), -N at least N
  command_handler handler;
  /// Changes entries: the connection's later requests wait until its reply is ready, so that a
  /// pipelined GET after a SET of the same connection sees the SET, as in Redis.
  bool write = false;
  /// Where the keys are, as COMMAND reports them: the first and last argument that is a key (-1:
  /// the last argument) and the step between keys; 0, 0, 0 for a command without keys.
  int first_key = 0;
  int last_key = 0;
  int key_step = 0;
};

/// The command named `name`, in any case; null when there is none.
const command_spec* find_command(std::string_view name);

/// Runs the request in `args` (non-empty), whose command `spec` is (null: unknown): checks the
/// arity, then runs the handler.
void execute(command_context& ctx, const command_spec* spec, const command_args& args);

/// The text of INFO [section ...]: Redis's layout (`# Section` headers, `key:value` lines), with the
/// runtime's figures under `# Strata`; every section named (Redis 7), all when none is.
std::string info_text(runtime& rt, const server_counters& counters, const resp_settings& settings,
                      const std::vector<std::string_view>& sections);

} // namespace strata::resp
