// Loads libstrata_json.so as the runtime does, publishes, and reads the output back.
#include "snapshot_json.hpp"
#include "support/plugin_library.hpp"
#include "support/recording_host.hpp"
#include "support/sample_telemetry.hpp"
#include "support/scratch_dir.hpp"
#include "support/snapshot_equal.hpp"

#include <strata/sdk.hpp>

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <linux/fs.h> // FS_IOC_SETFLAGS, FS_IMMUTABLE_FL
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const strata_plugin_descriptor& json_plugin() {
  static const auto& d = strata::testing::load_plugin("json");
  return d;
}

/// An exporter named "json-test" made through the descriptor, publishing what its source holds.
class instance {
public:
  explicit instance(const std::map<std::string, std::string>& values, const strata_host_api* host = nullptr)
      : exporter_(strata::testing::create_exporter(json_plugin(), "json-test", values, source_, host)) {}
  strata::exporter* get() const { return exporter_.get(); }
  strata::testing::fixed_telemetry_source& source() { return source_; }
  void publish() { exporter_->publish(source_.snapshot()); }

private:
  strata::testing::fixed_telemetry_source source_; // outlives the exporter
  strata::testing::plugin_ptr<strata::exporter> exporter_;
};

/// Why creating an exporter with `values` is refused; empty if it is not.
std::string create_error(const std::map<std::string, std::string>& values) {
  try {
    instance json(values);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

/// What the exporter logged at level error.
std::vector<std::string> logged_errors(const strata::testing::recording_host& host) {
  std::vector<std::string> out;
  for (const auto& line : host.logs())
    if (line.level == STRATA_LOG_ERROR)
      out.push_back(line.message);
  return out;
}

strata::telemetry_snapshot read_snapshot(const std::string& text) {
  auto read = strata::telemetry::snapshot_from_json(text);
  INFO((read ? "" : read.err().message));
  REQUIRE(read.has_value());
  return *read;
}

/// Whether this process can create a file in `dir` (then removed), or append to the file `file`;
/// errno says why not.
bool can_create_in(const fs::path& dir) {
  const auto probe = dir / "probe";
  const int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    return false;
  ::close(fd);
  ::unlink(probe.c_str());
  return true;
}

bool can_append_to(const fs::path& file) {
  const int fd = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0)
    return false;
  ::close(fd);
  return true;
}

/// Makes a directory (or a file) one this process cannot write, and gives it back when destroyed
/// (before its scratch_dir: the test then removes it). chmod first; root is not stopped by the mode
/// bits, so then chattr +i (FS_IMMUTABLE_FL), which stops root too where the file system has it
/// and the process may set it (CAP_LINUX_IMMUTABLE). `how` says which took; `works` is false when
/// neither did, and the test can then not make the case.
class unwritable {
public:
  explicit unwritable(fs::path path) : path_(std::move(path)), directory_(fs::is_directory(path_)) {
    fs::permissions(path_, directory_ ? fs::perms::owner_read | fs::perms::owner_exec : fs::perms::owner_read);
    if (!writable()) {
      how = "chmod";
      return;
    }
    const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
    int flags = 0;
    if (fd >= 0 && ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
      flags |= FS_IMMUTABLE_FL;
      immutable_ = ::ioctl(fd, FS_IOC_SETFLAGS, &flags) == 0;
    }
    if (fd >= 0)
      ::close(fd);
    if (immutable_ && !writable())
      how = "chattr +i";
  }
  ~unwritable() {
    if (immutable_) {
      const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC);
      int flags = 0;
      if (fd >= 0 && ::ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0) {
        flags &= ~FS_IMMUTABLE_FL;
        ::ioctl(fd, FS_IOC_SETFLAGS, &flags);
      }
      if (fd >= 0)
        ::close(fd);
    }
    std::error_code ignored;
    fs::permissions(path_, fs::perms::owner_all, ignored);
  }
  unwritable(const unwritable&) = delete;
  unwritable& operator=(const unwritable&) = delete;

  bool works() const { return !how.empty(); }
  /// Why the exporter's own probe fails, as the system words it.
  std::string reason() const {
    writable();
    return std::strerror(errno);
  }

  std::string how; ///< "chmod" or "chattr +i"; empty when neither stopped this process

private:
  bool writable() const { return directory_ ? can_create_in(path_) : can_append_to(path_); }

  fs::path path_;
  bool directory_;
  bool immutable_ = false;
};

} // namespace

