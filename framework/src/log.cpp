#include "log.hpp"

#include "runtime_bounds.hpp"

#include <strata/utf8.hpp>

#include <nlohmann/json.hpp>
#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <stdexcept>
#include <string_view>

namespace strata::detail {

namespace {

spdlog::level::level_enum spdlog_level(log_level level) {
  switch (level) {
  case log_level::debug: return spdlog::level::debug;
  case log_level::warn: return spdlog::level::warn;
  case log_level::error: return spdlog::level::err;
  default: return spdlog::level::info;
  }
}

spdlog::level::level_enum parse_level(const std::string& level) {
  if (level == "debug") return spdlog::level::debug;
  if (level == "warn") return spdlog::level::warn;
  if (level == "error") return spdlog::level::err;
  if (level == "off") return spdlog::level::off;
  return spdlog::level::info;
}

const char* level_name(log_level level) {
  switch (level) {
  case log_level::debug: return "debug";
  case log_level::warn: return "warn";
  case log_level::error: return "error";
  default: return "info";
  }
}

/// 2026-11-23T10:15:30.123Z
std::string utc_now() {
  const auto now = std::chrono::system_clock::now();
  const auto seconds = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char text[40];
  const auto n = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(ms));
  return text;
}

spdlog::sink_ptr make_sink(const std::string& output) {
  if (output == "stderr") return std::make_shared<spdlog::sinks::stderr_sink_mt>();
  if (output == "stdout") return std::make_shared<spdlog::sinks::stdout_sink_mt>();
  if (const auto problem = log_output_problem(output); !problem.empty())
    throw std::runtime_error(problem);
  try {
    return std::make_shared<spdlog::sinks::basic_file_sink_mt>(output, false);
  } catch (const spdlog::spdlog_ex& e) {
    throw std::runtime_error("cannot open '" + output + "': " + e.what());
  }
}

} // namespace

std::string log_output_problem(const std::string& output) {
  if (output == "stderr" || output == "stdout")
    return {};
  // spdlog would create the missing directories, silently (as root, anywhere): a misspelt path is
  // refused instead, as the json exporter refuses one.
  const std::filesystem::path file(output);
  const auto directory = file.has_parent_path() ? file.parent_path() : std::filesystem::path(".");
  std::error_code ec;
  if (const auto type = std::filesystem::status(directory, ec).type(); type != std::filesystem::file_type::directory) {
    const std::string why = type == std::filesystem::file_type::not_found ? "does not exist"
                            : ec                                          ? "cannot be read: " + ec.message()
                                                                          : "is not a directory";
    return "cannot open '" + output + "': its directory '" + directory.string() + "' " + why;
  }
  return {};
}

bool valid_log_level(const std::string& level) { return is_one_of(log_levels, level); }

bool shows_more(const std::string& a, const std::string& b) { return parse_level(a) < parse_level(b); }

runtime_log::runtime_log(const logging_settings& settings) : format_(settings.format) {
  // A queue and a thread of its own: several runtimes in one process do not share spdlog's
  // global registry, and a full queue blocks the writer rather than dropping lines.
  pool_ = std::make_shared<spdlog::details::thread_pool>(8192, 1);
  logger_ = std::make_shared<spdlog::async_logger>("strata", make_sink(settings.output), pool_,
                                                   spdlog::async_overflow_policy::block);
  // Both formats render the whole line themselves (the JSON one must escape every field).
  logger_->set_pattern("%v");
  logger_->set_level(parse_level(settings.level));
  // Every line is written out as it is logged (by the log's own thread, not the caller's): a file
  // read with tail -f, or left behind by a crash, holds what happened up to then.
  logger_->flush_on(spdlog::level::trace);
}

runtime_log::~runtime_log() {
  logger_->flush();
}

bool runtime_log::enabled(log_level level) const noexcept { return logger_->should_log(spdlog_level(level)); }

void runtime_log::set_level(const std::string& level) { logger_->set_level(parse_level(level)); }

void runtime_log::write(log_level level, const log_fields& fields) {
  if (!enabled(level))
    return;
  logger_->log(spdlog_level(level), "{}", render(level, fields));
}

/// `text` with its control characters escaped (\n, \r, \t, \xHH for the other C0 ones, DEL and
/// bytes that are not UTF-8, \uHHHH for the C1 ones and the line and paragraph separators, which
/// some viewers take for line ends) and `\` doubled: a line of the text log is one line, whatever
/// a key, an error or a plugin's message holds; else one could forge lines, or send a terminal
/// escape sequences.
std::string printable(std::string_view text) {
  static constexpr char hex[] = "0123456789abcdef";
  const auto escaped = [](std::string& out, const char* prefix, unsigned char byte) {
    out += prefix;
    out += hex[byte >> 4];
    out += hex[byte & 0xf];
  };
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    if (byte == '\n') {
      out += "\\n";
    } else if (byte == '\r') {
      out += "\\r";
    } else if (byte == '\t') {
      out += "\\t";
    } else if (byte == '\\') {
      out += "\\\\";
    } else if (byte < 0x20 || byte == 0x7f) {
      escaped(out, "\\x", byte);
    } else if (byte < 0x80) {
      out += static_cast<char>(byte);
    } else if (const auto length = utf8_sequence_length(text.substr(i)); length == 0) {
      escaped(out, "\\x", byte); // not UTF-8: a lone 0x9b is an 8-bit terminal's CSI
    } else {
      const auto next = static_cast<unsigned char>(text[i + 1]);
      if (byte == 0xc2 && next <= 0x9f) // U+0080..U+009F
        escaped(out, "\\u00", next);
      else if (byte == 0xe2 && next == 0x80 && (text[i + 2] == '\xa8' || text[i + 2] == '\xa9')) // U+2028, U+2029
        out += text[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
      else
        out.append(text.substr(i, length));
      i += length - 1;
    }
  }
  return out;
}

std::string runtime_log::render(log_level level, const log_fields& f) const {
  if (format_ == log_format::json) {
    nlohmann::json line{{"time", utc_now()}, {"level", level_name(level)}, {"message", f.message}};
    if (!f.layer.empty()) line["layer"] = f.layer;
    if (!f.operation.empty()) line["operation"] = f.operation;
    if (!f.status.empty()) line["status"] = f.status;
    if (f.duration_ms) line["duration_ms"] = *f.duration_ms;
    if (!f.request_id.empty()) line["request_id"] = f.request_id;
    if (!f.error.empty()) line["error"] = f.error;
    return line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  std::string text = utc_now() + " " + level_name(level) + " " + printable(f.message);
  auto field = [&](const char* name, const std::string& value) {
    if (!value.empty()) text += std::string(" ") + name + "=" + printable(value);
  };
  field("layer", f.layer);
  field("operation", f.operation);
  field("status", f.status);
  if (f.duration_ms) field("duration_ms", std::to_string(*f.duration_ms));
  field("request_id", f.request_id);
  field("error", f.error);
  return text;
}

} // namespace strata::detail
