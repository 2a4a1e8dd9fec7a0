#pragma once
// Messages between the runtime, the coordinator, the layer hosts and the loader workers.
// Everything here stays in one process, so the payload types are allowed unserialisable.

#include "layer_metrics.hpp"

#include <strata/entry.hpp>
#include <strata/layer.hpp>
#include <strata/runtime.hpp>
#include <strata/status.hpp>

#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/atom.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace strata::detail {

// host → coordinator
using get_atom = caf::atom_constant<caf::atom("get")>;
using put_atom = caf::atom_constant<caf::atom("put")>;
using erase_atom = caf::atom_constant<caf::atom("erase")>;
using tag_atom = caf::atom_constant<caf::atom("tag")>;
// coordinator → layer host
using layer_get_atom = caf::atom_constant<caf::atom("lget")>;
using layer_put_atom = caf::atom_constant<caf::atom("lput")>;
/// A prefetch's fill, for plugins of ABI 1.4 or newer (strata::layer::put_prefetched).
using layer_put_prefetched_atom = caf::atom_constant<caf::atom("lputpre")>;
/// An EXPIRE's write-back, for plugins of ABI 1.5 or newer (strata::layer::put_kept).
using layer_put_kept_atom = caf::atom_constant<caf::atom("lputkept")>;
using layer_erase_atom = caf::atom_constant<caf::atom("lerase")>;
using layer_tag_atom = caf::atom_constant<caf::atom("ltag")>;
// layer host → coordinator: the reply to the request of that number (coordinator → layer host
// messages carry it after their atom)
using layer_answer_atom = caf::atom_constant<caf::atom("lanswer")>;
// layer host → itself, and → coordinator when its maintenance failed
using maintain_atom = caf::atom_constant<caf::atom("maintain")>;
using layer_failed_atom = caf::atom_constant<caf::atom("lfailed")>;
/// A restart the supervisor put off (an instance that failed right after its restart).
using restart_atom = caf::atom_constant<caf::atom("restart")>;
/// The end of the wait of a restart for the replaced instance's call in progress to return.
using replaced_wait_atom = caf::atom_constant<caf::atom("rwait")>;
// A restart's new instance: asked of the layer factory worker, and its answer.
using create_layer_atom = caf::atom_constant<caf::atom("lcreate")>;
using layer_created_atom = caf::atom_constant<caf::atom("lcreated")>;
using free_views_atom = caf::atom_constant<caf::atom("freeviews")>;
// coordinator → loader worker (a load's number, ns, key), and back (its number, a load_reply)
using load_atom = caf::atom_constant<caf::atom("load")>;
using loaded_atom = caf::atom_constant<caf::atom("loaded")>;
/// The coordinator's own reminder that a load's `loader_timeout` has passed.
using load_timeout_atom = caf::atom_constant<caf::atom("loadtime")>;
// host → coordinator → one layer host: a semantic or vector operation
using call_atom = caf::atom_constant<caf::atom("call")>;
using layer_call_atom = caf::atom_constant<caf::atom("lcall")>;
// a layer's host → coordinator: drop a key or tag from the other layers (strata_host_api 1.2)
using drop_atom = caf::atom_constant<caf::atom("drop")>;
// host → coordinator → layer host: a layer's own command (strata::layer::command, ABI 1.2)
using command_atom = caf::atom_constant<caf::atom("command")>;
using layer_command_atom = caf::atom_constant<caf::atom("lcommand")>;
// a layer (through its host) → coordinator: load a key into that layer ahead of a request
using prefetch_atom = caf::atom_constant<caf::atom("prefetch")>;
/// The coordinator's own reminder to fail the layer requests that have passed their deadline.
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
/// ... and the one it sends itself once a sweep found some: the answers queued before it go first.
using overdue_atom = caf::atom_constant<caf::atom("overdue")>;
/// The coordinator's own reminder to look whether a layer that let a request time out has answered
/// since, or is taken to hang.
using hang_check_atom = caf::atom_constant<caf::atom("hangcheck")>;
/// The coordinator's own reminder to send again a put a `write: behind` layer failed.
using behind_retry_atom = caf::atom_constant<caf::atom("behindre")>;

struct get_request {
  std::string ns;
  std::string key;
  std::size_t first_layer = 0; ///< 1 when the caller already checked layer 0's read view
  std::function<void(get_result)> done;
};

/// A write's payload, shared by every layer it fans out to.
struct put_data {
  std::string ns;
  std::string key;
  std::string value;
  entry_options options;
};
using put_payload = std::shared_ptr<const put_data>;

struct put_request {
  put_payload data;
  std::function<void(status)> done;
  put_condition condition = put_condition::always;
  /// Write the value found in the chain, with its tags and `data->options.ttl` as its new TTL
  /// (expire; with condition if_present).
  bool keep_value = false;
  /// The coordinator's write epoch when its check of the chain started (conditional writes), and
  /// how many times it started again (what it found was removed meanwhile).
  std::uint64_t check_epoch = 0;
  unsigned rechecks = 0;
};

struct erase_request {
  std::string ns;
  std::string key;
  std::function<void(status)> done;
};

struct tag_request {
  std::string ns;
  std::string tag;
  std::function<void(invalidate_result)> done;
};

/// A semantic or vector operation, run against the layer object in its actor. It keeps its results
/// in what it captured (the reply message orders that write before the caller reads it). Throwing
/// std::invalid_argument refuses the request (`invalid`) without faulting the layer.
using layer_call = std::function<status(layer&)>;
using layer_call_ptr = std::shared_ptr<const layer_call>;

struct layer_reply;

/// An operation for one layer (the first of the chain that offers it).
struct call_request {
  std::size_t slot = 0;
  operation op = operation::semantic_lookup;
  layer_call_ptr call;
  std::function<void(layer_reply&)> done;
};

struct command_request {
  std::string layer;
  std::string name;
  std::string args; ///< a JSON object
  std::function<void(command_result)> done;
};

/// A layer host's answer to any operation.
struct layer_reply {
  status code = status::ok;
  bool failed = false; ///< the layer threw: the coordinator restarts it
  std::string error;
  layer_hit hit;       ///< for a get that found its key; for a command, its JSON answer in `value`
  std::size_t count = 0; ///< for a tag invalidation
};

/// A loader worker's answer.
struct load_reply {
  status code = status::not_found;
  std::optional<loaded_value> value;
  std::string error;
};

} // namespace strata::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(strata::detail::get_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(strata::detail::put_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(strata::detail::put_payload)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(strata::detail::erase_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(strata::detail::tag_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(strata::detail::command_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(strata::detail::layer_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(strata::detail::load_reply)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(strata::detail::call_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(strata::detail::layer_call_ptr)
