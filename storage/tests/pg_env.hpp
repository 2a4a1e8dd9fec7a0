#pragma once
// The PostgreSQL that tests labelled `postgres` run against: the one scripts/pg-start started,
// named by STRATA_PG_DSN (and its folder by STRATA_PG_DIR, for tests that stop and restart it).
// Without the variable a test run by hand reports SKIP (exit code 77, which CTest shows as
// skipped); under CI (CI or STRATA_REQUIRE_PG set) it fails instead, so that a missing server is
// never taken for a pass. scripts/test always starts a server and sets the variable.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

namespace strata::test {

inline constexpr int skip_exit_code = 77;

inline std::string env_or_skip(const char* name) {
  if (const char* v = std::getenv(name); v != nullptr && *v != '\0')
    return v;
  const std::string why = std::string(name) + " is not set: start a server with `eval \"$(scripts/pg-start)\"`";
  if (std::getenv("CI") != nullptr || std::getenv("STRATA_REQUIRE_PG") != nullptr)
    FAIL(why + " (required under CI)");
  std::cerr << "SKIP: " << why << "\n";
  std::exit(skip_exit_code);
}

/// The connection string of the test server.
inline std::string pg_dsn() { return env_or_skip("STRATA_PG_DSN"); }

/// The folder of the test server, for scripts/pg-stop and scripts/pg-start.
inline std::string pg_dir() { return env_or_skip("STRATA_PG_DIR"); }

/// Runs a shell command; true when it exits 0.
inline bool run(const std::string& command) { return std::system(command.c_str()) == 0; }

/// Stops the test server at once (no checkpoint, connections cut), as a crash would.
inline void kill_server() { REQUIRE(run(std::string(STRATA_SOURCE_DIR) + "/scripts/pg-stop --immediate --keep " + pg_dir() + " >/dev/null")); }

/// Freezes the test server (SIGSTOP to the postmaster and its processes) while it lives: it
/// accepts TCP connections but answers nothing, like a server stalled by its machine.
class frozen_server {
public:
  frozen_server() { REQUIRE(run(signal_all("STOP"))); }
  ~frozen_server() { run(signal_all("CONT")); }
  frozen_server(const frozen_server&) = delete;
  frozen_server& operator=(const frozen_server&) = delete;

private:
  static std::string signal_all(const char* signal) {
    const std::string pid = "$(head -1 " + pg_dir() + "/data/postmaster.pid)";
    return std::string("kill -") + signal + " " + pid + " $(ps -o pid= --ppid " + pid + ")";
  }
};

/// Starts the test server again in its folder, on its port.
inline void restart_server() { REQUIRE(run(std::string(STRATA_SOURCE_DIR) + "/scripts/pg-start " + pg_dir() + " >/dev/null")); }

} // namespace strata::test