TEST_CASE("the plugin describes itself", "[exporter][json]") {
  const auto& d = json_plugin();
  CHECK(d.abi_major == STRATA_ABI_MAJOR);
  CHECK(d.abi_minor == STRATA_ABI_MINOR);
  CHECK(std::string(d.name) == "json");
  CHECK(d.kind == STRATA_PLUGIN_EXPORTER);
  std::map<std::string, const strata_config_key*> keys;
  for (std::size_t i = 0; i < d.config_schema_size; ++i)
    keys[d.config_schema[i].key] = &d.config_schema[i];
  REQUIRE(keys.size() == 4);
  CHECK(keys.at("path")->type == STRATA_VALUE_FILE); // no other part of a deployment may write it
  CHECK(std::string(keys.at("path")->default_value) == "-");
  CHECK(keys.at("interval")->type == STRATA_VALUE_DURATION);
  CHECK(std::string(keys.at("interval")->default_value) == "10s");
  CHECK(keys.at("interval")->has_min == 1);
  CHECK(keys.at("interval")->min == 10);
  CHECK(std::string(keys.at("mode")->default_value) == "snapshot");
  CHECK(keys.at("pretty")->type == STRATA_VALUE_BOOL);
  CHECK(std::string(keys.at("pretty")->default_value) == "false");
}

TEST_CASE("snapshot mode replaces the file with each publish and leaves no temporary file", "[exporter][json]") {
  strata::test::scratch_dir dir{"strata-json"};
  const auto file = dir.path / "stats.json";
  instance json({{"path", file.string()}, {"interval", "250ms"}});
  REQUIRE(json.get() != nullptr);
  CHECK(json.get()->push_interval() == 250ms);

  json.publish();
  const auto text = read_file(file);
  CHECK(text.find('\n') == text.size() - 1); // one line, ended
  strata::testing::check_equal(read_snapshot(text), strata::testing::sample_snapshot());
  CHECK((fs::status(file).permissions() & fs::perms::others_read) != fs::perms::none);

  auto next = strata::testing::sample_snapshot();
  next.taken += 10s;
  next.stats.layers[0].hit_rate = 0.8;
  json.source().set(next);
  json.publish();
  strata::testing::check_equal(read_snapshot(read_file(file)), next);
  CHECK(std::distance(fs::directory_iterator(dir.path), fs::directory_iterator()) == 1);
}

TEST_CASE("pretty indents the snapshot, which still reads back equal", "[exporter][json]") {
  strata::test::scratch_dir dir{"strata-json"};
  const auto file = dir.path / "stats.json";
  instance json({{"path", file.string()}, {"pretty", "true"}});
  REQUIRE(json.get() != nullptr);
  CHECK(json.get()->push_interval() == 10s);
  json.publish();
  const auto text = read_file(file);
  CHECK(text.rfind("{\n  \"format\": 1,\n", 0) == 0);
  strata::testing::check_equal(read_snapshot(text), strata::testing::sample_snapshot());
}

TEST_CASE("lines mode appends one JSON line per publish", "[exporter][json]") {
  strata::test::scratch_dir dir{"strata-json"};
  const auto file = dir.path / "stats.jsonl";
  instance json({{"path", file.string()}, {"mode", "lines"}});
  REQUIRE(json.get() != nullptr);
  const int publishes = 3;
  for (int i = 0; i < publishes; ++i) {
    auto s = strata::testing::sample_snapshot();
    s.taken += std::chrono::seconds(i);
    json.source().set(s);
    json.publish();
  }
  std::istringstream lines(read_file(file));
  std::string line;
  int n = 0;
  for (; std::getline(lines, line); ++n) {
    auto expected = strata::testing::sample_snapshot();
    expected.taken += std::chrono::seconds(n);
    strata::testing::check_equal(read_snapshot(line), expected);
  }
  CHECK(n == publishes);
}

