#include "resp_event_loop.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace strata::resp {
namespace {

constexpr std::uint64_t wake_token = 0;
constexpr std::uint64_t listener_token = std::uint64_t{1} << 32;
constexpr std::size_t read_chunk = 64 * 1024;
/// An output buffer that grew beyond this for one large reply is given back once written.
constexpr std::size_t kept_output_capacity = 1024 * 1024;
/// In the mailbox: drain (close the listener, read no more requests) instead of adopting a connection.
constexpr int drain_now = -2;
// A mail that carries a task to run (post).
constexpr int run_task = -3;

thread_local event_loop* current_loop = nullptr;

std::system_error system_failure(const char* what) { return std::system_error(errno, std::generic_category(), what); }

/// Closes a client's socket so that it sees the end of the stream after the replies sent. Closing
/// a socket with input unread sends a reset, which the client reads as ECONNRESET (after a
/// shutdown or a protocol error) and which drops replies not yet on their way: the end of the
/// stream goes first, queued behind the replies, then the input not read (up to 64 MiB, more than
/// a socket buffers) is dropped. A client still sending after that gets the reset, past the end.
void close_client(int fd) {
  ::shutdown(fd, SHUT_WR);
  char dropped[65536];
  for (int reads = 0; reads < 1024 && ::recv(fd, dropped, sizeof dropped, MSG_DONTWAIT) > 0; ++reads) {
  }
  ::close(fd);
}

} // namespace

void reply_ticket::complete(std::string reply) const {
  if (const auto alive = loop.lock())
    alive->complete(connection, sequence, std::move(reply));
}

reply_ticket command_context::defer(std::size_t keys) { return loop.defer(conn, false, keys); }
reply_ticket command_context::defer_holding_later(std::size_t keys) { return loop.defer(conn, true, keys); }

event_loop::event_loop(runtime& rt, const resp_settings& settings, server_counters& counters)
  : rt_(rt), settings_(settings), counters_(counters) {
  limits_.max_bulk = settings.max_bulk;
  limits_.max_inline = settings.max_inline;
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0)
    throw system_failure("epoll_create1");
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd_ < 0)
    throw system_failure("eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = wake_token;
  epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);
}

event_loop::~event_loop() {
  stop();
  for (auto& [id, conn] : connections_)
    close_client(conn->fd);
  if (listen_fd_ >= 0)
    ::close(listen_fd_);
  ::close(wake_fd_);
  ::close(epoll_fd_);
}

void event_loop::start(int listen_fd, std::vector<event_loop*> peers) {
  listen_fd_ = listen_fd;
  peers_ = std::move(peers);
  if (listen_fd_ >= 0) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = listener_token;
    epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev);
  }
  thread_ = std::thread([this] { run(); });
}

