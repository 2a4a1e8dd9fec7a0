/// @file config_yaml.cpp
/// Reading a deployment from YAML (syntax, framework keys, `${ENV}` expansion, the position of every
/// accepted key); config_yaml_write.cpp writes it back. Plugin settings are kept as text here: they
/// are checked against the plugins' schemas later (config_schema.cpp), once the plugins are loaded.

#include <strata/config.hpp>
#include <strata/units.hpp>
#include <strata/utf8.hpp>

#include "log.hpp"
#include "runtime_bounds.hpp"
#include "validate.hpp"

#include <yaml-cpp/depthguard.h> // YAML::DeepRecursion, which yaml.h leaves out
#include <yaml-cpp/yaml.h>

#include <dlfcn.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace strata {
namespace {

using std::chrono::milliseconds;

/// yaml-cpp marks are 0-based; messages are 1-based. A null mark becomes 0:0 (unknown).
source_position to_position(const YAML::Mark& mark) {
  if (mark.is_null()) return {};
  return {mark.line + 1, mark.column + 1};
}

std::string join_path(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + '.' + key;
}

std::string index_path(const std::string& parent, std::size_t index) {
  return parent + '[' + std::to_string(index) + ']';
}

/// A value as an error quotes it: escaped as the text log escapes it, so that the error stays on
/// its line (a rule name with a line break) and sends a terminal nothing.
std::string quoted(const std::string& text) { return "'" + detail::printable(text) + "'"; }

/// How a node appears in a message: its text for a scalar, its kind otherwise.
std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
  case YAML::NodeType::Scalar: return quoted(node.Scalar());
  case YAML::NodeType::Sequence: return "a sequence";
  case YAML::NodeType::Map: return "a mapping";
  default: return "nothing";
  }
}

/// For a file yaml-cpp could not read at line `error_line` (1-based; 0: unknown): " (line N
/// indents with a tab: YAML indents with spaces only)" for the first line up to it whose
/// indentation holds a tab, else "". yaml-cpp's own words for it ("end of map not found", "illegal
/// map value") name neither the tab nor that line.
std::string tab_indentation_note(const std::string& text, int error_line) {
  int line = 1;
  for (std::size_t start = 0; start < text.size() && (error_line <= 0 || line <= error_line); ++line) {
    const auto end = std::min(text.find('\n', start), text.size());
    const auto content = text.find_first_not_of(" \t", start);
    if (content != std::string::npos && content < end && text.find('\t', start) < content)
      return " (line " + std::to_string(line) + " indents with a tab: YAML indents with spaces only)";
    start = end + 1;
  }
  return "";
}

/// A byte as an error names it: "0xE9".
std::string byte_text(unsigned char byte) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02X", byte);
  return text;
}

/// `text` with each byte that does not begin a UTF-8 sequence written as byte_text does: yaml-cpp
/// quotes the bytes it cannot read in its messages as they are.
std::string printable(std::string_view text) {
  std::string out;
  for (std::size_t at = 0; at < text.size();) {
    const auto length = utf8_sequence_length(text.substr(at));
    if (length == 0) {
      out += byte_text(static_cast<unsigned char>(text[at++]));
      continue;
    }
    out.append(text.substr(at, length));
    at += length;
  }
  return out;
}

/// Where the `}` that closes the reference opened at `open` (its `$`) is, past the references
/// nested in its default (`${ADDR:-127.0.0.1:${PORT:-8080}}`); npos when none does.
std::size_t reference_end(const std::string& text, std::size_t open) {
  int depth = 0;
  for (std::size_t i = open; i < text.size(); ++i) {
    if (text[i] == '$' && i + 1 < text.size() && (text[i + 1] == '{' || text[i + 1] == '$')) {
      depth += text[i + 1] == '{';
      ++i;
    } else if (text[i] == '}' && --depth == 0) {
      return i;
    }
  }
  return std::string::npos;
}

/// How deep references may nest in defaults: each level reads the rest of the text again, and a
/// scalar of ten thousand levels took a second (twenty thousand, eight).
constexpr int max_reference_nesting = 8;

