// Requests to the layers: sending with a deadline, matching answers, the deadline sweep, hangs,
// and the logs of answers.

#include "coordinator_router.hpp"

namespace strata::detail::coordination {

void router::layer_answered(std::uint64_t number, layer_reply& reply) {
  auto it = st_.sent.find(number);
  if (it == st_.sent.end())
    return; // its instance was stopped, and the request answered as such
  const auto i = it->second.slot;
  const auto awaited = std::move(it->second.awaited);
  st_.sent.erase(it);
  if (awaited->generation == st_.slots[i].generation)
    st_.slots[i].last_answer = std::chrono::steady_clock::now();
  if (!awaited->answer) { // answered as a timeout already
    if (awaited->late)
      awaited->late(reply);
    else if (awaited->lost && (could_not(reply) || reply.code == status::invalid))
      awaited->lost();
    // Applied by an instance replaced since (its call that hung returned): later writes went to
    // the new one first. By the same instance, in order: nothing to mend.
    if (awaited->applied_late && reply.code == status::ok && awaited->generation != st_.slots[i].generation)
      awaited->applied_late();
    // Late, but the instance's word all the same: a throw is a fault, an answer shows it works
    // (an instance slow on every request, started after one that hung, is no longer a
    // replaced one, whose next hang would count as a failure in a row).
    if (reply.failed)
      failed(i, awaited->generation, fault_type::exception, reply.error);
    else
      succeeded(i, awaited->generation);
    return;
  }
  if (reply.failed)
    failed(i, awaited->generation, fault_type::exception, reply.error);
  else
    succeeded(i, awaited->generation);
  answer(i, *awaited, reply);
}

void router::answer(std::size_t i, awaited_reply& awaited, layer_reply& reply) {
  auto on_reply = std::move(awaited.answer);
  awaited.answer = nullptr;
  auto& queue = st_.slots[i].awaiting[awaited.deadline];
  while (!queue.empty() && !queue.front()->answer)
    queue.pop_front();
  on_reply(reply);
}

void router::schedule_sweep(std::chrono::steady_clock::time_point due) {
  if (st_.sweep_due && *st_.sweep_due <= due)
    return;
  st_.sweep_due = due;
  const auto wait = std::max(due - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration::zero());
  self_->delayed_send(self_, wait, sweep_atom::value, ++st_.sweep_number);
}

void router::sweep(std::uint64_t number) {
  if (number == st_.sweep_number)
    st_.sweep_due.reset();
  const auto now = std::chrono::steady_clock::now();
  auto& expired = st_.overdue;
  const bool confirm_sent = !expired.empty();
  std::optional<std::chrono::steady_clock::time_point> next_due;
  for (std::size_t i = 0; i < st_.slots.size(); ++i)
    for (auto& [deadline, queue] : st_.slots[i].awaiting) {
      while (!queue.empty() && (!queue.front()->answer || queue.front()->due() <= now)) {
        if (queue.front()->answer)
          expired.emplace_back(i, queue.front());
        queue.pop_front();
      }
      if (!queue.empty() && (!next_due || queue.front()->due() < *next_due))
        next_due = queue.front()->due();
    }
  if (next_due)
    schedule_sweep(*next_due); // once, for the earliest: not once per queue
  if (!expired.empty() && !confirm_sent)
    self_->send(self_, overdue_atom::value);
}

bool router::busy_before(std::size_t i, const awaited_reply& awaited, std::chrono::steady_clock::time_point now) const {
  for (const auto& [deadline, queue] : st_.slots[i].awaiting) {
    const auto oldest = std::find_if(queue.begin(), queue.end(), [&](const awaited_ptr& a) {
      return a->answer && a->generation == awaited.generation;
    });
    if (oldest != queue.end() && (*oldest)->sent < awaited.sent && (*oldest)->due() > now)
      return true;
  }
  return false;
}

void router::fail_overdue() {
  const auto now = std::chrono::steady_clock::now();
  auto expired = std::move(st_.overdue);
  st_.overdue.clear();
  for (auto& [i, awaited] : expired) {
    if (!awaited->answer)
      continue; // answered meanwhile: by the layer, or by what an earlier expiry set off
    layer_reply reply;
    reply.failed = true;
    reply.code = status::timeout;
    reply.error = "no answer within the deadline of " + std::to_string(awaited->deadline.count()) + "ms";
    // The request times out; the instance stays, working on it or through a backlog, and
    // applies a put in order. Replacing it would throw its entries away. One that answers
    // nothing for hang_grace past the deadline is taken to hang and replaced (hang_check).
    if (st_.slots[i].last_answer <= awaited->sent && !busy_before(i, *awaited, now))
      watch_for_hang(i, awaited->generation, awaited->due() + hang_grace);
    if (awaited->generation == st_.slots[i].generation) // not an instance replaced since
      st_.shared->health.update(i, [&](layer_health_state& h) { h.late(reply.error, now); });
    answer(i, *awaited, reply);
  }
}

void router::watch_for_hang(std::size_t i, std::uint64_t generation, std::chrono::steady_clock::time_point due) {
  auto& s = st_.slots[i];
  if (generation != s.generation || (s.hang_check_due && *s.hang_check_due <= due))
    return;
  s.hang_check_due = due;
  const auto wait = std::max(due - std::chrono::steady_clock::now(), std::chrono::steady_clock::duration::zero());
  self_->delayed_send(self_, wait, hang_check_atom::value, i, generation, ++s.hang_check_number);
}

void router::hang_check(std::size_t i, std::uint64_t generation, std::uint64_t number) {
  auto& s = st_.slots[i];
  if (generation != s.generation || number != s.hang_check_number || !s.actor)
    return;
  s.hang_check_due.reset();
  const awaited_reply* oldest = nullptr;
  for (const auto& entry : st_.sent) {
    const auto& sent = entry.second;
    if (sent.slot == i && sent.awaited->generation == generation && (!oldest || sent.awaited->sent < oldest->sent))
      oldest = sent.awaited.get();
  }
  if (oldest == nullptr)
    return; // it has answered everything
  const auto now = std::chrono::steady_clock::now();
  const auto hung_from = std::max(oldest->due(), std::max(s.last_answer, oldest->sent)) + hang_grace;
  if (hung_from > now)
    return watch_for_hang(i, generation, hung_from);
  const auto waited_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - oldest->sent).count();
  failed(i, generation, fault_type::timeout,
         "no answer within the deadline of " + std::to_string(oldest->deadline.count()) + "ms, nor in the " +
           std::to_string(waited_ms) + " ms since the request was sent: taken to hang");
  give_up_on(i, generation);
  // Its call has been waited for already: the new instance starts beside it at once, or, when
  // `failed` put the restart off (it failed right after one), when that comes.
  wait_out(i);
  start_when_stopped(i, s.generation, false);
}

