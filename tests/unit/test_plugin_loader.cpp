// The loader against real shared libraries: what it accepts and what it refuses, and why.
#include "config_schema.hpp"
#include "elf_check.hpp"
#include "plugin_instance.hpp"
#include "plugin_loader.hpp"
#include "plugin_modules.hpp"
#include <strata/plugin_catalog.hpp>

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <unistd.h>

using strata::detail::plugin_loader;

namespace {

std::string plugin_file(const std::string& name) {
  return std::string(STRATA_TEST_PLUGIN_DIR) + "/libstrata_" + name + ".so";
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("loader accepts a real plugin and reads its descriptor", "[loader]") {
  plugin_loader loader;
  auto loaded = loader.load_file(plugin_file("test_map"));
  REQUIRE(loaded);
  CHECK(std::string((*loaded)->descriptor->name) == "test_map");
  CHECK((*loaded)->descriptor->kind == STRATA_PLUGIN_LAYER);
  CHECK((*loaded)->origin == plugin_file("test_map"));
  // Loading the same file again returns the same plugin, not a duplicate.
  auto again = loader.load_file(plugin_file("test_map"));
  REQUIRE(again);
  CHECK(*again == *loaded);
}

TEST_CASE("a loaded plugin's code is found by address for the fatal-signal report", "[loader]") {
  plugin_loader loader;
  auto loaded = loader.load_file(plugin_file("test_map"));
  REQUIRE(loaded);
  const auto in_plugin = reinterpret_cast<std::uintptr_t>((*loaded)->descriptor->create);
  strata::detail::plugin_place place{};
  REQUIRE(strata::detail::find_plugin_module(in_plugin, place));
  CHECK(std::string(place.name) == "test_map");
  CHECK(std::filesystem::equivalent(place.path, plugin_file("test_map")));
  CHECK(place.offset > 0);
  CHECK(place.offset < std::filesystem::file_size(plugin_file("test_map")));
  // Code outside every plugin (this test program's) is not taken for a plugin's.
  CHECK_FALSE(strata::detail::find_plugin_module(reinterpret_cast<std::uintptr_t>(&plugin_file), place));
}

TEST_CASE("loader refuses another ABI major, naming file, symbol and reason", "[loader]") {
  plugin_loader loader;
  auto loaded = loader.load_file(plugin_file("test_bad_abi"));
  REQUIRE_FALSE(loaded);
  const auto& message = loaded.err().message;
  CHECK(contains(message, plugin_file("test_bad_abi")));
  CHECK(contains(message, "strata_plugin_entry"));
  CHECK(contains(message, "built for plugin ABI 2.0, this host speaks 1." + std::to_string(STRATA_ABI_MINOR) +
                            " (the major version must match)"));
}

TEST_CASE("loader refuses a plugin built with the pre-C++11 std::string before running its code", "[loader]") {
  // It loaded (check-config took it), and would have read its settings, keys and values with the
  // old layout.
  plugin_loader loader;
  auto loaded = loader.load_file(plugin_file("test_old_string_abi"));
  REQUIRE_FALSE(loaded);
  CHECK(loaded.err().message ==
        "plugin " + plugin_file("test_old_string_abi") +
            ": built with the pre-C++11 std::string (_GLIBCXX_USE_CXX11_ABI=0; it imports " +
            strata::detail::foreign_layout_imports_of(plugin_file("test_old_string_abi")).old_string +
            "), which reads the SDK's strings wrong: rebuild it without that define");
  CHECK(strata::detail::foreign_layout_imports_of(plugin_file("test_old_string_abi")).old_string.rfind("_ZNSs", 0) == 0);
  CHECK(strata::detail::foreign_layout_imports_of(plugin_file("test_map")).old_string.empty());
}

TEST_CASE("loader refuses a plugin built in libstdc++'s debug mode before running its code", "[loader]") {
  // It loaded (check-config took it), and its first read of its settings' map crashed the server.
  plugin_loader loader;
  auto loaded = loader.load_file(plugin_file("test_debug_mode"));
  REQUIRE_FALSE(loaded);
  const auto imported = strata::detail::foreign_layout_imports_of(plugin_file("test_debug_mode")).debug_mode;
  CHECK_THAT(imported, Catch::Contains("__gnu_debug"));
  CHECK(loaded.err().message == "plugin " + plugin_file("test_debug_mode") +
                                    ": built in libstdc++'s debug mode (_GLIBCXX_DEBUG; it imports " + imported +
                                    "), whose std::map and std::vector are laid out otherwise than the SDK's: "
                                    "rebuild it without that define (_GLIBCXX_ASSERTIONS checks bounds without "
                                    "changing the layout)");
  CHECK(strata::detail::foreign_layout_imports_of(plugin_file("test_map")).debug_mode.empty());
  CHECK(strata::detail::foreign_layout_imports_of(plugin_file("test_old_string_abi")).debug_mode.empty());
}

TEST_CASE("loader refuses a library without the entry symbol", "[loader]") {
  plugin_loader loader;
  auto loaded = loader.load_file(plugin_file("test_no_entry"));
  REQUIRE_FALSE(loaded);
  CHECK(contains(loaded.err().message, plugin_file("test_no_entry")));
  CHECK(contains(loaded.err().message, "symbol strata_plugin_entry: not found"));
}

TEST_CASE("loader refuses a second plugin with the same name", "[loader]") {
  plugin_loader loader;
  REQUIRE(loader.load_file(plugin_file("test_map")));
  auto duplicate = loader.load_file(plugin_file("test_duplicate"));
  REQUIRE_FALSE(duplicate);
  CHECK(contains(duplicate.err().message, plugin_file("test_duplicate")));
  CHECK(contains(duplicate.err().message, "a plugin named 'test_map' is already loaded from " + plugin_file("test_map")));
}

TEST_CASE("loader refuses a file found for one name that declares another and keeps looking right", "[loader]") {
  plugin_loader loader;
  const std::vector<std::string> path{STRATA_TEST_PLUGIN_DIR};
  auto misnamed = loader.resolve("test_duplicate", path); // libstrata_test_duplicate.so declares test_map
  REQUIRE_FALSE(misnamed);
  CHECK(misnamed.err().message ==
        "plugin " + plugin_file("test_duplicate") + " declares the name 'test_map', not 'test_duplicate'");
  // Refused, it does not stand for test_map: that is still libstrata_test_map.so.
  auto real = loader.resolve("test_map", path);
  REQUIRE(real);
  CHECK((*real)->origin == plugin_file("test_map"));
}

TEST_CASE("a plugin built with strata::no_config_keys declares no keys", "[loader]") {
  plugin_loader loader;
  auto loaded = loader.load_file(plugin_file("test_duplicate"));
  REQUIRE(loaded);
  CHECK((*loaded)->descriptor->config_schema == nullptr);
  CHECK((*loaded)->descriptor->config_schema_size == 0);
}

TEST_CASE("loader refuses a plugin name a deployment could not name", "[loader]") {
  static strata_plugin_descriptor odd{};
  odd.abi_major = STRATA_ABI_MAJOR;
  odd.abi_minor = STRATA_ABI_MINOR;
  odd.name = "bad name/../x";
  odd.version = "1.0.0";
  odd.kind = STRATA_PLUGIN_LAYER;
  odd.create = [](const strata_plugin_context*, char*, size_t) -> void* { return nullptr; };
  odd.destroy = [](void*) {};
  plugin_loader loader;
  auto added = loader.add_static(&odd);
  REQUIRE_FALSE(added);
  CHECK(contains(added.err().message, "the name 'bad name/../x' is not made of letters, digits, '_' and '-'"));
}

TEST_CASE("loader refuses a file that is not a shared library", "[loader]") {
  plugin_loader loader;
  auto loaded = loader.load_file(std::string(STRATA_TEST_CONFIG_DIR) + "/../test_plugin_loader.cpp");
  REQUIRE_FALSE(loaded);
  CHECK(contains(loaded.err().message, "dlopen failed"));
  auto missing = loader.load_file("/nonexistent/libstrata_x.so");
  REQUIRE_FALSE(missing);
  CHECK(contains(missing.err().message, "/nonexistent/libstrata_x.so: cannot open"));
}

TEST_CASE("loader resolves a plugin by name from a search path", "[loader]") {
  plugin_loader loader;
  auto found = loader.resolve("test_map", {"/nonexistent", STRATA_TEST_PLUGIN_DIR});
  REQUIRE(found);
  CHECK((*found)->origin == plugin_file("test_map"));
  auto missing = loader.resolve("no_such_layer", {STRATA_TEST_PLUGIN_DIR});
  REQUIRE_FALSE(missing);
  CHECK(contains(missing.err().message, "no plugin named 'no_such_layer'"));
  CHECK(contains(missing.err().message, std::string(STRATA_TEST_PLUGIN_DIR) + "/libstrata_no_such_layer.so"));
}

TEST_CASE("a factory that throws is reported with file and reason", "[loader]") {
  plugin_loader loader;
  auto plugin = loader.load_file(plugin_file("test_map"));
  REQUIRE(plugin);
  const std::map<std::string, std::string> settings{{"fail", "throw_in_factory"}, {"hang", "1s"}};
  auto instance = strata::detail::create_instance<strata::layer>(
    **plugin, strata::detail::instance_request{"layer 'broken'", "broken", &settings, nullptr});
  REQUIRE_FALSE(instance);
  CHECK(instance.err().message == "layer 'broken': plugin " + plugin_file("test_map") +
                                      ": its factory failed: "
                                      "configured to fail in its factory");
}

TEST_CASE("a static descriptor is checked like a file's", "[loader]") {
  static const strata_plugin_descriptor newer_minor = {
    STRATA_ABI_MAJOR, STRATA_ABI_MINOR + 1, "future", "1.0", STRATA_PLUGIN_LAYER, 0, nullptr, 0,
    [](const strata_plugin_context*, char*, size_t) -> void* { return nullptr; }, [](void*) {}, nullptr, 0, nullptr, 0};
  plugin_loader loader;
  auto refused = loader.add_static(&newer_minor);
  REQUIRE_FALSE(refused);
  CHECK(contains(refused.err().message, "<static>"));
  CHECK(contains(refused.err().message, "newer than this host's 1." + std::to_string(STRATA_ABI_MINOR)));
}

TEST_CASE("a descriptor with an unknown kind is refused, not trusted", "[loader]") {
  static strata_plugin_descriptor odd = {
    STRATA_ABI_MAJOR, STRATA_ABI_MINOR, "odd", "1.0", STRATA_PLUGIN_LAYER, 0, nullptr, 0,
    [](const strata_plugin_context*, char*, size_t) -> void* { return nullptr; }, [](void*) {}, nullptr, 0, nullptr, 0};
  const int foreign_kind = 99; // what a plugin built against a later ABI might write
  std::memcpy(&odd.kind, &foreign_kind, sizeof foreign_kind);
  plugin_loader loader;
  auto refused = loader.add_static(&odd);
  REQUIRE_FALSE(refused);
  CHECK(contains(refused.err().message, "unknown plugin kind 99"));
}

TEST_CASE("loader refuses a plugin whose entry point throws, naming file, symbol and what it threw", "[loader]") {
  plugin_loader loader;
  auto loaded = loader.load_file(plugin_file("test_throwing_entry"));
  REQUIRE_FALSE(loaded);
  CHECK(loaded.err().message ==
        "plugin " + plugin_file("test_throwing_entry") + ": symbol strata_plugin_entry: threw: entry exploded");
}

TEST_CASE("loader refuses a plugin whose entry symbol is data rather than a function", "[loader]") {
  plugin_loader loader;
  auto loaded = loader.load_file(plugin_file("test_data_entry"));
  REQUIRE_FALSE(loaded);
  CHECK(loaded.err().message == "plugin " + plugin_file("test_data_entry") +
                                  ": symbol strata_plugin_entry: is data, not a function (not a Strata plugin's entry point)");
}

TEST_CASE("a plugin file replaced since the process loaded it is refused: dlopen would give the old copy",
          "[loader]") {
  const auto dir = std::filesystem::temp_directory_path() / ("strata-rebuilt-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto installed = dir / "libstrata_test_map.so";
  std::filesystem::copy_file(plugin_file("test_map"), installed, std::filesystem::copy_options::overwrite_existing);
  {
    plugin_loader first;
    REQUIRE(first.load_file(installed.string()));
  }
  plugin_loader same; // the file as it was: fine (a reload checking a deployment)
  CHECK(same.load_file(installed.string()));
  // Rebuilt: a new file put in its place, as an install does.
  const auto rebuilt = dir / "new.so";
  std::filesystem::copy_file(plugin_file("test_map"), rebuilt);
  { std::ofstream(rebuilt, std::ios::app) << "a different build"; }
  std::filesystem::rename(rebuilt, installed);
  plugin_loader after;
  auto refused = after.load_file(installed.string());
  REQUIRE_FALSE(refused);
  CHECK(refused.err().message == "plugin " + installed.string() +
                                   ": the file changed since this process loaded it, and dlopen would give the copy "
                                   "loaded then: restart the process to use the new build");
  std::filesystem::remove_all(dir);
}

TEST_CASE("loader refuses a descriptor without a version", "[loader]") {
  static const strata_plugin_descriptor unversioned = {
    STRATA_ABI_MAJOR, 0, "test_unversioned", nullptr, STRATA_PLUGIN_LAYER, 0, nullptr, 0,
    [](const strata_plugin_context*, char*, size_t) -> void* { return nullptr; }, [](void*) {}, nullptr, 0, nullptr, 0};
  plugin_loader loader;
  auto admitted = loader.add_static(&unversioned);
  REQUIRE_FALSE(admitted);
  CHECK(contains(admitted.err().message, "the descriptor has no version"));
}

TEST_CASE("the plugin catalog refuses a file that declares another name than its file's, as a deployment does", "[loader]") {
  // libstrata_test_duplicate.so declares test_map: listed, it would be a plugin no deployment can use.
  const auto catalog = strata::list_plugins({STRATA_TEST_PLUGIN_DIR});
  CHECK(std::find(catalog.errors.begin(), catalog.errors.end(),
                  "plugin " + plugin_file("test_duplicate") + " declares the name 'test_map', not 'test_duplicate'") !=
        catalog.errors.end());
  CHECK(std::count_if(catalog.plugins.begin(), catalog.plugins.end(),
                      [](const strata::plugin_info& p) { return p.name == "test_map"; }) == 1);
}

TEST_CASE("the plugin catalog says so when a plugin directory cannot be read", "[loader]") {
  const auto catalog = strata::list_plugins({"/nonexistent/strata-plugins"});
  CHECK(catalog.plugins.empty());
  CHECK(catalog.errors ==
        std::vector<std::string>{"plugin directory '/nonexistent/strata-plugins' cannot be read: No such file or directory"});
}

TEST_CASE("a descriptor given in code takes precedence over a file that declares its name", "[loader]") {
  static const strata_plugin_descriptor in_code = {
    STRATA_ABI_MAJOR, STRATA_ABI_MINOR, "test_map", "9.9", STRATA_PLUGIN_LAYER, 0, nullptr, 0,
    [](const strata_plugin_context*, char*, size_t) -> void* { return nullptr; }, [](void*) {}, nullptr, 0, nullptr, 0};
  plugin_loader loader;
  REQUIRE(loader.add_static(&in_code));
  // Named in plugins.files (no expected name) or found on plugins.path (by its file's name).
  auto listed = loader.load_file(plugin_file("test_map"));
  REQUIRE(listed);
  CHECK((*listed)->descriptor == &in_code);
  CHECK((*listed)->origin == "<static>");
  auto found = loader.resolve("test_map", {STRATA_TEST_PLUGIN_DIR});
  REQUIRE(found);
  CHECK((*found)->descriptor == &in_code);
}

TEST_CASE("a plugin's default deadline is read from descriptors of ABI 1.7 on, and only a layer may declare one", "[loader]") {
  const auto create = [](const strata_plugin_context*, char*, size_t) -> void* { return nullptr; };
  const auto destroy = [](void*) {};
  strata_plugin_descriptor d = {STRATA_ABI_MAJOR, 7, "patient", "1.0", STRATA_PLUGIN_LAYER, 0, nullptr, 0,
                                create, destroy, nullptr, 2500, nullptr, 0};
  CHECK(strata::detail::default_deadline(d) == std::chrono::milliseconds(2500));
  d.default_deadline_ms = 0;
  CHECK(strata::detail::default_deadline(d) == std::chrono::milliseconds(100)); // the runtime's
  d.abi_minor = 6; // its descriptor ends before the field: what follows is not the plugin's
  d.default_deadline_ms = 2500;
  CHECK(strata::detail::default_deadline(d) == std::chrono::milliseconds(100));

  static const strata_plugin_descriptor exporter = {STRATA_ABI_MAJOR, 7, "patient_exporter", "1.0",
                                                    STRATA_PLUGIN_EXPORTER, 0, nullptr, 0, create, destroy, nullptr, 2500, nullptr, 0};
  plugin_loader loader;
  auto refused = loader.add_static(&exporter);
  REQUIRE_FALSE(refused);
  CHECK(refused.err().message == "plugin <static>: symbol strata_plugin_entry: declares a default deadline, which only a layer has");
}

TEST_CASE("a plugin's key conditions are read from descriptors of ABI 1.8 on, and malformed ones refuse the plugin", "[loader]") {
  static const strata_config_key keys[] = {{"backend", STRATA_VALUE_STRING, "sqlite", "", 0, 0, 0, 0},
                                           {"pool_size", STRATA_VALUE_INT, "2", "", 0, 0, 0, 0}};
  static const strata_key_condition good[] = {{"pool_size", "backend", "postgres"}};
  static const strata_key_condition bad[] = {{"pool_size", "backend", "postgres"}, {"pool_size", "colour", "red"}};
  const auto create = [](const strata_plugin_context*, char*, size_t) -> void* { return nullptr; };
  const auto destroy = [](void*) {};
  strata_plugin_descriptor d = {STRATA_ABI_MAJOR, 8, "conditional", "1.0", STRATA_PLUGIN_LAYER, 0, keys, 2,
                                create, destroy, nullptr, 0, good, 1};
  CHECK(strata::detail::conditions_of(d).size == 1);
  d.abi_minor = 7; // its descriptor ends before the fields: what follows is not the plugin's
  CHECK(strata::detail::conditions_of(d).size == 0);
  CHECK(strata::detail::conditions_of(d).conditions == nullptr);

  static const strata_plugin_descriptor malformed = {STRATA_ABI_MAJOR, 8, "malformed", "1.0", STRATA_PLUGIN_LAYER, 0,
                                                     keys, 2, create, destroy, nullptr, 0, bad, 2};
  static const strata_plugin_descriptor older = {STRATA_ABI_MAJOR, 7, "older", "1.0", STRATA_PLUGIN_LAYER, 0,
                                                 keys, 2, create, destroy, nullptr, 0, bad, 2};
  plugin_loader loader;
  auto refused = loader.add_static(&malformed);
  REQUIRE_FALSE(refused);
  CHECK(refused.err().message == "plugin <static>: symbol strata_plugin_entry: bad config schema: key condition #1 "
                                 "('pool_size' when colour is 'red'): the schema has no key 'colour'");
  CHECK(loader.add_static(&older)); // built for 1.7, where those bytes are not a field
}

TEST_CASE("the plugin catalog says which keys apply only with another key's value", "[loader]") {
  const auto catalog = strata::list_plugins({STRATA_TEST_PLUGIN_DIR});
  const auto global = std::find_if(catalog.plugins.begin(), catalog.plugins.end(),
                                   [](const strata::plugin_info& p) { return p.name == "global"; });
  REQUIRE(global != catalog.plugins.end());
  const auto key = [&](const std::string& name) {
    const auto it = std::find_if(global->schema.begin(), global->schema.end(),
                                 [&](const strata::config_key_info& k) { return k.key == name; });
    REQUIRE(it != global->schema.end());
    return it->applies_with;
  };
  using applies = std::vector<std::pair<std::string, std::vector<std::string>>>;
  CHECK(key("pool_size") == applies{{"backend", {"postgres"}}});
  CHECK(key("sqlite_path") == applies{{"backend", {"sqlite"}}});
  CHECK(key("statement_timeout").empty());
}

TEST_CASE("the plugin catalog gives each layer plugin's default deadline", "[loader]") {
  const auto catalog = strata::list_plugins({STRATA_TEST_PLUGIN_DIR});
  const auto of = [&](const std::string& name) {
    const auto it = std::find_if(catalog.plugins.begin(), catalog.plugins.end(),
                                 [&](const strata::plugin_info& p) { return p.name == name; });
    REQUIRE(it != catalog.plugins.end());
    return it->default_deadline;
  };
  CHECK(of("test_patient_map") == std::chrono::milliseconds(1000));
  CHECK(of("test_map") == std::chrono::milliseconds(100));
  CHECK_FALSE(of("test_exporter").has_value());
}

TEST_CASE("a layer plugin whose timeout key's default is not below its own default deadline is refused", "[loader]") {
  // Every deployment that gave neither would have been refused by check-config, for the plugin's fault.
  static const strata_config_key keys[] = {{"statement_timeout", STRATA_VALUE_TIMEOUT, "500ms", "", 0, 0, 0, 0}};
  const auto create = [](const strata_plugin_context*, char*, size_t) -> void* { return nullptr; };
  const auto destroy = [](void*) {};
  static const strata_plugin_descriptor hasty = {STRATA_ABI_MAJOR, 7, "hasty", "1.0", STRATA_PLUGIN_LAYER, 0, keys, 1,
                                                 create, destroy, nullptr, 0, nullptr, 0};
  static const strata_plugin_descriptor patient = {STRATA_ABI_MAJOR, 7, "patient", "1.0", STRATA_PLUGIN_LAYER, 0, keys,
                                                   1, create, destroy, nullptr, 2000, nullptr, 0};
  static const strata_plugin_descriptor observing = {STRATA_ABI_MAJOR, 7, "observing", "1.0", STRATA_PLUGIN_LAYER,
                                                     STRATA_PLUGIN_FLAG_OBSERVER, keys, 1, create, destroy, nullptr, 0, nullptr, 0};
  plugin_loader loader;
  auto refused = loader.add_static(&hasty);
  REQUIRE_FALSE(refused);
  CHECK(refused.err().message ==
        "plugin <static>: symbol strata_plugin_entry: bad config schema: schema key 'statement_timeout': its default, "
        "'500ms', is not below the plugin's default deadline (100ms): every deployment that gives neither would be "
        "refused");
  CHECK(loader.add_static(&patient));
  CHECK(loader.add_static(&observing)); // its requests are commands: 5 s at least
}