/// Expands `${VAR}`, `${VAR:-default}` (the default expanded in turn, when it is used) and `$$`.
/// Returns nullopt, with the reason in `problem`, for an unset variable without default or a
/// malformed reference. `depth`: how deep in defaults `text` is.
std::optional<std::string> expand_env(const std::string& text, std::string& problem, int depth = 0) {
  if (depth > max_reference_nesting) {
    problem = "references nested more than " + std::to_string(max_reference_nesting) + " deep in defaults";
    return std::nullopt;
  }
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char next = i + 1 < text.size() ? text[i + 1] : '\0';
    if (text[i] != '$' || (next != '$' && next != '{')) {
      out += text[i];
      continue;
    }
    if (next == '$') {
      out += '$';
      ++i;
      continue;
    }
    const auto close = reference_end(text, i);
    if (close == std::string::npos) {
      problem = "unterminated '${' in " + quoted(text) + " (expected '}')";
      return std::nullopt;
    }
    const std::string reference = text.substr(i + 2, close - i - 2);
    const auto separator = reference.find(":-");
    const std::string name = reference.substr(0, separator);
    if (name.empty()) {
      problem = "empty environment variable name in " + quoted("${" + reference + "}");
      return std::nullopt;
    }
    const char* value = std::getenv(name.c_str());
    // What the file's own bytes are held to (read()): a Latin-1 value reached paths and the log raw.
    if (const auto bad = value != nullptr ? invalid_utf8_at(value) : std::string::npos; bad != std::string::npos) {
      problem = "environment variable " + name + " is not UTF-8: byte " +
                byte_text(static_cast<unsigned char>(value[bad])) + " at offset " + std::to_string(bad);
      return std::nullopt;
    }
    if (separator != std::string::npos && (value == nullptr || *value == '\0')) {
      const auto fallback = expand_env(reference.substr(separator + 2), problem, depth + 1);
      if (!fallback)
        return std::nullopt;
      out += *fallback;
    } else if (value != nullptr)
      out += value;
    else {
      problem = "environment variable " + name + " is not set";
      return std::nullopt;
    }
    i = close;
  }
  return out;
}

/// A value in the document: its node, key path, where it was written and where its key was.
struct entry {
  YAML::Node node;
  std::string path;
  source_position at;
  source_position key_at; ///< the value's own position for a sequence item or the root
};

/// Reads one document into a `config`, collecting every error rather than stopping at the first.
class yaml_reader {
public:
  /// `base_dir` resolves relative plugin paths; empty leaves them as written. With
  /// `keep_partial`, the report holds what parsed even when some of it did not.
  yaml_reader(std::string origin, std::filesystem::path base_dir, bool keep_partial = false)
    : origin_(std::move(origin)), base_dir_(std::move(base_dir)), keep_partial_(keep_partial) {}

  config_report read(const std::string& text) {
    // yaml-cpp takes a byte that is not UTF-8 as it is, and it reached values, paths and the
    // effective configuration raw. UTF-16 and UTF-32 (a BOM, or a zero byte among the first four,
    // as YAML tells them) are left to it.
    const bool wide = text.compare(0, 2, "\xFE\xFF") == 0 || text.compare(0, 2, "\xFF\xFE") == 0 ||
                      text.substr(0, 4).find('\0') != std::string::npos;
    // A raw NUL byte is refused at its place too: yaml-cpp's error for it named another place and
    // cause (a line late, or "unknown escape character" for the byte after it).
    const auto nul = wide ? std::string::npos : text.find('\0');
    if (const auto at = wide ? std::string::npos : std::min(invalid_utf8_at(text), nul); at != std::string::npos) {
      const auto line_start = text.rfind('\n', at == 0 ? 0 : at - 1);
      const int line = 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(at), '\n'));
      int column = static_cast<int>(at - (line_start == std::string::npos || at == 0 ? 0 : line_start + 1)) + 1;
      if (line == 1 && text.compare(0, 3, "\xEF\xBB\xBF") == 0)
        column -= 3; // columns as yaml-cpp counts them, after the byte order mark
      fail({line, column}, "",
           at == nul ? std::string("a NUL byte (a deployment file is text)")
                     : "not UTF-8: byte " + byte_text(static_cast<unsigned char>(text[at])) + " (a deployment file is UTF-8)");
      return report();
    }
    YAML::Node root;
    try {
      // All documents: a second one (after `---`) would otherwise be dropped without a word.
      // An empty one (a trailing `---`) says nothing and is skipped.
      std::vector<YAML::Node> documents = YAML::LoadAll(text);
      documents.erase(std::remove_if(documents.begin() + (documents.empty() ? 0 : 1), documents.end(),
                                     [](const YAML::Node& d) { return d.IsNull(); }),
                      documents.end());
      if (documents.size() > 1) {
        fail(to_position(documents[1].Mark()), "",
             "a second YAML document (after '---'); a deployment is one document");
        return report();
      }
      if (!documents.empty())
        root = documents.front();
    } catch (const YAML::DeepRecursion& e) { // its message is yaml-cpp's "bad file"
      fail(to_position(e.mark), "",
           "invalid YAML: nested " + std::to_string(e.depth()) + " levels deep, where the parser stops (a deployment needs a few)");
      return report();
    } catch (const YAML::Exception& e) {
      fail(to_position(e.mark), "", "invalid YAML: " + printable(e.msg) + tab_indentation_note(text, e.mark.line + 1));
      return report();
    }
    if (root.IsNull())
      fail({}, "", "the configuration is empty; it needs at least 'layers'");
    else if (!root.IsMap())
      fail(to_position(root.Mark()), "", "expected a mapping (runtime, plugins, layers), got " + describe(root));
    else
      read_root(entry{root, "", to_position(root.Mark()), to_position(root.Mark())});
    return report();
  }

