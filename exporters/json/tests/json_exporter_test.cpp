// Loads libstrata_json.so as the runtime does, publishes, and reads the output back.
#include "sample_telemetry.hpp"
#include "snapshot_equal.hpp"
#include "snapshot_json.hpp"

#include <strata/sdk.hpp>

#include <catch2/catch.hpp>

#include <dlfcn.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const strata_plugin_descriptor& load() {
  static void* handle = dlopen(STRATA_PLUGIN_OUTPUT_DIR "/libstrata_json.so", RTLD_NOW | RTLD_LOCAL);
  INFO((handle ? "" : dlerror()));
  REQUIRE(handle != nullptr);
  auto entry = reinterpret_cast<strata_plugin_entry_fn>(dlsym(handle, STRATA_PLUGIN_ENTRY_SYMBOL));
  REQUIRE(entry != nullptr);
  return *entry();
}

/// The configuration the loader would build: every schema default, then the overrides.
strata::plugin_config config_of(std::map<std::string, std::string> overrides) {
  const auto& d = load();
  std::map<std::string, std::string> values;
  for (std::size_t i = 0; i < d.config_schema_size; ++i)
    values[d.config_schema[i].key] = d.config_schema[i].default_value;
  for (auto& [k, v] : overrides)
    values[k] = v;
  return strata::plugin_config{std::move(values)};
}

/// A host table that hands out one counter and keeps what the plugin logs.
struct fake_host {
  strata::instruments::counter errors;
  std::vector<std::string> metrics; ///< "name{label=value}" of each registration
  std::vector<std::string> errors_logged;
  strata_host_api api{this, &metric, &set_health, &log};

  static void* metric(void* host, strata_metric_kind kind, const char* name, const char*, const char* const* names,
                      const char* const* values, size_t count, const double*, size_t, char* error, size_t size) {
    auto* self = static_cast<fake_host*>(host);
    std::string key = std::string(name) + "{";
    for (size_t i = 0; i < count; ++i)
      key += std::string(i ? "," : "") + names[i] + "=" + values[i];
    self->metrics.push_back(key + "}");
    if (kind == STRATA_METRIC_COUNTER)
      return &self->errors;
    std::snprintf(error, size, "only counters here");
    return nullptr;
  }
  static void set_health(void*, strata_health_level, const char*) {}
  static void log(void* host, strata_log_level level, const char* message) {
    if (level == STRATA_LOG_ERROR)
      static_cast<fake_host*>(host)->errors_logged.push_back(message);
  }
};

/// An exporter made through the descriptor, destroyed through it.
class instance {
public:
  instance(const std::map<std::string, std::string>& overrides, const strata_host_api* host = nullptr)
      : config_(config_of(overrides)) {
    strata_plugin_context ctx{STRATA_ABI_MAJOR, STRATA_ABI_MINOR, "json-test", &config_, host, &source_};
    char error[512] = {};
    exporter_ = static_cast<strata::exporter*>(load().create(&ctx, error, sizeof error));
    error_ = error;
  }
  ~instance() {
    if (exporter_)
      load().destroy(exporter_);
  }
  strata::exporter* get() const { return exporter_; }
  const std::string& error() const { return error_; }
  strata::testing::fixed_telemetry_source& source() { return source_; }
  void publish() { exporter_->publish(source_.snapshot()); }

private:
  strata::plugin_config config_;
  strata::testing::fixed_telemetry_source source_;
  strata::exporter* exporter_ = nullptr;
  std::string error_;
};

struct temp_dir {
  fs::path path;
  temp_dir() {
    std::string pattern = (fs::temp_directory_path() / "strata-json-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~temp_dir() { fs::remove_all(path); }
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

strata::telemetry_snapshot read_snapshot(const std::string& text) {
  auto read = strata::telemetry::snapshot_from_json(text);
  INFO((read ? "" : read.err().message));
  REQUIRE(read.has_value());
  return *read;
}

} // namespace

TEST_CASE("the plugin describes itself", "[exporter][json]") {
  const auto& d = load();
  CHECK(d.abi_major == STRATA_ABI_MAJOR);
  CHECK(d.abi_minor == 1);
  CHECK(std::string(d.name) == "json");
  CHECK(d.kind == STRATA_PLUGIN_EXPORTER);
  std::map<std::string, const strata_config_key*> keys;
  for (std::size_t i = 0; i < d.config_schema_size; ++i)
    keys[d.config_schema[i].key] = &d.config_schema[i];
  REQUIRE(keys.size() == 4);
  CHECK(keys.at("path")->type == STRATA_VALUE_STRING);
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
  temp_dir dir;
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
  temp_dir dir;
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
  temp_dir dir;
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

TEST_CASE("path - writes to standard output", "[exporter][json]") {
  temp_dir dir;
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
  temp_dir dir;
  SECTION("an unknown mode, with the allowed ones") {
    instance json({{"path", (dir.path / "s.json").string()}, {"mode", "xml"}});
    CHECK(json.get() == nullptr);
    CHECK(json.error() == "mode: 'xml' is not one of snapshot, lines");
  }
  SECTION("a missing directory, by path") {
    const auto file = dir.path / "missing" / "s.json";
    instance json({{"path", file.string()}});
    CHECK(json.get() == nullptr);
    CHECK(json.error() == "path: the directory of '" + file.string() + "' (" + (dir.path / "missing").string() +
                              ") does not exist");
  }
  SECTION("a directory as the file") {
    instance json({{"path", dir.path.string()}});
    CHECK(json.get() == nullptr);
    CHECK(json.error() == "path: '" + dir.path.string() + "' is a directory; name a file in it");
  }
  SECTION("pretty JSON lines") {
    instance json({{"path", (dir.path / "s.jsonl").string()}, {"mode", "lines"}, {"pretty", "true"}});
    CHECK(json.get() == nullptr);
    CHECK(json.error() == "pretty: true needs mode: snapshot (a JSON line must stay on one line)");
  }
}

TEST_CASE("a publish that cannot write is logged and counted, never thrown", "[exporter][json]") {
  temp_dir dir;
  const auto sub = dir.path / "out";
  fs::create_directory(sub);
  const auto mode = GENERATE(as<std::string>{}, "snapshot", "lines");
  INFO("mode " << mode);
  fake_host host;
  instance json({{"path", (sub / "s.json").string()}, {"mode", mode}}, &host.api);
  REQUIRE(json.get() != nullptr);
  CHECK(host.metrics == std::vector<std::string>{"strata_exporter_errors_total{}"}); // the host adds `exporter`

  fs::remove_all(sub); // after construction: the check at start-up passed
  CHECK_NOTHROW(json.publish());
  CHECK(host.errors.value() == 1);
  REQUIRE(host.errors_logged.size() == 1);
  CHECK(host.errors_logged[0].rfind("publish failed: cannot ", 0) == 0);
  CHECK(host.errors_logged[0].find((sub / "s.json").string()) != std::string::npos);
  CHECK(host.errors_logged[0].find("No such file or directory") != std::string::npos);

  fs::create_directory(sub); // and it recovers by itself
  json.publish();
  CHECK(host.errors.value() == 1);
  CHECK(fs::exists(sub / "s.json"));
}