void event_loop::drain() {
  std::lock_guard<std::mutex> guard(mail_mutex_);
  mailbox_.push_back(mail{drain_now, 0, 0, {}, {}});
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void event_loop::stop() {
  if (!thread_.joinable())
    return;
  stopping_ = true;
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  thread_.join();
}

void event_loop::adopt(int fd) {
  std::lock_guard<std::mutex> guard(mail_mutex_);
  const bool wake = mailbox_.empty();
  mailbox_.push_back(mail{fd, 0, 0, {}, {}});
  if (wake) {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  }
}

void event_loop::complete(std::uint32_t connection, std::uint32_t sequence, std::string reply) {
  // Called from a handler on this loop's thread (a first-layer hit answers in the caller's
  // thread): the loop writes the connection's replies once its requests are processed.
  if (current_loop == this)
    return apply(connection, sequence, std::move(reply), false);
  bool wake = false;
  {
    std::lock_guard<std::mutex> guard(mail_mutex_);
    wake = mailbox_.empty();
    mailbox_.push_back(mail{-1, connection, sequence, std::move(reply), {}});
  }
  // One wake-up per batch: the loop takes the whole mailbox when it wakes.
  if (wake) {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  }
}

void event_loop::post(std::uint32_t connection, std::function<void(bool open)> task) {
  bool wake = false;
  {
    std::lock_guard<std::mutex> guard(mail_mutex_);
    wake = mailbox_.empty();
    mailbox_.push_back(mail{run_task, connection, 0, {}, std::move(task)});
  }
  if (wake) {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  }
}

reply_ticket event_loop::defer(connection& conn, bool hold_later, std::size_t keys) {
  const auto sequence = conn.next_sequence++;
  conn.waiting.push_back(reply_slot{sequence, false, {}, current_is_write_, hold_later, keys});
  conn.in_flight += keys;
  if (current_is_write_)
    conn.writes_in_flight += keys;
  if (hold_later)
    ++conn.holds_in_flight;
  awaited_.fetch_add(1, std::memory_order_relaxed);
  return reply_ticket{weak_from_this(), conn.id, sequence};
}

void event_loop::run() {
  current_loop = this;
  epoll_event events[256];
  while (!stopping_.load(std::memory_order_relaxed)) {
    int timeout_ms = -1;
    if (accept_paused_until_) {
      const auto left = *accept_paused_until_ - std::chrono::steady_clock::now();
      timeout_ms = static_cast<int>(std::max<std::int64_t>(
        0, std::chrono::ceil<std::chrono::milliseconds>(left).count()));
      if (timeout_ms == 0) {
        resume_accepting();
        timeout_ms = -1;
      }
    }
    const int n = epoll_wait(epoll_fd_, events, 256, timeout_ms);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      break;
    }
    for (int i = 0; i < n; ++i) {
      const auto token = events[i].data.u64;
      if (token == wake_token) {
        std::uint64_t count;
        [[maybe_unused]] auto r = ::read(wake_fd_, &count, sizeof count);
        drain_mailbox();
        continue;
      }
      if (token == listener_token) {
        accept_all();
        continue;
      }
      auto it = connections_.find(static_cast<std::uint32_t>(token));
      if (it == connections_.end())
        continue;
      connection& conn = *it->second;
      if (events[i].events & EPOLLOUT) {
        if (!write_out(conn))
          continue;
      }
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        on_readable(conn);
    }
    flush_touched();
  }
  // Stopping: what was answered and not yet written gets one attempt.
  for (auto& [id, conn] : connections_) {
    flush_ready(*conn);
    if (conn->out.size() > conn->out_sent)
      [[maybe_unused]] auto r = ::send(conn->fd, conn->out.data() + conn->out_sent, conn->out.size() - conn->out_sent,
                                       MSG_NOSIGNAL | MSG_DONTWAIT);
  }
  current_loop = nullptr;
}

void event_loop::accept_all() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM))
      return pause_accepting(errno);
    if (fd < 0)
      return; // EAGAIN, or an error of that one connection
    if (counters_.connected.load() >= settings_.max_clients) {
      static const char refusal[] = "-ERR max number of clients reached\r\n";
      [[maybe_unused]] auto r = ::send(fd, refusal, sizeof refusal - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      ::close(fd);
      ++counters_.connections_rejected;
      continue;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ++counters_.connected;
    ++counters_.connections_received;
    auto* peer = peers_[next_peer_++ % peers_.size()];
    if (peer == this)
      add_connection(fd);
    else
      peer->adopt(fd);
  }
}

void event_loop::pause_accepting(int error) {
  const auto now = std::chrono::steady_clock::now();
  if (now - last_accept_warning_ >= std::chrono::seconds(10)) { // once per episode, not per wake-up
    last_accept_warning_ = now;
    std::fprintf(stderr, "strata: resp: cannot accept a connection: %s (see ulimit -n); trying again every 100 ms\n",
                 std::strerror(error));
  }
  accept_paused_until_ = now + std::chrono::milliseconds(100);
  epoll_event ev{};
  ev.data.u64 = listener_token;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
}

void event_loop::resume_accepting() {
  accept_paused_until_.reset();
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = listener_token;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, listen_fd_, &ev);
}

void event_loop::add_connection(int fd) {
  if (draining_) {
    ::close(fd);
    --counters_.connected;
    return;
  }
  auto conn = std::make_unique<connection>();
  conn->fd = fd;
  conn->id = next_id_++;
  if (next_id_ == 0)
    next_id_ = 1;
  conn->client_id = counters_.next_client_id++;
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = conn->id;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    ::close(fd);
    --counters_.connected;
    return;
  }
  connections_.emplace(conn->id, std::move(conn));
}

