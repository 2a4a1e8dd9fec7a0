// strata-bench server: redis-benchmark against `strata serve` (its Redis protocol) and against a
// real redis-server, both on loopback in the same run: GET and SET at -P 1 and -P 16; then the
// server's HTTP API against its own Redis protocol, one GET at a time on one connection.
#include "suites.hpp"

#include <httplib.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace strata::bench {
namespace {

/// A port that was free a moment ago (the kernel's choice for port 0).
int free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t length = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &length);
  close(fd);
  return ntohs(a.sin_port);
}

bool accepts(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  close(fd);
  return ok;
}

/// A child process, stopped with SIGTERM (then SIGKILL) when this object goes.
class child {
public:
  explicit child(std::vector<std::string> argv, const std::string& log) {
    pid_ = fork();
    if (pid_ == 0) {
      std::freopen(log.c_str(), "w", stdout);
      std::freopen(log.c_str(), "a", stderr);
      std::vector<char*> args;
      for (auto& a : argv)
        args.push_back(a.data());
      args.push_back(nullptr);
      execvp(args[0], args.data());
      std::perror("exec");
      _exit(127);
    }
  }
  ~child() {
    if (pid_ <= 0)
      return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_)
        return;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  child(const child&) = delete;
  child& operator=(const child&) = delete;
  bool running() const { return pid_ > 0 && waitpid(pid_, nullptr, WNOHANG) == 0; }

