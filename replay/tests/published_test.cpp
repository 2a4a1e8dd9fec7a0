// `strata replay`, the real binary as a user runs it, on the shared traces: its LRU must reproduce
// the published figures exactly (../shared/data/README.md), which proves the replay faithful.
#include <catch2/catch.hpp>

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

namespace {

const std::string data_dir = STRATA_DATA_DIR;
const std::string cloudphysics = data_dir + "/traces/cloudPhysicsIO.oracleGeneral.bin";
const std::string gli = data_dir + "/traces/lirs/gli.trace.gz";

struct run_result {
  int exit_code = -1;
  std::string output; ///< stdout and stderr
};

run_result run_replay(const std::string& arguments) {
  const std::string command = std::string("'") + STRATA_EXECUTABLE + "' replay " + arguments + " 2>&1";
  run_result out;
  FILE* pipe = ::popen(command.c_str(), "r");
  REQUIRE(pipe != nullptr);
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
    out.output.append(buffer, n);
  const int status = ::pclose(pipe);
  out.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

struct capacity_line {
  unsigned long long misses = 0;
  unsigned long long requests = 0;
};

/// The figures of every `capacity ...` line, in order.
std::vector<capacity_line> capacity_lines(const std::string& output) {
  std::vector<capacity_line> out;
  for (const auto& line : lines_of(output)) {
    if (line.rfind("capacity ", 0) != 0)
      continue;
    const auto colon = line.find(": ");
    capacity_line c;
    REQUIRE(std::sscanf(line.c_str() + colon, ": %llu misses of %llu requests", &c.misses, &c.requests) == 2);
    out.push_back(c);
  }
  return out;
}

std::string capacity_list(int first, int step, int last, const char* unit) {
  std::string list;
  for (int n = first; n <= last; n += step)
    list += (list.empty() ? "" : ",") + std::to_string(n) + unit;
  return list;
}

} // namespace

TEST_CASE("strata replay reproduces libCacheSim's LRU miss counts on cloudPhysicsIO at 128..1024 MiB",
          "[replay][published]") {
  const auto result = run_replay("--trace '" + cloudphysics + "' --format oracle-general --capacity " +
                                 capacity_list(128, 128, 1024, "MiB") + " --policy lru");
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  // The LRU line of cloudPhysicsIO.expected_miss_ratios.txt (libCacheSim's test_evictionAlgo.c).
  const std::vector<unsigned long long> published{93374, 89783, 83572, 81722, 72494, 72104, 71972, 71704};
  const auto lines = capacity_lines(result.output);
  REQUIRE(lines.size() == published.size());
  for (std::size_t i = 0; i < published.size(); ++i) {
    INFO("capacity " << (i + 1) * 128 << " MiB");
    CHECK(lines[i].requests == 113872);
    CHECK(lines[i].misses == published[i]);
  }
  CHECK(lines_of(result.output).back().rfind("RESULT miss_ratio_1024MiB 0.6296", 0) == 0);
}

TEST_CASE("strata replay reproduces the published LRU hit ratios of gli at 250..2000 entries",
          "[replay][published]") {
  const auto result = run_replay("--trace '" + gli + "' --format lirs --capacity " +
                                 capacity_list(250, 250, 2000, "entries"));
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  const std::vector<std::string> published{"0.91", "0.95", "1.15", "11.21", "21.25", "36.56", "45.04", "57.41"};
  const auto lines = capacity_lines(result.output);
  REQUIRE(lines.size() == published.size());
  for (std::size_t i = 0; i < published.size(); ++i) {
    INFO("capacity " << (i + 1) * 250 << " entries");
    CHECK(lines[i].requests == 6015);
    char percent[32];
    std::snprintf(percent, sizeof percent, "%.2f",
                  100.0 * static_cast<double>(lines[i].requests - lines[i].misses) / lines[i].requests);
    CHECK(percent == published[i]);
  }
}

TEST_CASE("strata replay at one capacity ends with RESULT byte_miss_ratio, then RESULT miss_ratio",
          "[replay][published]") {
  const auto result = run_replay("--trace '" + gli + "' --format lirs --capacity 1000entries");
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  const auto lines = lines_of(result.output);
  REQUIRE(lines.size() >= 2);
  CHECK(lines[lines.size() - 2] == "RESULT byte_miss_ratio 0.887947");
  CHECK(lines.back() == "RESULT miss_ratio 0.887947");
  CHECK(result.output.find("not implemented") == std::string::npos);
}

TEST_CASE("strata replay takes blanks around the capacities of a list", "[replay][published]") {
  const auto result = run_replay("--trace '" + gli + "' --format lirs --capacity '1000entries, 2000 entries '");
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  CHECK_THAT(result.output, Catch::Contains("RESULT miss_ratio_1000entries 0.887947") &&
                              Catch::Contains("RESULT miss_ratio_2000entries"));
}

TEST_CASE("strata replay --policy predictive and predictive-tinylfu name their policy and that prefetch is off",
          "[replay][published]") {
  const std::vector<std::pair<std::string, std::string>> policies = {
    {"predictive", "policy predictive: follows a GreedyDual-Size or a W-TinyLFU shadow, whichever has hit more "
                   "(adaptive_window); prefetch off"},
    {"predictive-tinylfu", "policy predictive: W-TinyLFU on the access model (adaptive_window false); prefetch off"}};
  for (const auto& [policy, says] : policies) {
    const auto result = run_replay("--trace '" + gli + "' --format lirs --capacity 1000entries --policy " + policy);
    INFO(result.output);
    REQUIRE(result.exit_code == 0);
    CHECK_THAT(result.output, Catch::Contains(says));
    CHECK(lines_of(result.output).back().rfind("RESULT miss_ratio ", 0) == 0);
    CHECK(lines_of(result.output).back() != "RESULT miss_ratio 0.887947"); // not the LRU's
  }
}

TEST_CASE("strata replay reads web07 (xz, big-endian int32 keys)", "[replay][published]") {
  const auto result = run_replay("--trace '" + data_dir + "/traces/web07.trace.xz' --format int32be --capacity 2000entries");
  INFO(result.output);
  REQUIRE(result.exit_code == 0);
  const auto lines = capacity_lines(result.output);
  REQUIRE(lines.size() == 1);
  CHECK(lines[0].requests == 76118);
}

TEST_CASE("strata replay names the file and the offset of malformed input and fails", "[replay][published]") {
  const std::string path = "/tmp/strata_replay_malformed_" + std::to_string(::getpid()) + ".bin";
  {
    std::ofstream out(path, std::ios::binary);
    // One record (next access -1: none) and 10 bytes of the next.
    out << std::string(16, '\1') << std::string(8, '\xff') << std::string(10, '\1');
  }
  const auto result = run_replay("--trace '" + path + "' --format oracle-general --capacity 1MiB");
  std::remove(path.c_str());
  CHECK(result.exit_code == 1);
  CHECK(result.output == "strata replay: " + path + ": byte offset 24: truncated record: 10 of 24 bytes\n");
}

TEST_CASE("strata replay refuses a trace without requests rather than print a miss ratio of 0", "[replay][published]") {
  const std::string path = "/tmp/strata_replay_empty_" + std::to_string(::getpid()) + ".trace";
  {
    std::ofstream out(path, std::ios::binary);
    out << "\n*\n\n"; // blank and marker lines only
  }
  const auto result = run_replay("--trace '" + path + "' --format lirs --capacity 10entries");
  std::remove(path.c_str());
  CHECK(result.exit_code == 1);
  CHECK(result.output == "strata replay: " + path + ": no requests in the trace\n");
}

TEST_CASE("strata replay refuses an unknown format or capacity", "[replay][published]") {
  auto result = run_replay("--trace '" + gli + "' --format csv --capacity 10entries");
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.output, Catch::Contains("unknown format 'csv'"));
  result = run_replay("--trace '" + gli + "' --format lirs --capacity 10apples");
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.output, Catch::Contains("capacity '10apples'"));
  for (const char* list : {"10entries,", "10entries,,20entries", ",10entries"}) {
    result = run_replay("--trace '" + gli + "' --format lirs --capacity " + list);
    CHECK(result.exit_code == 2);
    CHECK_THAT(result.output, Catch::Contains("capacity '' is not"));
  }
  result = run_replay("--trace '" + gli + "' --format lirs --capacity 10entries,20entries,10entries");
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.output, Catch::Contains("capacity '10entries' is given twice (as '10entries' before)"));
  result = run_replay("--trace '" + gli + "' --format lirs --capacity 1KiB,1024");
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.output, Catch::Contains("capacity '1024' is given twice (as '1KiB' before)"));
  result = run_replay("--trace '" + gli + "' --format lirs --capacity ''");
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.output, Catch::Contains("capacity '' is not"));
  result = run_replay("--trace '' --format lirs --capacity 10entries");
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.output, Catch::Contains("--trace names no file"));
  // What the command-line parser refuses exits 2 as well, not with one of its own codes (105-120).
  result = run_replay("--trace '" + gli + "' --format lirs --capacity 10entries --policy arc");
  CHECK(result.exit_code == 2);
  result = run_replay("--trace '" + gli + "' --format lirs");
  CHECK(result.exit_code == 2);
  CHECK_THAT(result.output, Catch::Contains("--capacity is required"));
  result = run_replay("--trace '" + gli + "' --format lirs --capacity 10entries --bogus");
  CHECK(result.exit_code == 2);
}