private:
  using handler = std::function<void(const entry&)>;
  using key_table = std::vector<std::pair<std::string, handler>>;

  void fail(source_position at, const std::string& path, std::string message) {
    errors_.push_back(config_error{origin_, at, path, std::move(message)});
  }

  config_report report() {
    config_report result;
    result.errors = errors_;
    if (errors_.empty() || keep_partial_) {
      cfg_.origin = origin_;
      result.effective = cfg_;
    }
    return result;
  }

  /// Calls `f` for every key of a mapping with the value's path and position. Duplicate and
  /// non-scalar keys are errors, reported at the key, and skipped.
  void for_each_entry(const entry& map, const std::function<void(const std::string&, const entry&)>& f) {
    std::map<std::string, int> first_line;
    // A bound on the mappings one mapping merges, those they merge in turn counted (and on a
    // cycle); past it the rest were left out without a word.
    constexpr std::size_t max_merged = 64;
    std::vector<YAML::Node> merged; // the mappings of a merge key, '<<', in order, each once
    source_position merge_at = map.key_at; // where this mapping's '<<' is
    const auto merge = [&merged](const YAML::Node& value) { // a mapping, or a sequence of them
      const auto add = [&merged](const YAML::Node& mapping) {
        // One reached again through another anchor brings nothing more (the first of it wins).
        // Past the bound, one more is enough to refuse: the search stays short.
        if (merged.size() <= max_merged &&
            std::none_of(merged.begin(), merged.end(), [&](const YAML::Node& m) { return m.is(mapping); }))
          merged.push_back(mapping);
      };
      if (value.IsMap())
        add(value);
      else if (value.IsSequence())
        for (const auto& item : value)
          if (item.IsMap())
            add(item);
    };
    for (const auto& pair : map.node) {
      // Copies: yaml-cpp's iterator hands out a temporary pair, a reference into it dangles.
      const YAML::Node key = pair.first;
      const YAML::Node value = pair.second;
      const source_position key_at = to_position(key.Mark());
      if (!key.IsScalar()) {
        fail(key_at, map.path, "expected a plain key, got " + describe(key));
        continue;
      }
      const std::string name = key.Scalar();
      const std::string path = join_path(map.path, name);
      if (name == "<<" && key.Tag() != "!") { // a merge key (YAML 1.1), not the quoted text '<<'
        if (const auto [first, inserted] = first_line.emplace(name, key_at.line); !inserted) {
          fail(key_at, path, "duplicate key '<<' (first at line " + std::to_string(first->second) + ")");
          continue;
        }
        const bool mappings = value.IsMap() || (value.IsSequence() && std::all_of(value.begin(), value.end(),
                                                                                [](const YAML::Node& n) { return n.IsMap(); }));
        if (!mappings) {
          fail(key_at, path, "a merge key ('<<') takes a mapping or a sequence of mappings, got " + describe(value));
          continue;
        }
        merge_at = key_at;
        merge(value);
        continue;
      }
      const auto [first, inserted] = first_line.emplace(name, key_at.line);
      if (!inserted) {
        fail(key_at, path, "duplicate key " + quoted(name) + " (first at line " + std::to_string(first->second) + ")");
        continue;
      }
      // An empty value's mark points past the key, often at the next line: the key is clearer.
      const source_position value_at = value.IsNull() ? key_at : to_position(value.Mark());
      f(name, entry{value, path, value_at, key_at});
    }
    // What a merge brings in, where the mapping does not say it itself; the first mapping of the
    // merge wins, and a merged mapping's own keys win over what it merges in turn. Placed where
    // the merged text is.
    for (std::size_t next = 0; next < merged.size() && next < max_merged; ++next) {
      const YAML::Node source = merged[next];
      for (const auto& pair : source) {
        const YAML::Node key = pair.first;
        const YAML::Node value = pair.second;
        if (!key.IsScalar())
          continue;
        if (key.Scalar() == "<<" && key.Tag() != "!") { // merged in turn, after this mapping's keys
          merge(value);
          continue;
        }
        if (!first_line.emplace(key.Scalar(), to_position(key.Mark()).line).second)
          continue;
        const source_position key_at = to_position(key.Mark());
        const source_position value_at = value.IsNull() ? key_at : to_position(value.Mark());
        f(key.Scalar(), entry{value, join_path(map.path, key.Scalar()), value_at, key_at});
      }
    }
    if (merged.size() > max_merged)
      fail(merge_at, join_path(map.path, "<<"),
           "more than " + std::to_string(max_merged) + " mappings are merged here ('<<', with those they merge in "
           "turn), and the rest would be left out: merge fewer");
  }

  /// Calls `f` on each item of the sequence `e`, recording where the item is.
  template <class F>
  void for_each_item(const entry& e, F&& f) {
    for (std::size_t i = 0; i < e.node.size(); ++i) {
      const YAML::Node item = e.node[i];
      const source_position at = item.IsNull() ? e.at : to_position(item.Mark());
      const entry element{item, index_path(e.path, i), at, at};
      cfg_.positions[element.path] = element.at;
      f(element);
    }
  }

  /// Dispatches each key of a mapping to its handler; a key not in `keys` is an error at the key.
  void read_keys(const entry& map, const key_table& keys) {
    for_each_entry(map, [&](const std::string& name, const entry& value) {
      for (const auto& [key, read] : keys) {
        if (key != name) continue;
        cfg_.positions[value.path] = value.at;
        cfg_.key_positions[value.path] = value.key_at;
        read(value);
        return;
      }
      if (map.path.empty() && name.rfind("x-", 0) == 0)
        return; // a top-level "x-..." key holds anchors for the rest of the file, as in Compose files
      std::string allowed;
      for (const auto& key : keys) allowed += (allowed.empty() ? "" : ", ") + key.first;
      fail(value.key_at, value.path, "unknown key " + quoted(name) + "; allowed here: " + allowed);
    });
  }

  void read_root(const entry& root) {
    bool has_layers = false;
    read_keys(root, {
      {"runtime", [&](const entry& e) { read_runtime(e); }},
      {"plugins", [&](const entry& e) { read_plugins(e); }},
      {"layers", [&](const entry& e) { has_layers = true; read_layers(e); }},
      {"exporters", [&](const entry& e) { read_instances(e, "exporter", cfg_.exporters); }},
      {"embedders", [&](const entry& e) { read_instances(e, "embedder", cfg_.embedders); }},
      {"alerts", [&](const entry& e) { read_alerts(e); }},
      {"health", [&](const entry& e) { read_health(e); }},
      {"logging", [&](const entry& e) { read_logging(e); }},
      {"server", [&](const entry& e) { read_server(e); }},
    });
    if (!has_layers) fail(root.at, root.path, "missing required key 'layers'");
  }

  /// True for a mapping; an empty value counts as an empty mapping (nothing to read).
  bool is_mapping(const entry& e, const std::string& what) {
    if (e.node.IsMap()) return true;
    if (!e.node.IsNull()) fail(e.at, e.path, "expected a mapping of " + what + ", got " + describe(e.node));
    return false;
  }

  void read_runtime(const entry& e) {
    if (!is_mapping(e, "runtime settings")) return;
    runtime_settings& rt = cfg_.runtime;
    read_keys(e, {
      {"threads", [&](const entry& v) { read_int(v, detail::threads_range, rt.threads); }},
      {"loader_threads", [&](const entry& v) { read_int(v, detail::loader_threads_range, rt.loader_threads); }},
      {"loader_timeout", [&](const entry& v) { read_duration(v, true, rt.loader_timeout); }},
      {"shutdown_timeout", [&](const entry& v) { read_duration(v, false, rt.shutdown_timeout); }},
      {"metrics", [&](const entry& v) { read_bool(v, rt.metrics); }},
      {"stats_interval", [&](const entry& v) { read_duration(v, true, rt.stats_interval); }},
    });
  }

  void read_plugins(const entry& e) {
    if (!is_mapping(e, "plugin locations (path, files)")) return;
    read_keys(e, {
      {"path", [&](const entry& v) { read_path_list(v, cfg_.plugin_path); }},
      {"files", [&](const entry& v) { read_path_list(v, cfg_.plugin_files); }},
    });
  }

  void read_layers(const entry& e) {
    if (!e.node.IsSequence()) {
      fail(e.at, e.path, "expected a sequence of layers, got " + describe(e.node));
      return;
    }
    if (e.node.size() == 0) {
      fail(e.at, e.path, "expected at least one layer, got an empty sequence");
      return;
    }
    std::map<std::string, int> name_lines;
    for_each_item(e, [&](const entry& layer) { read_layer(layer, name_lines); });
  }

  void read_layer(const entry& e, std::map<std::string, int>& name_lines) {
    if (!e.node.IsMap()) {
      fail(e.at, e.path, "expected a mapping (a layer with name and plugin), got " + describe(e.node));
      cfg_.layers.emplace_back(); // so that the layers after it keep their index in a partial parse
      return;
    }
    layer_config layer;
    bool has_name = false;
    bool has_plugin = false;
    read_keys(e, {
      {"name", [&](const entry& v) { has_name = true; read_layer_name(v, name_lines, layer.name); }},
      {"plugin", [&](const entry& v) { has_plugin = true; read_plugin_name(v, layer.plugin); }},
      {"promote", [&](const entry& v) { read_bool(v, layer.promote); }},
      {"write", [&](const entry& v) { read_write_policy(v, layer.write); }},
      {"deadline",
       [&](const entry& v) {
         milliseconds deadline{0}; // stays 0 when refused
         read_duration(v, true, deadline);
         if (deadline.count() > 0)
           layer.deadline = deadline;
       }},
      {"detached", [&](const entry& v) { read_detached(v, layer.detached); }},
      {"config", [&](const entry& v) { read_settings(v, layer.settings); }},
      {"embedder", [&](const entry& v) { read_string(v, "an embedder's name", layer.embedder); }},
    });
    if (!has_name) fail(e.at, e.path, "missing required key 'name'");
    if (!has_plugin) fail(e.at, e.path, "missing required key 'plugin'");
    cfg_.layers.push_back(std::move(layer));
  }

  /// A sequence of plugin instances (exporters, alert handlers), each with name, plugin, config.
  void read_instances(const entry& e, const std::string& what, std::vector<plugin_instance_config>& out) {
    if (e.node.IsNull()) return;
    if (!e.node.IsSequence()) {
      fail(e.at, e.path, "expected a sequence of " + what + "s, got " + describe(e.node));
      return;
    }
    for_each_item(e, [&](const entry& item) {
      if (!item.node.IsMap()) {
        fail(item.at, item.path, "expected a mapping (an " + what + " with name and plugin), got " + describe(item.node));
        out.emplace_back(); // so that the instances after it keep their index in a partial parse
        return;
      }
      plugin_instance_config instance;
      bool has_name = false;
      bool has_plugin = false;
      read_keys(item, {
        {"name", [&](const entry& v) { has_name = true; read_name(v, instance.name); }},
        {"plugin", [&](const entry& v) { has_plugin = true; read_plugin_name(v, instance.plugin); }},
        {"config", [&](const entry& v) { read_settings(v, instance.settings); }},
      });
      if (!has_name) fail(item.at, item.path, "missing required key 'name'");
      if (!has_plugin) fail(item.at, item.path, "missing required key 'plugin'");
      out.push_back(std::move(instance));
    });
  }

  void read_alerts(const entry& e) {
    if (!is_mapping(e, "alert settings (history, rules, handlers)")) return;
    read_keys(e, {
      {"history", [&](const entry& v) {
        int history = 0;
        if (read_int(v, detail::alert_history_range, history)) cfg_.alerts.history = static_cast<std::size_t>(history);
      }},
      {"rules", [&](const entry& v) { read_rules(v); }},
      {"handlers", [&](const entry& v) { read_instances(v, "alert handler", cfg_.alerts.handlers); }},
    });
  }

  void read_rules(const entry& e) {
    if (e.node.IsNull()) return;
    if (!e.node.IsSequence()) {
      fail(e.at, e.path, "expected a sequence of alert rules, got " + describe(e.node));
      return;
    }
    for_each_item(e, [&](const entry& item) {
      if (!item.node.IsMap()) {
        fail(item.at, item.path, "expected a mapping (a rule with name, value, comparison, threshold), got " +
                                   describe(item.node));
        return;
      }
      alert_rule rule;
      bool has[4] = {false, false, false, false};
      read_keys(item, {
        {"name", [&](const entry& v) { has[0] = true; read_name(v, rule.name); }},
        {"value", [&](const entry& v) { has[1] = true; read_string(v, "a value name", rule.value); }},
        {"layer", [&](const entry& v) { read_string(v, "a layer name", rule.layer); }},
        {"labels", [&](const entry& v) { read_settings(v, rule.labels); }},
        {"window", [&](const entry& v) {
          read_choice(v, {{"minute", stats_window::minute}, {"hour", stats_window::hour}, {"day", stats_window::day}},
                      rule.window);
        }},
        {"comparison", [&](const entry& v) { has[2] = true; read_choice(v, named(detail::alert_comparisons), rule.comparison); }},
        {"threshold", [&](const entry& v) { has[3] = true; read_double(v, rule.threshold); }},
        {"for", [&](const entry& v) { read_duration(v, false, rule.for_duration); }},
        {"severity", [&](const entry& v) { read_choice(v, severities(), rule.severity); }},
        {"cooldown", [&](const entry& v) { read_duration(v, false, rule.cooldown); }},
        {"escalate_after", [&](const entry& v) { read_duration(v, false, rule.escalate_after); }},
        {"escalate_to", [&](const entry& v) { read_choice(v, severities(), rule.escalate_to); }},
      });
      static const char* required[] = {"name", "value", "comparison", "threshold"};
      for (int k = 0; k < 4; ++k)
        if (!has[k]) fail(item.at, item.path, std::string("missing required key '") + required[k] + "'");
      cfg_.alerts.rules.push_back(std::move(rule));
    });
  }

  /// Choices whose value is their name.
  template <std::size_t N>
  static std::vector<std::pair<std::string, std::string>> named(const std::array<const char*, N>& names) {
    std::vector<std::pair<std::string, std::string>> choices;
    for (const char* n : names) choices.emplace_back(n, n);
    return choices;
  }

  static std::vector<std::pair<std::string, alert_severity>> severities() {
    return {{"info", alert_severity::info}, {"warning", alert_severity::warning}, {"critical", alert_severity::critical}};
  }

  void read_health(const entry& e) {
    if (!is_mapping(e, "health checks (max_rss, data_dir, min_free_disk)")) return;
    read_keys(e, {
      {"max_rss", [&](const entry& v) { read_size(v, cfg_.health.max_rss); }},
      {"data_dir", [&](const entry& v) {
        std::vector<std::string> dirs;
        read_path(v, dirs, relative_to::process);
        if (!dirs.empty()) cfg_.health.data_dir = dirs.front();
      }},
      {"min_free_disk", [&](const entry& v) { read_size(v, cfg_.health.min_free_disk); }},
    });
  }

  void read_logging(const entry& e) {
    if (!is_mapping(e, "logging settings (level, format, output)")) return;
    read_keys(e, {
      // Checked here too, not only by validate(): its error comes with the file's other ones.
      {"level", [&](const entry& v) { read_choice(v, named(detail::log_levels), cfg_.logging.level); }},
      {"format", [&](const entry& v) {
        read_choice(v, {{"text", log_format::text}, {"json", log_format::json}}, cfg_.logging.format);
      }},
      {"output", [&](const entry& v) {
        std::string output;
        if (!read_string(v, "stderr, stdout or a file path", output)) return;
        if (output == "stderr" || output == "stdout" || output.empty()) {
          cfg_.logging.output = output;
          return;
        }
        std::vector<std::string> paths;
        read_path(v, paths, relative_to::process);
        if (!paths.empty()) cfg_.logging.output = paths.front();
      }},
    });
  }

  void read_server(const entry& e) {
    if (!is_mapping(e, "server settings (http, resp)")) return;
    read_keys(e, {
      {"http", [&](const entry& v) { read_http(v); }},
      {"resp", [&](const entry& v) { read_resp(v); }},
    });
  }

  /// As for HTTP, validate.cpp checks how the limits relate.
  void read_resp(const entry& e) {
    if (!is_mapping(e, "Redis protocol settings (enabled, address, max_bulk, max_inline, max_clients, "
                       "max_pipeline, max_in_flight, threads)")) return;
    resp_settings& resp = cfg_.server.resp;
    read_keys(e, {
      {"enabled", [&](const entry& v) { read_bool(v, resp.enabled); }},
      {"address", [&](const entry& v) { read_address(v, "6380", resp.address); }},
      {"max_bulk", [&](const entry& v) { read_size(v, resp.max_bulk); }},
      {"max_inline", [&](const entry& v) { read_size(v, resp.max_inline); }},
      {"max_clients", [&](const entry& v) { read_int(v, detail::resp_clients_range, resp.max_clients); }},
      {"max_pipeline", [&](const entry& v) { read_size(v, resp.max_pipeline); }},
      {"max_in_flight", [&](const entry& v) { read_int(v, detail::resp_in_flight_range, resp.max_in_flight); }},
      {"threads", [&](const entry& v) { read_int(v, detail::resp_threads_range, resp.threads); }},
    });
  }

  void read_http(const entry& e) {
    if (!is_mapping(e, "HTTP settings (enabled, address, max_body, token)")) return;
    http_settings& http = cfg_.server.http;
    read_keys(e, {
      {"enabled", [&](const entry& v) { read_bool(v, http.enabled); }},
      {"address", [&](const entry& v) { read_address(v, "8080", http.address); }},
      {"max_body", [&](const entry& v) { read_size(v, http.max_body); }},
      {"token", [&](const entry& v) { read_string(v, "a token", http.token); }},
    });
  }

  /// An instance's or a rule's name: letters, digits, '_' and '-'.
  void read_name(const entry& e, std::string& out) {
    if (auto name = read_plain_name(e, "a name")) out = std::move(*name);
  }

  /// The loader looks for libstrata_<name>.so: the name is held to what a plugin may declare, so
  /// that it cannot name a file elsewhere ("x/y", "../x").
  void read_plugin_name(const entry& e, std::string& out) {
    if (auto name = read_plain_name(e, "a plugin name")) out = std::move(*name);
  }

  /// `what` of letters, digits, '_' and '-'; nothing (the error reported) when it is not one.
  std::optional<std::string> read_plain_name(const entry& e, const std::string& what) {
    const std::string expected = what + " of letters, digits, '_' and '-'";
    const auto text = read_scalar(e, expected);
    if (text && !detail::plain_name(*text)) {
      fail(e.at, e.path, "expected " + expected + ", got " + quoted(*text));
      return std::nullopt;
    }
    return text;
  }

  /// A listening address: its form is the value's own, reported with the file's other errors
  /// (validate.cpp checks it again for a config built in code); `port` is the example's.
  void read_address(const entry& e, const std::string& port, std::string& out) {
    const std::string expected = detail::expected_address(port);
    const auto text = read_scalar(e, expected);
    if (!text) return;
    if (!units::parse_host_port(*text)) fail(e.at, e.path, "expected " + expected + ", got " + quoted(*text));
    else out = *text;
  }

  bool read_string(const entry& e, const std::string& expected, std::string& out) {
    const auto text = read_scalar(e, expected);
    if (!text) return false;
    out = *text;
    return true;
  }

  void read_double(const entry& e, double& out) {
    const auto text = read_scalar(e, "a number");
    if (!text) return;
    const auto value = units::parse_double(*text);
    if (!value) fail(e.at, e.path, "expected a number, got " + quoted(*text));
    else out = *value;
  }

  void read_size(const entry& e, std::uint64_t& out) {
    const std::string expected = "a size such as 512MiB or 2GiB";
    const auto text = read_scalar(e, expected);
    if (!text) return;
    const auto value = units::parse_size(*text);
    if (!value) fail(e.at, e.path, "expected " + expected + ", got " + quoted(*text));
    else out = *value;
  }

  template <class T>
  void read_choice(const entry& e, const std::vector<std::pair<std::string, T>>& choices, T& out) {
    std::string expected = "one of ";
    for (std::size_t i = 0; i < choices.size(); ++i) expected += (i ? ", " : "") + choices[i].first;
    const auto text = read_scalar(e, expected);
    if (!text) return;
    for (const auto& [name, value] : choices)
      if (name == *text) {
        out = value;
        return;
      }
    fail(e.at, e.path, "expected " + expected + ", got " + quoted(*text));
  }

  /// The value's text after `${ENV}` expansion; nullopt (error reported) if it is not a scalar.
  std::optional<std::string> read_scalar(const entry& e, const std::string& expected) {
    if (!e.node.IsScalar()) {
      fail(e.at, e.path, "expected " + expected + ", got " + describe(e.node));
      return std::nullopt;
    }
    std::string problem;
    auto text = expand_env(e.node.Scalar(), problem);
    if (!text) fail(e.at, e.path, problem);
    // YAML's "\0": the C interfaces a path, a name or a connection string reaches end it there, so
    // the file opened would not be the file named.
    if (const auto nul = text ? text->find('\0') : std::string::npos; nul != std::string::npos) {
      const std::string& value = *text; // const: std::quoted, found by argument, takes a mutable one first
      fail(e.at, e.path, "a NUL byte at offset " + std::to_string(nul) + " of " + quoted(value) + ": a value holds none");
      return std::nullopt;
    }
    return text;
  }

  bool read_int(const entry& e, detail::int_range range, int& out) {
    const std::string expected = "an integer from " + std::to_string(range.min) + " to " + std::to_string(range.max);
    const auto text = read_scalar(e, expected);
    if (!text) return false;
    const auto value = units::parse_int(*text);
    if (!value || *value < range.min || *value > range.max) {
      fail(e.at, e.path, "expected " + expected + ", got " + quoted(*text));
      return false;
    }
    out = static_cast<int>(*value);
    return true;
  }

  void read_duration(const entry& e, bool positive, milliseconds& out) {
    const std::string expected = std::string(positive ? "a duration greater than 0, " : "a duration ") +
                                 "such as 250ms or 5s, at most " + std::to_string(units::max_duration_days) + "d";
    const auto text = read_scalar(e, expected);
    if (!text) return;
    const auto value = units::parse_duration(*text);
    if (!value || (positive && value->count() <= 0))
      fail(e.at, e.path, "expected " + expected + ", got " + quoted(*text));
    else
      out = std::chrono::ceil<milliseconds>(*value); // ceil: a positive duration stays positive
  }

  bool read_bool(const entry& e, bool& out) {
    const std::string expected = units::bool_spellings;
    const auto text = read_scalar(e, expected);
    if (!text) return false;
    const auto value = units::parse_bool(*text);
    if (!value) {
      fail(e.at, e.path, "expected " + expected + ", got " + quoted(*text));
      return false;
    }
    out = *value;
    return true;
  }

  void read_detached(const entry& e, std::optional<bool>& out) {
    bool value = false;
    if (read_bool(e, value)) out = value;
  }

  void read_write_policy(const entry& e, write_policy& out) {
    const std::string expected = "one of through, behind, around";
    const auto text = read_scalar(e, expected);
    if (!text) return;
    if (*text == "through") out = write_policy::through;
    else if (*text == "behind") out = write_policy::behind;
    else if (*text == "around") out = write_policy::around;
    else fail(e.at, e.path, "expected " + expected + ", got " + quoted(*text));
  }

  void read_layer_name(const entry& e, std::map<std::string, int>& name_lines, std::string& out) {
    const auto text = read_plain_name(e, "a layer name");
    if (!text) return;
    const auto [first, inserted] = name_lines.emplace(*text, e.at.line);
    if (!inserted)
      fail(e.at, e.path, "duplicate layer name " + quoted(*text) + " (first used at line " +
                           std::to_string(first->second) + ")");
    out = *text;
  }

  /// One path or a sequence of them; an empty value means none.
  void read_path_list(const entry& e, std::vector<std::string>& out) {
    if (e.node.IsNull()) return;
    if (e.node.IsScalar()) {
      read_path(e, out);
      return;
    }
    if (!e.node.IsSequence()) {
      fail(e.at, e.path, "expected a path or a sequence of paths, got " + describe(e.node));
      return;
    }
    for_each_item(e, [&](const entry& path) { read_path(path, out); });
  }

  /// What a relative path is relative to: the YAML file's folder (plugins, which ship beside the
  /// file), or the working directory, as a command line's would be (the log, the data folder: as
  /// the layers' `sqlite_path` are, which the framework does not read).
  enum class relative_to { file, process };

  void read_path(const entry& e, std::vector<std::string>& out, relative_to base = relative_to::file) {
    const auto text = read_scalar(e, "a path");
    if (!text) return;
    if (text->empty()) {
      fail(e.at, e.path, "expected a path, got ''");
      return;
    }
    const std::filesystem::path path(*text);
    const bool as_written = base == relative_to::process || base_dir_.empty() || path.is_absolute();
    out.push_back(as_written ? *text : (base_dir_ / path).lexically_normal().string());
  }

  void read_settings(const entry& e, std::map<std::string, std::string>& out) {
    if (!is_mapping(e, "plugin settings")) return;
    for_each_entry(e, [&](const std::string& key, const entry& value) {
      cfg_.positions[value.path] = value.at;
      cfg_.key_positions[value.path] = value.key_at;
      if (auto text = read_scalar(value, "a scalar")) out[key] = *text;
    });
  }

  std::string origin_;
  std::filesystem::path base_dir_;
  bool keep_partial_ = false;
  config cfg_;
  std::vector<config_error> errors_;
};
} // namespace