  /// CPU time the process has used (user and system), from /proc.
  double cpu_seconds() const {
    std::ifstream stat("/proc/" + std::to_string(pid_) + "/stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i)
      if (i >= 14)
        ticks += std::strtod(field.c_str(), nullptr); // utime and stime
    return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
  }

private:
  pid_t pid_ = -1;
};

bool wait_until_accepting(int port, const child& process) {
  for (int i = 0; i < 200; ++i) {
    if (accepts(port))
      return true;
    if (!process.running())
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

std::string run(const std::string& command) {
  std::string out;
  if (FILE* p = popen(command.c_str(), "r")) {
    std::array<char, 4096> buffer;
    while (std::fgets(buffer.data(), buffer.size(), p))
      out += buffer.data();
    pclose(p);
  }
  return out;
}

/// redis-benchmark's requests per second for `test` (SET or GET) at `pipeline`, from `clients` connections.
std::optional<double> requests_per_second(int port, const std::string& test, int pipeline, int requests,
                                          int clients = 50) {
  const auto command = "redis-benchmark -h 127.0.0.1 -p " + std::to_string(port) + " -c " + std::to_string(clients) + " -n " +
                       std::to_string(requests) + " -P " + std::to_string(pipeline) + " -t " + test + " --csv 2>&1";
  const auto out = run(command);
  // "SET","93632.96",...
  const auto at = out.find("\"" + test + "\",\"");
  if (at == std::string::npos) {
    std::fprintf(stderr, "strata-bench server: no figure from `%s`:\n%s\n", command.c_str(), out.c_str());
    return std::nullopt;
  }
  return std::strtod(out.c_str() + at + test.size() + 4, nullptr);
}

/// Requests per second of `requests` GETs of one key made one after the other by one client
/// keeping its connection alive (the server closes it after 5 requests; the client opens another).
std::optional<double> http_gets_per_second(int port, int requests) {
  httplib::Client client("127.0.0.1", port);
  client.set_keep_alive(true);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < requests; ++i)
    if (const auto got = client.Get("/v1/cache/bench"); !got || got->status != 200) {
      std::fprintf(stderr, "strata-bench server: GET /v1/cache/bench failed\n");
      return std::nullopt;
    }
  return requests / std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

} // namespace

int run_server() {
  // The machine is shared: the best of a few runs is the figure least disturbed by the rest.
  constexpr int rounds = 3;
  if (run("command -v redis-server").empty() || run("command -v redis-benchmark").empty()) {
    std::fprintf(stderr, "strata-bench server: needs redis-server and redis-benchmark (scripts/setup installs "
                         "redis-server and redis-tools)\n");
    return 1;
  }
  char dir_template[] = "/tmp/strata-bench-server-XXXXXX";
  const std::string dir = mkdtemp(dir_template);
  const int strata_port = free_port();
  int redis_port = free_port();
  while (redis_port == strata_port)
    redis_port = free_port();
  int http_port = free_port();
  while (http_port == strata_port || http_port == redis_port)
    http_port = free_port();
  {
    std::ofstream yaml(dir + "/deployment.yaml");
    yaml << "plugins: {path: [\"" << STRATA_PLUGIN_DIR << "\"]}\n"
         // A deadline above the default 100 ms: 800 pipelined SETs queue at the layer's actor, and on
         // a loaded machine the last of them can wait longer than 100 ms.
         << "layers: [{name: hot, plugin: predictive, deadline: 2s, config: {max_entries: 1000000, max_bytes: 512MiB}}]\n"
         << "logging: {level: warn}\n"
         << "server:\n  http: {address: \"127.0.0.1:" << http_port << "\"}\n  resp: {address: \"127.0.0.1:"
         << strata_port << "\"}\n";
  }
  child redis({"redis-server", "--port", std::to_string(redis_port), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", dir},
              dir + "/redis.log");
  child strata({STRATA_SERVER_BINARY, "serve", "-c", dir + "/deployment.yaml"}, dir + "/strata.log");
  if (!wait_until_accepting(redis_port, redis) || !wait_until_accepting(strata_port, strata) ||
      !wait_until_accepting(http_port, strata)) {
    std::fprintf(stderr, "strata-bench server: a server did not start; logs in %s\n", dir.c_str());
    return 1;
  }
  std::printf("redis-benchmark -c 50 -t set,get against redis-server (port %d) and strata serve (port %d); best of "
              "%d runs each, alternating; CPU is the server's user+system time per request\n",
              redis_port, strata_port, rounds);
  std::printf("%-4s %-3s %13s %13s %7s %14s %14s\n", "test", "-P", "redis req/s", "strata req/s", "ratio",
              "redis CPU us", "strata CPU us");
  std::map<std::string, double> ratios;
  for (const int pipeline : {1, 16}) {
    // SET first: it creates the key the GETs read (redis-benchmark uses one key without -r).
    for (const std::string test : {"SET", "GET"}) {
      const int requests = pipeline == 1 ? 100000 : 2000000;
      // strata's SETs go through the coordinator, an order of magnitude slower: fewer of them.
      const int ours_requests = test == "SET" && pipeline > 1 ? requests / 8 : requests;
      double theirs = 0, ours = 0, theirs_cpu = 1e9, ours_cpu = 1e9;
      for (int round = 0; round < rounds; ++round) {
        for (auto* server : {&redis, &strata}) {
          const bool is_redis = server == &redis;
          const int n = is_redis ? requests : ours_requests;
          const double cpu_before = server->cpu_seconds();
          const auto rate = requests_per_second(is_redis ? redis_port : strata_port, test, pipeline, n);
          if (!rate) {
            std::fprintf(stderr, "strata-bench server: incomplete; logs in %s\n", dir.c_str());
            return 1;
          }
          const double cpu_us = (server->cpu_seconds() - cpu_before) * 1e6 / n;
          (is_redis ? theirs : ours) = std::max(is_redis ? theirs : ours, *rate);
          (is_redis ? theirs_cpu : ours_cpu) = std::min(is_redis ? theirs_cpu : ours_cpu, cpu_us);
        }
      }
      const double ratio = ours / theirs;
      std::printf("%-4s %-3d %13.0f %13.0f %7.3f %14.2f %14.2f\n", test.c_str(), pipeline, theirs, ours, ratio,
                  theirs_cpu, ours_cpu);
      std::fflush(stdout);
      ratios[(test == "GET" ? "get_p" : "set_p") + std::to_string(pipeline)] = ratio;
    }
  }
  // The HTTP API against the Redis protocol of the same server, one request at a time on one
  // connection each: a reply held back by Nagle's algorithm (until 2026-12-08: ~40 ms for every
  // kept-alive request after the first, the client's delayed ACK) shows here as a ratio near 0.
  const auto put = httplib::Client("127.0.0.1", http_port)
                     .Put("/v1/cache/bench", "{\"value\": \"" + std::string(100, 'v') + "\"}", "application/json");
  if (!put || put->status != 204) {
    std::fprintf(stderr, "strata-bench server: PUT /v1/cache/bench failed; logs in %s\n", dir.c_str());
    return 1;
  }
  double http = 0, resp = 0;
  for (int round = 0; round < rounds; ++round) {
    const auto http_rate = http_gets_per_second(http_port, 5000);
    const auto resp_rate = requests_per_second(strata_port, "GET", 1, 20000, 1);
    if (!http_rate || !resp_rate) {
      std::fprintf(stderr, "strata-bench server: incomplete; logs in %s\n", dir.c_str());
      return 1;
    }
    http = std::max(http, *http_rate);
    resp = std::max(resp, *resp_rate);
  }
  std::printf("one connection, one request at a time: HTTP GET %.0f req/s (kept alive for 5 requests), Redis GET "
              "%.0f req/s (redis-benchmark -c 1 -P 1): ratio %.3f\n",
              http, resp, http / resp);
  if (!strata.running()) {
    std::fprintf(stderr, "strata-bench server: strata serve stopped during the run; logs in %s\n", dir.c_str());
    return 1;
  }
  std::printf("RESULT server.get_p1_vs_redis %.3f\n", ratios["get_p1"]);
  std::printf("RESULT server.set_p1_vs_redis %.3f\n", ratios["set_p1"]);
  std::printf("RESULT server.get_p16_vs_redis %.3f\n", ratios["get_p16"]);
  std::printf("RESULT server.set_p16_vs_redis %.3f\n", ratios["set_p16"]);
  std::printf("RESULT server.http_get_vs_resp_get %.3f\n", http / resp);
  run("rm -rf " + dir);
  return 0;
}

} // namespace strata::bench
