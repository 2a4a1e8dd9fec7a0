#pragma once
// One client connection of the RESP server: its input not yet parsed, its output not yet sent,
// and the replies that must wait for an earlier one still being computed.

#include <strata/entry.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace strata::resp {

/// Bytes read from a socket: a window [begin, end) of a buffer that grows, and is compacted
/// rather than zero-filled as a std::string would be on every resize.
class input_buffer {
public:
  std::string_view data() const { return {buffer_.get() + begin_, end_ - begin_}; }
  std::size_t size() const { return end_ - begin_; }
  void consume(std::size_t n) {
    begin_ += n;
    if (begin_ == end_)
      begin_ = end_ = 0;
  }
  /// Room for at least `n` more bytes at `write_position()`.
  void reserve(std::size_t n) {
    if (capacity_ - end_ >= n)
      return;
    if (begin_ > 0) {
      std::memmove(buffer_.get(), buffer_.get() + begin_, end_ - begin_);
      end_ -= begin_;
      begin_ = 0;
      if (capacity_ - end_ >= n)
        return;
    }
    auto capacity = std::max(capacity_ * 2, end_ + n);
    auto grown = std::make_unique<char[]>(capacity);
    if (end_ > 0)
      std::memcpy(grown.get(), buffer_.get(), end_);
    buffer_ = std::move(grown);
    capacity_ = capacity;
  }
  char* write_position() { return buffer_.get() + end_; }
  std::size_t room() const { return capacity_ - end_; }
  void written(std::size_t n) { end_ += n; }

private:
  std::unique_ptr<char[]> buffer_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
};

/// A reply whose turn has not come: either computed (`ready`) or awaited from the runtime.
struct reply_slot {
  std::uint32_t sequence = 0;
  bool ready = false;
  std::string text;
  bool write = false; ///< the reply of a write: later reads wait until it is ready
  bool hold_later = false; ///< later requests, reads or writes, wait until it is ready
  std::size_t keys = 1;    ///< the requests it has the layers work on at once (an MGET's keys)
};

/// A request read while an earlier request of the connection that it must follow is in flight
/// (`waits_for_in_flight`), kept (its arguments copied out of the input buffer) until its turn.
struct parked_request {
  std::vector<std::string> args;
  std::string protocol_error; ///< instead of a request: the error that ended the input
};

struct connection {
  int fd = -1;
  std::uint32_t id = 0;       ///< this loop's handle (epoll, replies); another loop's may be the same
  std::uint64_t client_id = 0; ///< what CLIENT ID and HELLO answer: the server's, never reused
  input_buffer in;
  std::string out;            ///< replies in order, not yet written
  std::size_t out_sent = 0;   ///< bytes of `out` already written
  std::deque<reply_slot> waiting; ///< non-empty while a reply is awaited; later replies queue behind it
  std::size_t waiting_bytes = 0;  ///< the replies held in `waiting`
  std::size_t parked_bytes = 0;   ///< the arguments held in `parked`
  std::size_t writes_in_flight = 0; ///< of `in_flight`, those of writes (SET, DEL, ...)
  std::size_t holds_in_flight = 0;  ///< replies awaited that hold the later requests back
  /// Requests the layers are working on for the replies awaited: one per key of an MGET, MSET,
  /// DEL or EXISTS (up to max_in_flight at once), so that many such commands in a pipeline are
  /// held back as many GETs would be (counted one per command, 50 MGETs of 1000 keys of 60 KB
  /// held 3 GB of values for a client that did not read).
  std::size_t in_flight = 0;
  std::deque<parked_request> parked; ///< requests that wait for their turn, in order
  std::uint32_t next_sequence = 0;
  request_options namespace_options; ///< the namespace SELECT chose
  std::string name;                  ///< CLIENT SETNAME's; empty: none
  bool close_when_flushed = false;   ///< QUIT, or a protocol error: no more input is read
  bool input_ended = false;          ///< the client sent all it will: close once answered
  /// Input read but not parsed, since `max_in_flight` requests were in flight, or replies of more
  /// than `max_pipeline` bytes waited to be sent: parsed as replies come back, and go out.
  bool input_held = false;
  bool reading = true;               ///< false while backpressure holds the input
  bool writing = false;              ///< EPOLLOUT is armed

  /// Whether a request (a write or not) must wait for those in flight, so that the connection's
  /// requests act in the order sent: a read waits for a write (it must see it); a write for a read
  /// (which must not: a get asks the layers one after another, and a put sent meanwhile reaches
  /// the deeper ones first, where the get found the new value); every request for one that sends
  /// its keys a part at a time.
  bool waits_for_in_flight(bool write) const {
    const auto reads_in_flight = in_flight - writes_in_flight;
    return holds_in_flight > 0 || (write ? reads_in_flight > 0 : writes_in_flight > 0);
  }

  /// Counted as they come and go: summing them per read made a long pipeline quadratic.
  std::size_t pending_bytes() const { return in.size() + (out.size() - out_sent) + waiting_bytes + parked_bytes; }
  /// Replies not sent yet, written or awaited.
  std::size_t reply_bytes() const { return (out.size() - out_sent) + waiting_bytes; }

  /// The slot awaiting the reply numbered `sequence`, found by its distance from the first (they
  /// are numbered in order, with unsigned wrap-around), or null.
  reply_slot* slot_of(std::uint32_t sequence) {
    if (waiting.empty())
      return nullptr;
    const std::size_t index = sequence - waiting.front().sequence;
    return index < waiting.size() && waiting[index].sequence == sequence ? &waiting[index] : nullptr;
  }
};

} // namespace strata::resp
