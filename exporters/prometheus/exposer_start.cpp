#include "exposer_start.hpp"

#include <CivetServer.h>

#include <stdexcept>

namespace strata::exporters {

namespace {

/// civetweb tells why a bind failed only through its log callback, which carries no pointer of
/// ours. It starts listening on the calling thread, so a thread-local collects what it says.
thread_local std::string* startup_messages = nullptr;

int collect_startup_message(const mg_connection*, const char* message) {
  if (startup_messages == nullptr)
    return 0; // a worker thread, later on: civetweb's own handling
  if (!startup_messages->empty())
    *startup_messages += "; ";
  *startup_messages += message;
  return 1;
}

/// Stops collecting however the constructor leaves.
struct collecting_into {
  explicit collecting_into(std::string& messages) { startup_messages = &messages; }
  ~collecting_into() { startup_messages = nullptr; }
  collecting_into(const collecting_into&) = delete;
  collecting_into& operator=(const collecting_into&) = delete;
};

} // namespace

std::unique_ptr<prometheus::Exposer> start_exposer(const std::string& address) {
  CivetCallbacks callbacks; // copied by civetweb, so a local will do
  callbacks.log_message = &collect_startup_message;
  std::string messages;
  collecting_into guard(messages);
  try {
    return std::make_unique<prometheus::Exposer>(address, 2, &callbacks);
  } catch (const std::exception& e) {
    // e.what() only says "possible problem binding to port"; civetweb's log has the reason.
    throw std::runtime_error("cannot listen on " + address + ": " + (messages.empty() ? e.what() : messages));
  }
}

} // namespace strata::exporters