void event_loop::on_readable(connection& conn) {
  conn.in.reserve(read_chunk);
  const auto n = ::read(conn.fd, conn.in.write_position(), conn.in.room());
  if (n == 0 && (!conn.waiting.empty() || !conn.parked.empty() || conn.out.size() > conn.out_sent || conn.input_held)) {
    // The client has sent all it will (nc, redis-cli --pipe): answer what it asked, then close.
    conn.input_ended = true;
    conn.reading = false;
    update_interest(conn);
    return;
  }
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
    return close_connection(conn);
  if (n < 0)
    return;
  counters_.bytes_read.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
  if (conn.close_when_flushed)
    return; // after QUIT or a protocol error, input is ignored
  conn.in.written(static_cast<std::size_t>(n));
  process_input(conn);
}

void event_loop::process_input(connection& conn) {
  std::uint64_t commands = 0;
  conn.input_held = false;
  while (!conn.close_when_flushed) {
    if (conn.in_flight >= static_cast<std::size_t>(settings_.max_in_flight) ||
        conn.reply_bytes() > settings_.max_pipeline) {
      // The layers are that far behind this client, or it reads its replies that slowly: what it
      // sent waits in the buffer (and the socket) rather than in the layers' mailboxes, where it
      // would outlive its deadline, or as replies in memory (a few bytes of GET each asking for a
      // large value: 55 KB of input held 250 MB of replies).
      conn.input_held = conn.in.size() > 0;
      break;
    }
    const auto parsed = parse_request(conn.in.data(), limits_, args_);
    std::string error;
    if (parsed.status == parse_status::error)
      error = parsed.error;
    else if (parsed.status == parse_status::incomplete && conn.in.size() >= settings_.max_pipeline)
      error = "Protocol error: request larger than server.resp.max_pipeline (" + std::to_string(settings_.max_pipeline) +
              " bytes)";
    if (!error.empty()) {
      if (conn.parked.empty()) {
        protocol_error(conn, error);
      } else { // its turn comes after the parked requests
        conn.parked.push_back(parked_request{{}, std::move(error)});
        awaited_.fetch_add(1, std::memory_order_relaxed);
        conn.close_when_flushed = true;
        conn.reading = false;
        update_interest(conn);
      }
      break;
    }
    if (parsed.status == parse_status::incomplete)
      break;
    if (!args_.empty()) {
      ++commands;
      run_or_park(conn, args_);
    }
    conn.in.consume(parsed.consumed);
  }
  counters_.commands.fetch_add(commands, std::memory_order_relaxed);
  // Written once every ready connection has been read, as Redis does before it sleeps: a send
  // wakes the client, which on a busy machine may take this thread's core before the other
  // connections are served.
  touched_.push_back(conn.id);
  if (conn.reading && (conn.pending_bytes() > settings_.max_pipeline || conn.input_held)) {
    conn.reading = false; // the client sends faster than it reads, or than the layers answer
    update_interest(conn);
  }
}

void event_loop::run_or_park(connection& conn, const std::vector<std::string_view>& args) {
  const auto* spec = find_command(args[0]);
  const bool write = spec != nullptr && spec->write;
  // A request waits while an earlier one waits, or while one it must follow is in flight.
  if (!conn.parked.empty() || conn.waits_for_in_flight(write)) {
    conn.parked.push_back(parked_request{{args.begin(), args.end()}, {}});
    for (const auto& a : args)
      conn.parked_bytes += a.size();
    awaited_.fetch_add(1, std::memory_order_relaxed); // the drain waits for it too
    return;
  }
  current_is_write_ = write;
  run(conn, spec, args);
  current_is_write_ = false;
}

