#include "sync_message.hpp"

#include <nlohmann/json.hpp>

#include <chrono>

namespace strata::global {

namespace {
nlohmann::json fields(const change& c) {
  return {{"o", c.origin}, {"k", c.mark ? "mark" : c.tag ? "tag" : "key"}, {"n", c.ns}, {"w", c.what}, {"t", c.sent_us}};
}
std::string text(const nlohmann::json& j) { return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace); }
} // namespace

std::string encode(const change& c) {
  auto j = fields(c);
  if (c.logged_us > 0)
    j["a"] = c.logged_us;
  return text(j);
}

std::string encode_head(const change& c) {
  auto head = text(fields(c));
  head.pop_back(); // the closing brace
  return head + ",\"a\":";
}

std::optional<change> decode(std::string_view payload) {
  const auto j = nlohmann::json::parse(payload, nullptr, false);
  if (!j.is_object())
    return std::nullopt;
  try {
    change c;
    c.origin = j.at("o").get<std::string>();
    const auto kind = j.at("k").get<std::string>();
    if (kind != "tag" && kind != "key" && kind != "mark") // a build before marks ignores them so
      return std::nullopt;
    c.tag = kind == "tag";
    c.mark = kind == "mark";
    c.ns = j.at("n").get<std::string>();
    c.what = j.at("w").get<std::string>();
    c.sent_us = j.at("t").get<std::int64_t>();
    c.logged_us = j.value("a", std::int64_t{0});
    return c;
  } catch (const nlohmann::json::exception&) {
    return std::nullopt;
  }
}

std::int64_t wall_clock_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::system_clock::now().time_since_epoch())
    .count();
}

} // namespace strata::global
