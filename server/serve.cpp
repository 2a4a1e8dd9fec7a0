#include "commands.hpp"
#include "hidden_secrets.hpp"

#include "http_server.hpp"
#include "resp_server.hpp"
#include "served_defaults.hpp"

#include <strata/runtime.hpp>
#include <strata/secrets.hpp>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <optional>
#include <future>
#include <thread>

namespace strata::server {

namespace {

sigset_t serve_signals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  return signals;
}

/// Writes `line` and a newline to stderr in one write: the log's own thread writes there too, and
/// a line written a piece at a time (stderr is unbuffered) came out with a log line inside it.
void say(const std::string& line) {
  const auto text = line + "\n";
  std::fwrite(text.data(), 1, text.size(), stderr);
}

/// `message` placed, as a config error is, where `key` is written in the deployment (`path` alone
/// for a default).
std::string placed(const std::string& path, const config& cfg, const std::string& key, const std::string& message) {
  const auto at = cfg.positions.find(key);
  return config_error{path, at != cfg.positions.end() ? at->second : source_position{}, "", message}.to_string();
}

} // namespace

void block_serve_signals() {
  const auto signals = serve_signals();
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
}

int serve(const std::string& path) {
  // Blocked before the runtime and the HTTP server start their threads, so that only sigwait
  // sees them (main has blocked them already; this keeps serve correct on its own).
  block_serve_signals();
  const auto signals = serve_signals();
  // A shell starts a background job with SIGINT ignored, and sigwait never returns an ignored
  // signal: restore the default so that SIGINT stops a backgrounded server too.
  std::signal(SIGINT, SIG_DFL);

  // Read and validated first, then both front ends bound, and only then the runtime started: a
  // port another process holds must stop this one before it creates a layer's files, starts an
  // exporter (a json exporter would write its snapshot over the running instance's) or says it
  // serves. As runtime::from_file, but for the listeners between reading and starting (from_config
  // checks the deployment against the plugins' schemas again: cheap, and the file is read once).
  auto report = check_config_file(path);
  if (!report.ok()) {
    say(without_password(report.message())); // a plugin's reason may quote a URL
    return 1;
  }
  config& checked = *report.effective;
  if (const auto refused = refused_as_served(checked); !refused.empty()) {
    say(without_password("strata: " + path + ": " + refused));
    return 1;
  }
  // Both front ends bind before either is announced: a script that waits for "http on" must not
  // take a server that then fails to bind its Redis port for a running one.
  std::optional<http_server> http;
  if (checked.server.http.enabled) {
    http.emplace(checked.server.http);
    if (const auto bound = http->bind(); !bound) {
      say("strata: " + placed(path, checked, "server.http.address", bound.err().message));
      return 1;
    }
  }
  std::optional<resp::resp_server> redis;
  if (checked.server.resp.enabled) {
    redis.emplace(checked.server.resp);
    if (const auto bound = redis->bind(); !bound) {
      say("strata: " + placed(path, checked, "server.resp.address", bound.err().message));
      return 1; // the HTTP socket closes with `http`
    }
  }
  auto rt = runtime::from_config(std::move(checked));
  if (!rt) {
    say(without_password(rt.err().message));
    return 1;
  }
  const config& cfg = (*rt)->effective_config();
  say("strata: serving " + path + " with " + std::to_string(cfg.layers.size()) + " layer(s). Ctrl-C stops.");
  std::string http_bound;
  if (http) {
    const auto served = http->serve(**rt);
    if (!served) {
      say("strata: " + placed(path, cfg, "server.http.address", served.err().message));
      (*rt)->shutdown();
      return 1;
    }
    http_bound = *served;
  }
  std::string resp_bound;
  if (redis) {
    const auto served = redis->serve(**rt);
    if (!served) {
      say("strata: " + placed(path, cfg, "server.resp.address", served.err().message));
      if (http)
        http->stop();
      (*rt)->shutdown();
      return 1;
    }
    resp_bound = *served;
  }
  // Tests and scripts that ask for port 0 read the ports from these lines.
  if (http)
    say("strata: http on " + http_bound);
  if (redis)
    say("strata: resp on " + resp_bound);
  int received = 0;
  // SIGHUP re-reads the file: alert rules and log level apply at once; the runtime logs the rest
  // as needing a restart, or every error of an invalid file (which changes nothing).
  while (sigwait(&signals, &received) == 0 && received == SIGHUP) {
    const auto report = (*rt)->reload(path);
    say("strata: SIGHUP, " + std::string(report.valid ? "reloaded " : "reload refused: ") + path + " (" +
        std::to_string(report.applied.size()) + " applied, " + std::to_string(report.needs_restart.size()) +
        " need a restart, " + std::to_string(report.errors.size()) + " errors)");
  }
  say(std::string("strata: ") + (received == SIGINT ? "SIGINT" : "SIGTERM") + ", draining");
  // The front ends drain, then the runtime waits for its requests (at most shutdown_timeout), then
  // for every thread. What no one can stop holds them: a plugin stuck in a call (a layer sleeping
  // past its deadline, a webhook that never answers), an HTTP client still sending its request (the
  // HTTP server waits for it). Past this limit, counted from the signal, the process ends without
  // them rather than hang until a supervisor's SIGKILL.
  const auto limit = 2 * cfg.runtime.shutdown_timeout + std::chrono::seconds(10);
  std::thread([limit] {
    std::this_thread::sleep_for(limit);
    say("strata: the drain did not end within " + std::to_string(limit.count()) +
        " ms (a plugin stuck in a call, or an HTTP client still sending; see the log); exiting without it");
    // Each line is written out as the log's own thread takes it: time for what is still queued.
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    std::_Exit(1);
  }).detach();
  // Both front ends at once: a slow HTTP client must not keep RESP taking requests, nor keep the
  // runtime from draining (its layers flushed, its observers' records written) past shutdown_timeout.
  std::promise<void> http_stopped;
  auto http_done = http_stopped.get_future();
  std::thread http_drain([&http, &http_stopped] {
    if (http)
      http->stop();
    http_stopped.set_value();
  });
  if (redis)
    redis->stop(cfg.runtime.shutdown_timeout);
  http_done.wait_for(cfg.runtime.shutdown_timeout);
  (*rt)->shutdown();
  http_drain.join();
  // Destroyed before the last word: its log's own thread writes out what is queued (the layers'
  // last lines too, which their destructors log), which came after "strata: stopped".
  rt->reset();
  say("strata: stopped");
  return 0;
}

} // namespace strata::server