TEST_CASE("the start is logged with where each publish goes and how often", "[exporter][json]") {
  strata::test::scratch_dir dir{"strata-json"};
  const auto start_line = [](const std::map<std::string, std::string>& values) {
    strata::testing::recording_host host(STRATA_PLUGIN_EXPORTER, "json-test");
    instance json(values, host.api());
    const auto logs = host.logs();
    REQUIRE(logs.size() == 1);
    CHECK(logs[0].level == STRATA_LOG_INFO);
    return logs[0].message;
  };
  const auto file = (dir.path / "s.json").string();
  CHECK(start_line({{"path", file}}) == "replacing " + file + " with a snapshot every 10000 ms");
  CHECK(start_line({{"path", file}, {"mode", "lines"}, {"interval", "250ms"}}) ==
        "appending a JSON line to " + file + " every 250 ms");
  CHECK(start_line({}) == "writing snapshots to standard output every 10000 ms");
}

TEST_CASE("path - writes to standard output", "[exporter][json]") {
  strata::test::scratch_dir dir{"strata-json"};
  const auto captured = dir.path / "stdout";
  instance json({});
  REQUIRE(json.get() != nullptr);
  std::fflush(stdout);
  const int saved = dup(STDOUT_FILENO);
  REQUIRE(std::freopen(captured.c_str(), "w", stdout) != nullptr);
  json.publish();
  std::fflush(stdout);
  dup2(saved, STDOUT_FILENO);
  close(saved);
  strata::testing::check_equal(read_snapshot(read_file(captured)), strata::testing::sample_snapshot());
}

TEST_CASE("settings that cannot work are refused at creation, naming the problem", "[exporter][json]") {
  strata::test::scratch_dir dir{"strata-json"};
  SECTION("an unknown mode, with the allowed ones") {
    CHECK(create_error({{"path", (dir.path / "s.json").string()}, {"mode", "xml"}}) ==
          "mode: 'xml' is not one of snapshot, lines");
  }
  SECTION("a missing directory, by path") {
    const auto file = dir.path / "missing" / "s.json";
    CHECK(create_error({{"path", file.string()}}) == "path: the directory of '" + file.string() + "' (" +
                                                        (dir.path / "missing").string() + ") does not exist");
  }
  SECTION("a directory as the file") {
    CHECK(create_error({{"path", dir.path.string()}}) ==
          "path: '" + dir.path.string() + "' is a directory; name a file in it");
  }
  SECTION("an empty path") {
    CHECK(create_error({{"path", ""}}) == "path: empty; name a file, or '-' for standard output");
  }
  // A snapshot is renamed over its path: /dev/stdout, run as root, became a regular file in /dev.
  SECTION("a symbolic link or a device, for snapshots") {
    const auto link = dir.path / "link.json";
    std::ofstream(dir.path / "real.json") << "{}";
    std::filesystem::create_symlink(dir.path / "real.json", link);
    CHECK_THAT(create_error({{"path", link.string()}}),
               Catch::StartsWith("path: '" + link.string() + "' is not a regular file (a symbolic link), and a "
                                 "snapshot replaces the file at each publish"));
    CHECK_THAT(create_error({{"path", "/dev/null"}}),
               Catch::StartsWith("path: '/dev/null' is not a regular file (a device, pipe or socket)"));
    CHECK(create_error({{"path", "/dev/null"}, {"mode", "lines"}}).empty()); // appended to, not replaced
    CHECK(std::filesystem::is_symlink(link));
  }
}

