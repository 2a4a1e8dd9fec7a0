/// @file global_commands.cpp
/// The global layer's commands (entry, put, validate, reject): an entry looked at, written or
/// judged by a reviewer (`runtime::layer_command`, or `POST /v1/layers/<layer>/commands/<name>`).

#include "global_layer.hpp"

#include <strata/units.hpp>
#include <strata/utf8.hpp>

namespace strata::global {

status global_layer::command(std::string_view name, std::string_view json_args, std::string& json_out) {
  const auto args = json::parse(json_args, nullptr, false);
  const auto fail = [&](status code, const std::string& why, const std::string& argument = {}) {
    json answer{{"error", why}};
    if (!argument.empty())
      answer["field"] = argument;
    json_out = answer.dump(-1, ' ', false, json::error_handler_t::replace);
    return code;
  };
  if (name != "entry" && name != "validate" && name != "reject" && name != "put")
    return fail(status::invalid, "unknown command '" + std::string(name) + "' (entry, put, validate, reject)");
  if (!args.is_object())
    return fail(status::invalid, "the arguments are not a JSON object");
  const std::vector<std::string> takes =
    name == "put"    ? std::vector<std::string>{"key", "ns", "value", "confidence", "ttl_ms", "tags"}
    : name == "entry" ? std::vector<std::string>{"key", "ns"}
                      : std::vector<std::string>{"key", "ns", "updated_at_us"};
  for (const auto& [argument, given] : args.items())
    if (std::find(takes.begin(), takes.end(), argument) == takes.end()) {
      std::string list;
      for (const auto& t : takes)
        list += (list.empty() ? "" : ", ") + t;
      return fail(status::invalid, "unknown argument '" + argument + "' (" + std::string(name) + " takes " + list + ")",
                  argument);
    }
  if (!args.contains("key") || !args["key"].is_string())
    return fail(status::invalid, "'key' (a string) is required", "key");
  // Types first, each named (a wrong one said "[json.exception.type_error.302] ...").
  if (args.contains("ns") && !args["ns"].is_string())
    return fail(status::invalid, "'ns' must be a string", "ns");
  if (args.contains("confidence") && !args["confidence"].is_number())
    return fail(status::invalid, "'confidence' must be a number between 0 and 1", "confidence");
  if (args.contains("updated_at_us") && !args["updated_at_us"].is_number_integer())
    return fail(status::invalid, "'updated_at_us' must be an integer (the entry's, as the entry command shows it)",
                "updated_at_us");
  if (args.contains("ttl_ms") && !args["ttl_ms"].is_number_integer())
    return fail(status::invalid, "'ttl_ms' must be an integer of milliseconds", "ttl_ms");
  // As the runtime bounds a put's TTL: a row past it was written, and every read of it, on
  // every node, then failed as a hit the runtime refused (audit).
  if (args.contains("ttl_ms") && args["ttl_ms"].is_number_unsigned() &&
      args["ttl_ms"].get<std::uint64_t>() > static_cast<std::uint64_t>(units::max_ttl.count()))
    return fail(status::invalid, "'ttl_ms' must be at most " + std::to_string(units::max_ttl.count()) + " (" +
                                   std::to_string(units::max_ttl.count() / 86'400'000) + " days)",
                "ttl_ms");
  if (args.contains("tags") && !(args["tags"].is_array() && std::all_of(args["tags"].begin(), args["tags"].end(),
                                                                      [](const json& t) { return t.is_string(); })))
    return fail(status::invalid, "'tags' must be a list of strings", "tags");
  try {
    const std::string ns = args.value("ns", std::string(default_namespace));
    const std::string key = args["key"].get<std::string>();
    if (ns.empty())
      return fail(status::invalid, "'ns' must not be empty", "ns");
    if (const auto why = refusal(ns, key, {}); !why.empty()) // no such entry can be stored
      return fail(status::invalid, why);
    if (name == "entry")
      return describe(ns, key, json_out);
    if (name == "validate" || name == "reject")
      return judge(ns, key, name == "validate" ? validation::validated : validation::rejected,
                   args.contains("updated_at_us") ? std::optional<std::int64_t>(args["updated_at_us"].get<std::int64_t>())
                                                  : std::nullopt,
                   json_out);
    // put
    if (!args.contains("value") || !args["value"].is_string())
      return fail(status::invalid, "'value' (a string) is required", "value");
    const double confidence = args.value("confidence", default_confidence_);
    if (!(confidence >= 0.0 && confidence <= 1.0))
      return fail(status::invalid, "'confidence' must be between 0 and 1", "confidence");
    const auto ttl = std::chrono::milliseconds(args.value("ttl_ms", std::int64_t{0}));
    if (ttl.count() < 0)
      return fail(status::invalid, "'ttl_ms' must not be negative", "ttl_ms");
    const auto tags = args.value("tags", std::vector<std::string>{});
    if (std::find(tags.begin(), tags.end(), std::string()) != tags.end()) // no invalidation could name it
      return fail(status::invalid, "'tags' must not hold an empty tag", "tags");
    if (const auto why = refusal(ns, key, tags); !why.empty())
      return fail(status::invalid, why);
    const auto code = write(ns, key, args["value"].get<std::string>(), confidence,
                            ttl.count() > 0 ? ttl : default_ttl_, tags);
    if (code == status::ok)
      host_.invalidate_key(ns, key); // this instance's own copies above are stale too
    json_out = json{{"written", code == status::ok}}.dump();
    return code;
  } catch (const json::exception& e) {
    return fail(status::invalid, std::string("bad arguments: ") + e.what());
  }
}

std::string global_layer::refusal(const std::string& ns, const std::string& key, const std::vector<std::string>& tags) const {
  const char* text = db_->dialect() == storage::dialect::postgres ? "UTF-8 without a NUL byte (PostgreSQL text)"
                                                                  : "text";
  if (!db_->holds_text(ns))
    return std::string("the namespace is not ") + text;
  if (!db_->holds_text(key))
    return std::string("the key is not ") + text;
  if (!announce(false, ns, key))
    return "the key is too long to announce (a NOTIFY payload holds 8000 bytes)";
  for (const auto& tag : tags) {
    if (!db_->holds_text(tag) || invalid_utf8_at(tag) != std::string::npos)
      return "a tag is not UTF-8";
    if (!announce(true, ns, tag))
      return "a tag is too long to announce (a NOTIFY payload holds 8000 bytes)";
  }
  return {};
}

status global_layer::describe(const std::string& ns, const std::string& key, std::string& json_out) {
  std::vector<storage::row> rows;
  if (!attempt<access::read>([&] { rows = db_->query(sql::entry, {ns, key}); })) {
    json_out = json{{"error", "the database is unreachable"}}.dump();
    return status::unavailable;
  }
  try {
    // An expired row not yet purged is no entry, as for a get and for validate.
    const auto expires = rows.empty() ? 0 : column("expires_at_us", [&] { return rows[0].integer(4); });
    if (rows.empty() || (expires != 0 && expires <= clock_.now_us())) {
      json_out = json{{"found", false}}.dump();
      return status::not_found;
    }
    const auto& r = rows[0];
    json_out = json{{"found", true},
                    {"value", column("value", [&] { return r.text(0); })},
                    {"confidence", column("confidence", [&] { return r.real(1); })},
                    {"writer", column("writer", [&] { return r.text(2); })},
                    {"state", to_string(state_of(column("state", [&] { return r.integer(3); })))},
                    {"expires_at_us", expires},
                    {"updated_at_us", column("updated_at_us", [&] { return r.integer(5); })},
                    {"tags", tags_of(column("tags", [&] { return r.text(6); }))}}
                 .dump(-1, ' ', false, json::error_handler_t::replace);
  } catch (const std::runtime_error& e) {
    json_out = json{{"error", unreadable(ns, key, e.what()).what()}}.dump(-1, ' ', false, json::error_handler_t::replace);
    return status::unavailable;
  }
  return status::ok;
}

status global_layer::judge(const std::string& ns, const std::string& key, validation verdict, std::optional<std::int64_t> seen,
                           std::string& json_out) {
  std::uint64_t changed = 0;
  const auto announced = announce(false, ns, key);
  if (!announced || !attempt<access::write>([&] {
        db_->transact([&](storage::session& s) {
          const auto now = clock_.now_us();
          const auto state = static_cast<std::int64_t>(verdict);
          changed = seen ? s.execute(sql::set_state_if, {ns, key, state, now, *seen})
                         : s.execute(sql::set_state, {ns, key, state, now});
          // A rejected entry is no longer served: every copy of it must go.
          if (changed > 0 && verdict == validation::rejected)
            publish(s, *announced);
        });
        return changed > 0;
      })) {
    json_out = json{{"error", "the database is unreachable"}}.dump();
    return status::unavailable;
  }
  if (changed > 0 && verdict == validation::rejected)
    host_.invalidate_key(ns, key);
  if (changed == 0 && seen) { // no such entry, or one written since the reviewer looked
    std::vector<storage::row> rows;
    if (attempt<access::read>([&] { rows = db_->query(sql::entry, {ns, key}); }) && !rows.empty()) {
      json_out = json{{"updated", false},
                      {"error", "the entry changed since updated_at_us " + std::to_string(*seen) + " (now " +
                                  std::to_string(rows[0].integer(5)) + "): look at it again (entry)"}}
                   .dump();
      return status::rejected;
    }
  }
  json_out = json{{"updated", changed > 0}, {"state", to_string(verdict)}}.dump();
  return changed > 0 ? status::ok : status::not_found;
}

} // namespace strata::global