std::vector<std::string> default_plugin_path() {
  const char* env = std::getenv("STRATA_PLUGIN_PATH");
  if (env != nullptr && *env != '\0') {
    std::vector<std::string> dirs;
    const std::string text(env);
    std::size_t start = 0;
    while (start <= text.size()) {
      const auto end = std::min(text.find(':', start), text.size());
      if (end > start) dirs.push_back(text.substr(start, end - start)); // "a::b" has no empty dir
      start = end + 1;
    }
    return dirs;
  }
  // The built-in plugins live in strata/plugins beside libstrata.so, in the build tree as in an
  // install (cmake/install.cmake), so a relocated install finds them too.
  Dl_info self{};
  if (dladdr(reinterpret_cast<void*>(&default_plugin_path), &self) == 0 || self.dli_fname == nullptr)
    return {};
  std::error_code ignored;
  const auto library = std::filesystem::weakly_canonical(self.dli_fname, ignored);
  return {(library.parent_path() / "strata" / "plugins").string()};
}

config_report parse_config(const std::string& yaml_text, const std::string& origin) {
  return yaml_reader(origin, {}).read(yaml_text);
}

namespace {

config_report read_config_file(const std::string& path, bool keep_partial) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  std::string text;
  int read_error = file == nullptr ? errno : 0;
  if (file != nullptr) {
    char buffer[8192];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0) text.append(buffer, n);
    if (std::ferror(file)) read_error = errno;
    std::fclose(file);
  }
  if (read_error != 0) {
    config_report report;
    report.errors.push_back(config_error{path, {}, "", std::string("cannot read the file: ") + std::strerror(read_error)});
    return report;
  }
  std::error_code ec;
  const auto absolute = std::filesystem::absolute(path, ec);
  return yaml_reader(path, ec ? std::filesystem::path{} : absolute.parent_path(), keep_partial).read(text);
}

} // namespace

config_report parse_config_file(const std::string& path) { return read_config_file(path, false); }

config_report detail::parse_config_file_partial(const std::string& path) { return read_config_file(path, true); }

} // namespace strata
