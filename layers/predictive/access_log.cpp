#include "access_log.hpp"

#include <cstring>

namespace strata::predictive {

namespace {

std::size_t power_of_two_at_least(std::size_t n) {
  std::size_t p = 2;
  while (p < n)
    p <<= 1;
  return p;
}

} // namespace

access_log::access_log(std::size_t capacity) {
  const std::size_t size = power_of_two_at_least(capacity);
  cells_ = std::make_unique<cell[]>(size);
  mask_ = size - 1;
  for (std::size_t i = 0; i < size; ++i)
    cells_[i].sequence.store(i, std::memory_order_relaxed);
}

bool access_log::push(std::string_view ns, std::string_view key) noexcept {
  std::size_t position = enqueue_.load(std::memory_order_relaxed);
  cell* c = nullptr;
  for (;;) {
    c = &cells_[position & mask_];
    const std::size_t sequence = c->sequence.load(std::memory_order_acquire);
    const auto difference = static_cast<std::ptrdiff_t>(sequence) - static_cast<std::ptrdiff_t>(position);
    if (difference == 0) {
      if (enqueue_.compare_exchange_weak(position, position + 1, std::memory_order_relaxed))
        break;
    } else if (difference < 0) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    } else {
      position = enqueue_.load(std::memory_order_relaxed);
    }
  }
  c->too_long = ns.size() + key.size() > max_key;
  c->ns_size = c->too_long ? 0 : static_cast<std::uint8_t>(ns.size());
  c->key_size = c->too_long ? 0 : static_cast<std::uint8_t>(key.size());
  if (!c->too_long) {
    std::memcpy(c->bytes.data(), ns.data(), ns.size());
    std::memcpy(c->bytes.data() + ns.size(), key.data(), key.size());
  }
  c->sequence.store(position + 1, std::memory_order_release);
  return true;
}

bool access_log::pop(std::string& ns_out, std::string& key_out, bool& too_long) {
  std::size_t position = dequeue_.load(std::memory_order_relaxed);
  cell* c = nullptr;
  for (;;) {
    c = &cells_[position & mask_];
    const std::size_t sequence = c->sequence.load(std::memory_order_acquire);
    const auto difference = static_cast<std::ptrdiff_t>(sequence) - static_cast<std::ptrdiff_t>(position + 1);
    if (difference == 0) {
      if (dequeue_.compare_exchange_weak(position, position + 1, std::memory_order_relaxed))
        break;
    } else if (difference < 0) {
      return false;
    } else {
      position = dequeue_.load(std::memory_order_relaxed);
    }
  }
  too_long = c->too_long;
  ns_out.assign(c->bytes.data(), c->ns_size);
  key_out.assign(c->bytes.data() + c->ns_size, c->key_size);
  c->sequence.store(position + mask_ + 1, std::memory_order_release);
  return true;
}

} // namespace strata::predictive
