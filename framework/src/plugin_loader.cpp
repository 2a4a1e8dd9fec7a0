#include "plugin_loader.hpp"

#include "abi_value.hpp"
#include "config_schema.hpp"
#include "elf_check.hpp"
#include "plugin_modules.hpp"
#include "runtime_bounds.hpp"

#include <dlfcn.h>
#include <link.h>
#include <sys/stat.h>

#include <cstdint>
#include <exception>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <system_error>
#include <tuple>

namespace strata::detail {

namespace {

/// Whether the dynamic symbol at `address` is known to be data (an object, TLS, ...), not code:
/// called, it would jump into bytes that are not instructions. A function, an indirect function,
/// a symbol without a type (assembly) or one dladdr1 cannot describe is not refused here.
bool is_data(void* address) {
  Dl_info info{};
  void* entry = nullptr; // dladdr1 writes a const ElfW(Sym)* here
  if (::dladdr1(address, &info, &entry, RTLD_DL_SYMENT) == 0 || entry == nullptr)
    return false;
  const auto* symbol = static_cast<const ElfW(Sym)*>(entry);
  const auto type = ELF64_ST_TYPE(symbol->st_info);
  return type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE;
}

std::string refusal(const std::string& origin, const std::string& reason) {
  return "plugin " + origin + ": symbol " STRATA_PLUGIN_ENTRY_SYMBOL ": " + reason;
}

error invalid(std::string message) { return error{status::invalid, std::move(message)}; }

/// A layer's timeout key whose default is not below the plugin's own default deadline: every
/// deployment that gives neither would be refused by the check of the two.
std::string timeout_defaults_problem(const strata_plugin_descriptor& d) {
  if (d.abi_minor < 7 || abi_value(d.kind) != STRATA_PLUGIN_LAYER)
    return "";
  const auto waits_for = request_wait(d, default_deadline(d));
  for (std::size_t i = 0; i < d.config_schema_size; ++i) {
    const auto& key = d.config_schema[i];
    if (abi_value(key.type) != STRATA_VALUE_TIMEOUT || key.default_value == nullptr)
      continue;
    if (outlasts(key.default_value, waits_for))
      return "bad config schema: schema key '" + std::string(key.key) + "': its default, '" + key.default_value +
             "', is not below the plugin's default deadline (" + std::to_string(waits_for.count()) +
             "ms): every deployment that gives neither would be refused";
  }
  return "";
}

std::string abi_text(std::uint32_t major, std::uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

bool known_kind(const strata_plugin_kind& kind) {
  const auto raw = abi_value(kind);
  return raw == STRATA_PLUGIN_LAYER || raw == STRATA_PLUGIN_EMBEDDER || raw == STRATA_PLUGIN_EXPORTER ||
         raw == STRATA_PLUGIN_ALERT_HANDLER;
}

/// What tells one build of a file from another: device, inode, size, modification time.
using file_identity = std::tuple<dev_t, ino_t, off_t, std::int64_t>;

std::optional<file_identity> identity_of(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return std::nullopt;
  return file_identity{st.st_dev, st.st_ino, st.st_size,
                       static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec};
}

/// The files this process has dlopen'ed, as they were then: dlopen of the same path returns the
/// copy loaded first, whatever the file holds now (a plugin rebuilt in place), and is never
/// undone (plugins are not unloaded).
class opened_files {
public:
  /// Why `path` cannot be loaded as it is now, or empty.
  std::string changed(const std::string& path) {
    std::lock_guard<std::mutex> guard(mutex_);
    const auto it = opened_.find(path);
    if (it == opened_.end() || identity_of(path) == it->second)
      return {};
    return "the file changed since this process loaded it, and dlopen would give the copy loaded then: restart "
           "the process to use the new build";
  }
  /// `path` was dlopen'ed as it was when `identity` was read (before: a file replaced meanwhile is
  /// then taken for changed, rather than the copy loaded for the new one).
  void opened(const std::string& path, const std::optional<file_identity>& identity) {
    std::lock_guard<std::mutex> guard(mutex_);
    if (identity)
      opened_.emplace(path, *identity);
  }

private:
  std::mutex mutex_;
  std::map<std::string, file_identity> opened_;
};

opened_files& process_opened_files() {
  static opened_files files;
  return files;
}

const std::string plugin_file_prefix = "libstrata_";
const std::string plugin_file_suffix = ".so";

} // namespace

std::string plugin_file_name(const std::string& name) { return plugin_file_prefix + name + plugin_file_suffix; }

std::string plugin_name_of_file(const std::string& file_name) {
  const auto& prefix = plugin_file_prefix;
  const auto& suffix = plugin_file_suffix;
  if (file_name.size() <= prefix.size() + suffix.size() || file_name.compare(0, prefix.size(), prefix) != 0 ||
      file_name.compare(file_name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return {};
  return file_name.substr(prefix.size(), file_name.size() - prefix.size() - suffix.size());
}

expected<const loaded_plugin*> plugin_loader::add_static(const strata_plugin_descriptor* descriptor) {
  return admit(descriptor, "<static>");
}

expected<const loaded_plugin*> plugin_loader::load_file(const std::string& path, const std::string* expected_name) {
  std::error_code ec;
  auto canonical = std::filesystem::canonical(path, ec);
  if (ec)
    return invalid("plugin " + path + ": cannot open: " + ec.message());
  if (auto it = by_file_.find(canonical.string()); it != by_file_.end())
    return it->second;
  if (const auto why = process_opened_files().changed(canonical.string()); !why.empty())
    return invalid("plugin " + path + ": " + why);
  const auto identity = identity_of(canonical.string());
  if (const auto cut = truncated_elf(canonical.string()); !cut.empty())
    return invalid("plugin " + path + ": truncated or corrupt shared library: " + cut);
  const auto foreign = foreign_layout_imports_of(canonical.string());
  if (!foreign.old_string.empty())
    return invalid("plugin " + path + ": built with the pre-C++11 std::string (_GLIBCXX_USE_CXX11_ABI=0; it imports " +
                   foreign.old_string + "), which reads the SDK's strings wrong: rebuild it without that define");
#ifndef _GLIBCXX_DEBUG // a host built in debug mode has the plugins' layout: refusing them would say otherwise
  if (!foreign.debug_mode.empty())
    return invalid("plugin " + path + ": built in libstdc++'s debug mode (_GLIBCXX_DEBUG; it imports " +
                   foreign.debug_mode + "), whose std::map and std::vector are laid out otherwise than the SDK's: "
                   "rebuild it without that define (_GLIBCXX_ASSERTIONS checks bounds without changing the layout)");
#endif
  void* handle = ::dlopen(canonical.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = ::dlerror();
    return invalid("plugin " + path + ": dlopen failed: " + (why ? why : "unknown reason"));
  }
  process_opened_files().opened(canonical.string(), identity);
  ::dlerror();
  void* symbol = ::dlsym(handle, STRATA_PLUGIN_ENTRY_SYMBOL);
  if (symbol == nullptr)
    return invalid(refusal(path, "not found (not a Strata plugin, or built without the SDK macro)"));
  if (is_data(symbol))
    return invalid(refusal(path, "is data, not a function (not a Strata plugin's entry point)"));
  auto entry = reinterpret_cast<strata_plugin_entry_fn>(symbol);
  const strata_plugin_descriptor* descriptor = nullptr;
  try { // no exception may cross the C entry point, but one that does must not end the host
    descriptor = entry();
  } catch (const std::exception& e) {
    return invalid(refusal(path, std::string("threw: ") + e.what()));
  } catch (...) {
    return invalid(refusal(path, "threw a non-standard exception"));
  }
  auto result = admit(descriptor, path, expected_name);
  if (result) {
    by_file_.emplace(canonical.string(), *result);
    note_plugin_module((*result)->descriptor->name, symbol);
  }
  return result;
}

expected<const loaded_plugin*> plugin_loader::resolve(const std::string& name,
                                                      const std::vector<std::string>& search_path) {
  if (auto it = by_name_.find(name); it != by_name_.end())
    return it->second.get();
  std::string looked;
  for (const auto& dir : search_path) {
    auto candidate = std::filesystem::path(dir) / plugin_file_name(name);
    std::error_code ec;
    if (!std::filesystem::exists(candidate, ec)) {
      // A directory that is not there is most likely the mistake (a STRATA_PLUGIN_PATH mistyped).
      const bool no_directory = !std::filesystem::is_directory(dir, ec);
      looked += (looked.empty() ? "" : ", ") + candidate.string() + (no_directory ? " (no directory " + dir + ")" : "");
      continue;
    }
    auto loaded = load_file(candidate.string(), &name);
    if (!loaded)
      return loaded;
    if (name != (*loaded)->descriptor->name) // loaded before, from plugins.files
      return invalid("plugin " + candidate.string() + " declares the name '" +
                     (*loaded)->descriptor->name + "', not '" + name + "'");
    return loaded;
  }
  return error{status::not_found, "no plugin named '" + name + "' is loaded and none was found (looked for " +
                                      (looked.empty() ? std::string("nothing: the plugin path is empty") : looked) + ")"};
}

expected<const loaded_plugin*> plugin_loader::admit(const strata_plugin_descriptor* d, std::string origin,
                                                    const std::string* expected_name) {
  if (d == nullptr)
    return invalid(refusal(origin, "returned no descriptor"));
  if (d->abi_major != STRATA_ABI_MAJOR)
    return invalid(refusal(origin, "built for plugin ABI " + abi_text(d->abi_major, d->abi_minor) +
                                       ", this host speaks " + abi_text(STRATA_ABI_MAJOR, STRATA_ABI_MINOR) +
                                       " (the major version must match)"));
  if (d->abi_minor > STRATA_ABI_MINOR)
    return invalid(refusal(origin, "built for plugin ABI " + abi_text(d->abi_major, d->abi_minor) +
                                       ", newer than this host's " + abi_text(STRATA_ABI_MAJOR, STRATA_ABI_MINOR)));
  if (d->name == nullptr || *d->name == '\0')
    return invalid(refusal(origin, "the descriptor has no name"));
  // A deployment names it, and the loader looks for libstrata_<name>.so: a name like a layer's.
  if (!plain_name(d->name))
    return invalid(refusal(origin, std::string("the name '") + d->name +
                                       "' is not made of letters, digits, '_' and '-'"));
  // Checked before it is registered: a file found as libstrata_<x>.so that declares another name
  // would otherwise stand for that name after being refused.
  if (expected_name != nullptr && *expected_name != d->name)
    return invalid("plugin " + origin + " declares the name '" + d->name + "', not '" + *expected_name + "'");
  if (d->version == nullptr || *d->version == '\0')
    return invalid(refusal(origin, "the descriptor has no version"));
  if (!known_kind(d->kind))
    return invalid(refusal(origin, "unknown plugin kind " + std::to_string(abi_value(d->kind))));
  if (d->create == nullptr || d->destroy == nullptr)
    return invalid(refusal(origin, "the descriptor lacks a create or destroy function"));
  if (declares_deadline(*d) && abi_value(d->kind) != STRATA_PLUGIN_LAYER)
    return invalid(refusal(origin, "declares a default deadline, which only a layer has"));
  if (d->config_schema == nullptr && d->config_schema_size != 0)
    return invalid(refusal(origin, "the descriptor declares schema keys but no schema"));
  if (auto why = check_schema(d->config_schema, d->config_schema_size, d->abi_minor); !why.empty())
    return invalid(refusal(origin, "bad config schema: " + why));
  if (auto why = check_conditions(d->config_schema, d->config_schema_size, conditions_of(*d)); !why.empty())
    return invalid(refusal(origin, "bad config schema: " + why));
  if (auto why = timeout_defaults_problem(*d); !why.empty())
    return invalid(refusal(origin, why));
  if (auto it = by_name_.find(d->name); it != by_name_.end()) {
    if (it->second->origin == "<static>" && origin != "<static>")
      return it->second.get(); // the host's own registration takes precedence over a file's, wherever named
    return invalid(refusal(origin, std::string("a plugin named '") + d->name + "' is already loaded from " +
                                       it->second->origin));
  }
  auto plugin = std::make_unique<loaded_plugin>(loaded_plugin{d, std::move(origin)});
  auto* raw = plugin.get();
  by_name_.emplace(d->name, std::move(plugin));
  return raw;
}

} // namespace strata::detail
