/// @file config_error.cpp
/// Text forms of configuration errors.

#include <strata/config.hpp>

namespace strata {

std::string config_error::to_string() const {
  std::string text = origin;
  if (position.line != 0)
    text += ':' + std::to_string(position.line) + ':' + std::to_string(position.column);
  text += ": ";
  if (!path.empty()) text += path + ": ";
  return text + message;
}

std::string config_report::errors_text() const {
  std::string text;
  for (const auto& error : errors) text += error.to_string() + '\n';
  return text;
}

} // namespace strata