void router::give_up_on(std::size_t i, std::uint64_t generation) {
  end_requests(i, generation, false, "the layer's instance was replaced (taken to hang) before it answered");
}

void router::log_internal(std::size_t i, operation op, std::uint64_t request, const layer_reply& reply) {
  auto& s = st_.slots[i];
  const auto held = s.internal_lines.failure();
  if (!held)
    return;
  st_.log->write(log_level::warn, {"layer answered internal", s.cfg.name, to_string(op), strata::to_string(reply.code),
                                   {}, std::to_string(request),
                                   reply.error + (*held > 0 ? (reply.error.empty() ? "" : "; ") + std::to_string(*held) +
                                                                " more since the last line"
                                                            : "")});
}

void router::log_internal_ended(std::size_t i, operation op, std::uint64_t request) {
  auto& s = st_.slots[i];
  if (const auto held = s.internal_lines.success())
    st_.log->write(log_level::info, {"layer answers other than internal again" +
                                       (*held > 0 ? " (" + std::to_string(*held) + " more internal answers since the last line)"
                                                  : ""),
                                     s.cfg.name, to_string(op), {}, {}, std::to_string(request), {}});
}

void router::log_reply(std::size_t i, std::uint64_t request, operation op, const layer_reply& reply,
                       std::chrono::steady_clock::duration took) {
  log_fields f;
  f.message = "layer answered";
  f.layer = st_.slots[i].cfg.name;
  f.operation = to_string(op);
  f.status = strata::to_string(reply.code);
  f.duration_ms = std::chrono::duration<double, std::milli>(took).count();
  f.request_id = std::to_string(request);
  f.error = reply.error;
  st_.log->write(log_level::debug, f);
}

layer_metrics* router::metrics(std::size_t i) const noexcept {
  return st_.metrics.empty() ? nullptr : st_.metrics[i].get();
}

} // namespace strata::detail::coordination
