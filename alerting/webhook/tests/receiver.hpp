#pragma once
// A webhook receiver for the tests: an httplib server on 127.0.0.1 (any free port) that records
// every request and answers with scripted statuses, or holds its answer until it is destroyed.

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace strata::testing {

struct received_request {
  std::string path; ///< with the query
  std::string body;
  std::string content_type;
  bool has_authorization = false;
  std::string authorization;
};

class receiver {
public:
  /// Answers the n-th request with `statuses[n]`, and every later one with the last status.
  /// `server` may be an httplib::SSLServer.
  explicit receiver(std::vector<int> statuses = {200},
                    std::unique_ptr<httplib::Server> server = std::make_unique<httplib::Server>())
    : statuses_(std::move(statuses)), server_(std::move(server)) {
    server_->Post(".*", [this](const httplib::Request& request, httplib::Response& response) {
      answer(request, response);
    });
    port_ = server_->bind_to_any_port("127.0.0.1");
    if (port_ <= 0)
      throw std::runtime_error("the test receiver cannot bind to 127.0.0.1");
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    // stop() before the accept loop runs would be lost, and the destructor would wait forever.
    while (!server_->is_running())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  ~receiver() {
    {
      std::lock_guard<std::mutex> guard(mutex_);
      released_ = true;
    }
    released_changed_.notify_all();
    server_->stop();
    thread_.join();
  }

  receiver(const receiver&) = delete;
  receiver& operator=(const receiver&) = delete;

  int port() const noexcept { return port_; }

  /// e.g. http://127.0.0.1:PORT/alerts
  std::string url(const std::string& scheme = "http", const std::string& target = "/alerts") const {
    return scheme + "://127.0.0.1:" + std::to_string(port_) + target;
  }

  /// From now on, take requests and never answer (until destroyed).
  void hang() {
    std::lock_guard<std::mutex> guard(mutex_);
    hanging_ = true;
  }

  std::vector<received_request> requests() const {
    std::lock_guard<std::mutex> guard(mutex_);
    return requests_;
  }

private:
  void answer(const httplib::Request& request, httplib::Response& response) {
    std::unique_lock<std::mutex> lock(mutex_);
    received_request r;
    r.path = request.target;
    r.body = request.body;
    r.content_type = request.get_header_value("Content-Type");
    r.has_authorization = request.has_header("Authorization");
    r.authorization = request.get_header_value("Authorization");
    const auto n = requests_.size();
    requests_.push_back(std::move(r));
    if (hanging_) {
      released_changed_.wait(lock, [this] { return released_; });
      return;
    }
    response.status = statuses_[std::min(n, statuses_.size() - 1)];
    response.set_content("{}", "application/json");
  }

  std::vector<int> statuses_;
  std::unique_ptr<httplib::Server> server_;
  int port_ = 0;
  std::thread thread_;
  mutable std::mutex mutex_;
  std::condition_variable released_changed_;
  bool hanging_ = false;
  bool released_ = false;
  std::vector<received_request> requests_;
};

} // namespace strata::testing