void event_loop::run(connection& conn, const command_spec* spec, const std::vector<std::string_view>& args) {
  // While a reply is awaited, later ones queue behind it, in order.
  const bool in_order = conn.waiting.empty();
  command_context ctx{rt_, settings_, counters_, *this, conn, in_order ? conn.out : later_};
  execute(ctx, spec, args);
  if (!in_order && !later_.empty()) {
    conn.waiting_bytes += later_.size();
    conn.waiting.push_back(reply_slot{conn.next_sequence++, true, std::move(later_), false});
    later_.clear();
  }
}

void event_loop::run_parked(connection& conn) {
  std::vector<std::string_view> args;
  while (!conn.parked.empty()) {
    auto& next = conn.parked.front();
    if (!next.protocol_error.empty()) {
      const auto error = std::move(next.protocol_error);
      conn.parked.pop_front();
      awaited_.fetch_sub(1, std::memory_order_relaxed);
      protocol_error(conn, error);
      continue;
    }
    const auto* spec = find_command(next.args[0]);
    const bool write = spec != nullptr && spec->write;
    if (conn.waits_for_in_flight(write) || conn.in_flight >= static_cast<std::size_t>(settings_.max_in_flight) ||
        conn.reply_bytes() > settings_.max_pipeline) // the reply bound holds for parked requests too
      return;
    const auto request = std::move(next.args);
    conn.parked.pop_front();
    for (const auto& a : request)
      conn.parked_bytes -= a.size();
    args.assign(request.begin(), request.end());
    current_is_write_ = write;
    run(conn, spec, args);
    current_is_write_ = false;
    awaited_.fetch_sub(1, std::memory_order_relaxed);
    if (spec != nullptr && spec->name == "QUIT") { // as in Redis, nothing sent after it runs
      for (const auto& dropped : conn.parked)
        for (const auto& a : dropped.args)
          conn.parked_bytes -= a.size();
      awaited_.fetch_sub(static_cast<std::int64_t>(conn.parked.size()), std::memory_order_relaxed);
      conn.parked.clear();
    }
  }
}

void event_loop::flush_ready(connection& conn) {
  while (!conn.waiting.empty() && conn.waiting.front().ready) {
    conn.out.append(conn.waiting.front().text);
    conn.waiting_bytes -= conn.waiting.front().text.size();
    conn.waiting.pop_front();
  }
}

void event_loop::apply(std::uint32_t connection_id, std::uint32_t sequence, std::string reply, bool from_mailbox) {
  awaited_.fetch_sub(1, std::memory_order_relaxed);
  auto it = connections_.find(connection_id);
  if (it == connections_.end())
    return; // closed meanwhile
  auto& conn = *it->second;
  if (auto* slot = conn.slot_of(sequence)) {
    conn.in_flight -= slot->keys;
    conn.waiting_bytes += reply.size();
    slot->text = std::move(reply);
    slot->ready = true;
    if (slot->write)
      conn.writes_in_flight -= slot->keys; // the parked requests run once this round's events are handled
    if (slot->hold_later)
      --conn.holds_in_flight;
  }
  if (from_mailbox)
    touched_.push_back(connection_id);
}

void event_loop::drain_mailbox() {
  {
    std::lock_guard<std::mutex> guard(mail_mutex_);
    mail_batch_.swap(mailbox_);
  }
  for (auto& m : mail_batch_) {
    if (m.new_fd >= 0) {
      add_connection(m.new_fd);
    } else if (m.new_fd == drain_now) {
      if (listen_fd_ >= 0) {
        epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, listen_fd_, nullptr);
        ::close(listen_fd_);
        listen_fd_ = -1;
      }
      // The requests already read are answered; no new ones are read.
      draining_ = true;
      for (auto& [id, conn] : connections_)
        if (conn->reading) {
          conn->reading = false;
          update_interest(*conn);
        }
    } else if (m.new_fd == run_task) {
      m.task(connections_.count(m.connection) != 0);
      touched_.push_back(m.connection);
    } else {
      apply(m.connection, m.sequence, std::move(m.reply), true);
    }
  }
  mail_batch_.clear();
}

void event_loop::flush_touched() {
  // A connection may appear several times, and may be closed by an earlier write.
  for (std::size_t i = 0; i < touched_.size(); ++i) {
    auto it = connections_.find(touched_[i]);
    if (it == connections_.end())
      continue;
    auto& conn = *it->second;
    run_parked(conn);
    if (may_parse_held(conn))
      process_input(conn);
    flush_ready(conn);
    write_out(conn);
  }
  touched_.clear();
}