TEST_CASE("a file that holds something other than JSON is neither replaced nor appended to", "[exporter][json]") {
  // Given the global layer's SQLite path, a snapshot replaced the database within its interval
  // (audit); lines would have been appended to it.
  strata::test::scratch_dir dir{"strata-json"};
  const auto mode = GENERATE(as<std::string>{}, "snapshot", "lines");
  INFO("mode " << mode);
  const auto database = dir.path / "global.sqlite3";
  const std::string header("SQLite format 3\0\x10\x00", 19);
  std::ofstream(database, std::ios::binary) << header;
  const auto refused = create_error({{"path", database.string()}, {"mode", mode}});
  CHECK(refused == "path: '" + database.string() + "' holds something other than JSON (it begins 'SQLite format "
                   "3\\x00'), which " +
                     (mode == "snapshot" ? "a snapshot would replace" : "lines would be appended to") +
                     ": name another file, or remove it if it is an old output");

  // One that comes after the start is left as it is: the publish fails, counted and logged.
  const auto later = dir.path / "later.json";
  strata::testing::recording_host host{STRATA_PLUGIN_EXPORTER, "json-test"};
  instance json({{"path", later.string()}, {"mode", mode}}, host.api());
  json.publish();
  CHECK(host.value("strata_exporter_errors_total") == 0);
  std::ofstream(later, std::ios::binary | std::ios::trunc) << header;
  json.publish();
  CHECK(host.value("strata_exporter_errors_total") == 1);
  CHECK_THAT(logged_errors(host).at(0), Catch::Contains("holds something other than JSON"));
  std::ifstream in(later, std::ios::binary);
  CHECK(std::string{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()} == header);

  // Its own output, and an empty file, are written as before.
  fs::remove(later);
  std::ofstream(later) << "\n  ";
  json.publish();
  json.publish();
  CHECK(host.value("strata_exporter_errors_total") == 1);
}

TEST_CASE("a publish that cannot write is logged and counted, never thrown", "[exporter][json]") {
  strata::test::scratch_dir dir{"strata-json"};
  const auto sub = dir.path / "out";
  fs::create_directory(sub);
  const auto mode = GENERATE(as<std::string>{}, "snapshot", "lines");
  INFO("mode " << mode);
  strata::testing::recording_host host{STRATA_PLUGIN_EXPORTER, "json-test"};
  instance json({{"path", (sub / "s.json").string()}, {"mode", mode}}, host.api());
  // One counter, with no label of the plugin's own: only the `exporter` label the host adds.
  const auto registered = host.metrics();
  REQUIRE(registered.size() == 1);
  CHECK(registered[0].name == "strata_exporter_errors_total");
  CHECK(registered[0].type == strata::metric_type::counter);
  REQUIRE(registered[0].samples.size() == 1);
  CHECK(registered[0].samples[0].labels == strata::metric_labels{{"exporter", "json-test"}});

  fs::remove_all(sub); // after construction: the check at start-up passed
  CHECK_NOTHROW(json.publish());
  CHECK(host.value("strata_exporter_errors_total") == 1);
  const auto errors_logged = logged_errors(host);
  REQUIRE(errors_logged.size() == 1);
  CHECK(errors_logged[0].rfind("publish failed: cannot ", 0) == 0);
  CHECK(errors_logged[0].find((sub / "s.json").string()) != std::string::npos);
  CHECK(errors_logged[0].find("No such file or directory") != std::string::npos);

  fs::create_directory(sub); // and it recovers by itself
  json.publish();
  CHECK(host.value("strata_exporter_errors_total") == 1);
  CHECK(fs::exists(sub / "s.json"));
}

TEST_CASE("a path the process may not write is refused at creation, naming the key and the reason",
          "[exporter][json]") {
  // As root (the tests' container), chmod 0500 stops nothing; chattr +i then does, where the file
  // system has it. Without either the case cannot be made here, and the test says so.
  strata::test::scratch_dir dir{"strata-json"};
  const auto sub = dir.path / "readonly";
  fs::create_directory(sub);
  const auto kept = sub / "kept.jsonl"; // there before the directory turned unwritable
  std::ofstream(kept) << "{}\n";
  const auto mode = GENERATE(as<std::string>{}, "snapshot", "lines");
  INFO("mode " << mode);
  unwritable readonly(sub);
  if (!readonly.works()) {
    WARN("neither chmod 0500 nor chattr +i stops this process from writing in a directory: not tested");
    return;
  }
  INFO("made unwritable by " << readonly.how);
  const auto file = sub / "s.json";
  CHECK(create_error({{"path", file.string()}, {"mode", mode}}) ==
        "path: the directory of '" + file.string() + "' (" + sub.string() + ") is not writable: " + readonly.reason());
  // Nothing left behind but the file that was there.
  CHECK(std::distance(fs::directory_iterator(sub), fs::directory_iterator()) == 1);
  if (mode == "lines") // appends to the file itself, which the directory does not stop
    CHECK(create_error({{"path", kept.string()}, {"mode", mode}}).empty());
}

