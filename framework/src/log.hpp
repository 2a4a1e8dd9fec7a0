#pragma once
// The runtime's log: spdlog with an asynchronous queue of its own, as text or as JSON lines.
// Nothing is logged per operation at info level: requests are logged at debug only.

#include <strata/config.hpp>
#include <strata/plugin_host.hpp>

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace spdlog {
class logger;
namespace details { class thread_pool; }
} // namespace spdlog

namespace strata::detail {

/// The structured fields of one line; empty ones are left out.
struct log_fields {
  std::string message;
  std::string layer;
  std::string operation;
  std::string status;
  std::optional<double> duration_ms;
  std::string request_id;
  std::string error;
};

class runtime_log {
public:
  /// Throws std::runtime_error when the output file cannot be opened.
  explicit runtime_log(const logging_settings& settings);
  ~runtime_log(); ///< flushes what is queued

  bool enabled(log_level level) const noexcept;
  void write(log_level level, const log_fields& fields);
  /// Changes the level without a restart.
  void set_level(const std::string& level);

private:
  std::string render(log_level level, const log_fields& fields) const;

  log_format format_;
  std::shared_ptr<spdlog::details::thread_pool> pool_;
  std::shared_ptr<spdlog::logger> logger_;
};

/// Why `logging.output` could not be opened at a start ("cannot open 'x': its directory 'd' does not
/// exist"); empty for stderr, stdout and a file whose directory is there.
std::string log_output_problem(const std::string& output);

/// `text` with its control characters escaped (`\n`, `\t`, `\xHH`, ...) and `\` doubled, as a text log
/// line and a configuration error show a value: on one line, and nothing a terminal would obey.
std::string printable(std::string_view text);

/// True for debug, info, warn, error, off.
bool valid_log_level(const std::string& level);

/// Whether level `a` shows more than level `b` (debug shows most, off nothing).
bool shows_more(const std::string& a, const std::string& b);

} // namespace strata::detail
