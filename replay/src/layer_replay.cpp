#include <strata/replay/layer_replay.hpp>

#include <charconv>
#include <stdexcept>
#include <string>

namespace strata::replay {

namespace {

/// The value stored for every key: the size an object charges is its cost, not this.
constexpr std::string_view stored_value = "x";

[[noreturn]] void refused(const char* operation, std::string_view key, status s) {
  throw std::runtime_error(std::string("the layer answered a ") + operation + " of key " + std::string(key) +
                           " with '" + to_string(s) + "'");
}

} // namespace

void layer_replay::access(const request& r) {
  const auto written = std::to_chars(key_, key_ + sizeof key_, r.key);
  const std::string_view key(key_, static_cast<std::size_t>(written.ptr - key_));
  ++counts_.requests;
  counts_.bytes += r.size;
  const status found = target_.get(default_namespace, key, hit_);
  if (found == status::ok)
    return;
  if (found != status::not_found)
    refused("get", key, found);
  ++counts_.misses;
  counts_.missed_bytes += r.size;
  options_.cost = r.size;
  const status stored = target_.put(default_namespace, key, stored_value, options_);
  if (stored == status::rejected)
    ++counts_.not_admitted;
  else if (stored != status::ok)
    refused("put", key, stored);
}

} // namespace strata::replay