TEST_CASE("lines mode refuses at creation a file there that the process may not append to", "[exporter][json]") {
  strata::test::scratch_dir dir{"strata-json"};
  const auto file = dir.path / "s.jsonl";
  std::ofstream(file) << "{}\n";
  unwritable readonly(file);
  if (!readonly.works()) {
    WARN("neither chmod 0400 nor chattr +i stops this process from appending to a file: not tested");
    return;
  }
  INFO("made unwritable by " << readonly.how);
  CHECK(create_error({{"path", file.string()}, {"mode", "lines"}}) ==
        "path: '" + file.string() + "' cannot be appended to: " + readonly.reason());
}

/// A directory for the exporter's file, which a test removes once the exporter exists.
struct vanishing_output {
  strata::test::scratch_dir dir{"strata-json"};
  fs::path sub = dir.path / "out";
  strata::testing::recording_host host{STRATA_PLUGIN_EXPORTER, "json-test"};
  vanishing_output() { fs::create_directory(sub); }
};

TEST_CASE("failed publishes held back when the exporter stops are told then", "[exporter][json]") {
  vanishing_output out;
  auto& [dir, sub, host] = out;
  {
    instance json({{"path", (sub / "s.json").string()}}, host.api());
    fs::remove_all(sub);
    const auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 3; ++i)
      json.publish();
    if (std::chrono::steady_clock::now() - started >= 1s) {
      WARN("3 publishes took a second or more: none was held back, not tested");
      return;
    }
    REQUIRE(logged_errors(host).size() == 1);
  }
  const auto logs = host.logs();
  REQUIRE(!logs.empty());
  CHECK(logs.back().level == STRATA_LOG_WARN);
  CHECK(logs.back().message ==
        "2 more failed publishes to " + (sub / "s.json").string() + " since the last line, not logged before the stop");
}

TEST_CASE("failed publishes are logged once a second at most, and a success after them says so",
          "[exporter][json]") {
  // An interval of 10 ms logged a line per publish for as long as the directory was gone.
  vanishing_output out;
  auto& [dir, sub, host] = out;
  instance json({{"path", (sub / "s.json").string()}}, host.api());
  fs::remove_all(sub);

  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i)
    CHECK_NOTHROW(json.publish());
  const bool within_a_second = std::chrono::steady_clock::now() - started < 1s;
  CHECK(host.value("strata_exporter_errors_total") == 5);
  const auto errors_logged = logged_errors(host);
  REQUIRE(!errors_logged.empty());
  CHECK(errors_logged[0].rfind("publish failed: cannot create a temporary file for " + (sub / "s.json").string(), 0) == 0);
  if (within_a_second) {
    CHECK(errors_logged.size() == 1);
  } else {
    WARN("5 publishes took a second or more: the lines held back are not checked");
  }

  fs::create_directory(sub);
  std::this_thread::sleep_until(started + 1050ms); // a line a second at most, this one too
  json.publish();
  CHECK(host.value("strata_exporter_errors_total") == 5);
  std::vector<std::string> again;
  for (const auto& line : host.logs())
    if (line.message.find(" again") != std::string::npos) {
      CHECK(line.level == STRATA_LOG_INFO);
      again.push_back(line.message);
    }
  REQUIRE(again.size() == 1);
  if (within_a_second)
    CHECK(again[0] == "writing " + (sub / "s.json").string() + " again (4 more failed publishes since the last line)");

  // Once told, the next success is quiet, and a new failure is logged (a second after the last
  // line at the earliest).
  json.publish();
  fs::remove_all(sub);
  std::this_thread::sleep_for(1050ms);
  json.publish();
  CHECK(logged_errors(host).size() == errors_logged.size() + 1);
  std::size_t again_lines = 0;
  for (const auto& line : host.logs())
    again_lines += line.message.find(" again") != std::string::npos;
  CHECK(again_lines == 1);
}
