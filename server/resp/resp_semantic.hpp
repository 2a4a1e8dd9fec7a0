#pragma once
// The semantic and vector commands of the RESP server: SEMANTIC.GET, SEMANTIC.SET, SEMANTIC.DEL,
// VECTOR.ADD, VECTOR.SEARCH, VECTOR.DEL. Their arguments are parsed in the loop's thread (the
// parsers below, which the unit tests call directly); the runtime call, which embeds a text in
// the calling thread, runs on a worker thread of its own, and a second thread waits for the
// answers (the runtime has futures, not callbacks, for these operations) and completes the
// request's ticket: the event loops never embed nor wait.

#include "resp_commands.hpp"

#include <strata/entry.hpp>
#include <strata/semantic.hpp>
#include <strata/vectors.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

namespace strata::resp {

/// A parsed command, or the error text (without the leading '-') that refuses it.
template <class T>
using parsed_command = std::variant<T, std::string>;

/// SEMANTIC.DEL and VECTOR.DEL: `id [NS ns]`.
struct erase_command {
  std::uint64_t id = 0;
  request_options options;
};

/// The model id of a vector given without MODEL.
inline constexpr std::string_view default_vector_model = "host";

// `selected_ns` is the namespace SELECT chose; NS overrides it.

/// `SEMANTIC.GET query [THRESHOLD t] [NS ns]`
parsed_command<semantic_lookup_request> parse_semantic_get(const command_args& a, std::string_view selected_ns);
/// `SEMANTIC.SET query answer [TTL seconds | PX ms] [TAGS n t1 .. tn] [META text] [NS ns]`
parsed_command<semantic_entry> parse_semantic_set(const command_args& a, std::string_view selected_ns);
/// `VECTOR.ADD subject [MODEL m] [ID id] [TTL seconds | PX ms] [TAGS n t1 .. tn] [META text] [NS ns]`, where
/// subject is `TEXT t`, `FP32 blob` (little-endian 32-bit floats) or comma-separated numbers.
parsed_command<vector_item> parse_vector_add(const command_args& a, std::string_view selected_ns);
/// `VECTOR.SEARCH subject [MODEL m] [K k] [TAGS n t1 .. tn] [NS ns]`; k defaults to 10.
parsed_command<vector_query> parse_vector_search(const command_args& a, std::string_view selected_ns);
/// `SEMANTIC.DEL id [NS ns]`, `VECTOR.DEL id [NS ns]`.
parsed_command<erase_command> parse_erase(const command_args& a, std::string_view selected_ns);

/// The handlers of the command table.
void semantic_get(command_context& ctx, const command_args& a);
void semantic_set(command_context& ctx, const command_args& a);
void semantic_del(command_context& ctx, const command_args& a);
void vector_add(command_context& ctx, const command_args& a);
void vector_search(command_context& ctx, const command_args& a);
void vector_del(command_context& ctx, const command_args& a);

} // namespace strata::resp
