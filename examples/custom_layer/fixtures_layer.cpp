// The `fixtures` layer: canned answers read from a file at start, served before anything slower
// is asked. Read-only: the deployment gives it `write: around`.
//
// File format, one entry per line: KEY <TAB> VALUE. Blank lines and lines starting with # are
// skipped. A malformed line or a duplicate key refuses the whole file, naming FILE:LINE.
#include <strata/sdk.hpp>

#include <fstream>
#include <stdexcept>
#include <string>
#include <unordered_map>

namespace {

class fixtures_layer : public strata::layer {
public:
  /// What the schema cannot say; `strata check-config` runs it too. (Whether the file can be read
  /// is known only where the deployment runs.)
  static void check_config(const strata::plugin_config& config) {
    if (config.get_string("file").empty())
      throw std::invalid_argument("file: names no file; give the path of a KEY<TAB>VALUE file");
  }

  explicit fixtures_layer(const strata::layer_context& context)
    : namespace_(context.config.get_string("namespace")) {
    check_config(context.config);
    const auto& path = context.config.get_string("file");
    std::ifstream in(path);
    if (!in)
      throw std::runtime_error("cannot read fixtures file '" + path + "'");
    std::string line;
    for (int number = 1; std::getline(in, line); ++number) {
      if (line.empty() || line[0] == '#')
        continue;
      const auto tab = line.find('\t');
      if (tab == std::string::npos || tab == 0)
        throw std::runtime_error(path + ":" + std::to_string(number) + ": expected KEY<TAB>VALUE");
      if (!answers_.emplace(line.substr(0, tab), line.substr(tab + 1)).second)
        throw std::runtime_error(path + ":" + std::to_string(number) + ": duplicate key '" + line.substr(0, tab) + "'");
    }
    strata::plugin_host host = context.host;
    host.gauge("strata_fixtures_entries", "Canned answers the fixtures layer loaded.")
      .set(static_cast<double>(answers_.size()));
    host.log(strata::log_level::info, "loaded " + std::to_string(answers_.size()) + " fixtures from " + path);
  }

  strata::status get(std::string_view ns, std::string_view key, strata::layer_hit& out) override {
    if (ns != namespace_)
      return strata::status::not_found;
    const auto it = answers_.find(std::string(key));
    if (it == answers_.end())
      return strata::status::not_found;
    out.value = it->second;
    return strata::status::ok;
  }

  strata::status put(std::string_view, std::string_view, std::string_view, const strata::entry_options&) override {
    return strata::status::rejected; // read-only: answers change by editing the file
  }

  // The fixtures outlive an erase or a tag invalidation: there is nothing here to remove.
  strata::status erase(std::string_view, std::string_view) override { return strata::status::not_found; }

  std::size_t invalidate_tag(std::string_view, std::string_view) override { return 0; }

private:
  std::string namespace_;
  std::unordered_map<std::string, std::string> answers_;
};

const strata_config_key schema[] = {
  {"file", STRATA_VALUE_STRING, nullptr, "the fixtures file: KEY<TAB>VALUE per line", 0, 0, 0, 0},
  {"namespace", STRATA_VALUE_STRING, "default", "the namespace the fixtures answer in", 0, 0, 0, 0},
};

} // namespace

STRATA_LAYER_PLUGIN("fixtures", "1.0.0", fixtures_layer, schema, STRATA_PLUGIN_FLAG_COOPERATIVE)