bool event_loop::may_run_parked(const connection& conn) const {
  if (conn.parked.empty()) // during a drain too: what was read is answered
    return false;
  const auto& next = conn.parked.front();
  const auto* spec = next.protocol_error.empty() ? find_command(next.args[0]) : nullptr;
  const bool write = spec != nullptr && spec->write;
  return !next.protocol_error.empty() ||
         (!conn.waits_for_in_flight(write) && conn.in_flight < static_cast<std::size_t>(settings_.max_in_flight) &&
          conn.reply_bytes() <= settings_.max_pipeline / 2);
}

bool event_loop::may_parse_held(const connection& conn) const {
  // Half the bounds free before the held input is parsed: a batch per wake-up, not a request.
  return conn.input_held && conn.parked.empty() && !draining_ &&
         conn.in_flight <= static_cast<std::size_t>(settings_.max_in_flight) / 2 &&
         conn.reply_bytes() <= settings_.max_pipeline / 2;
}

bool event_loop::write_out(connection& conn) {
  while (conn.out_sent < conn.out.size()) {
    const auto n = ::send(conn.fd, conn.out.data() + conn.out_sent, conn.out.size() - conn.out_sent, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      if (errno == EAGAIN) {
        if (!conn.writing) {
          conn.writing = true;
          update_interest(conn);
        }
        return true;
      }
      close_connection(conn);
      return false;
    }
    counters_.bytes_written.fetch_add(static_cast<std::uint64_t>(n), std::memory_order_relaxed);
    conn.out_sent += static_cast<std::size_t>(n);
  }
  conn.out.clear();
  conn.out_sent = 0;
  if (conn.out.capacity() > kept_output_capacity)
    std::string().swap(conn.out);
  if (may_parse_held(conn) || may_run_parked(conn))
    touched_.push_back(conn.id); // the replies went out: what was held for them runs
  if ((conn.close_when_flushed || (conn.input_ended && !conn.input_held)) && conn.waiting.empty() &&
      conn.parked.empty()) {
    close_connection(conn);
    return false;
  }
  const bool resume = !conn.reading && !conn.close_when_flushed && !conn.input_ended && !conn.input_held &&
                      !draining_ && conn.pending_bytes() <= settings_.max_pipeline / 2;
  if (conn.writing || resume) {
    conn.writing = false;
    conn.reading = conn.reading || resume;
    update_interest(conn);
  }
  return true;
}

void event_loop::update_interest(connection& conn) {
  epoll_event ev{};
  ev.events = (conn.reading ? EPOLLIN : 0u) | (conn.writing ? EPOLLOUT : 0u);
  ev.data.u64 = conn.id;
  epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, conn.fd, &ev);
}

void event_loop::close_connection(connection& conn) {
  // Its parked requests will never run: the drain must not wait for them.
  awaited_.fetch_sub(static_cast<std::int64_t>(conn.parked.size()), std::memory_order_relaxed);
  epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, conn.fd, nullptr);
  close_client(conn.fd);
  --counters_.connected;
  connections_.erase(conn.id); // destroys conn
}

void event_loop::protocol_error(connection& conn, const std::string& message) {
  // As Redis does: the error, then the connection is closed, since what follows cannot be
  // told apart from the rest of the broken request.
  ++counters_.protocol_errors;
  std::string& target = conn.waiting.empty() ? conn.out : conn.waiting.emplace_back().text;
  if (!conn.waiting.empty()) {
    conn.waiting.back().sequence = conn.next_sequence++;
    conn.waiting.back().ready = true;
  }
  target.push_back('-');
  target.append(message.rfind("ERR", 0) == 0 ? "" : "ERR ");
  target.append(message);
  target.append("\r\n");
  if (&target != &conn.out)
    conn.waiting_bytes += target.size();
  conn.close_when_flushed = true;
  conn.reading = false;
  update_interest(conn);
}

} // namespace strata::resp
