#pragma once
/// @file config_refusals.hpp
/// What a plugin's `check_config` refuses, collected so that `strata check-config` reports every
/// refused key of an instance in one run rather than one per run.

#include <stdexcept>
#include <string>
#include <utility>

namespace strata {

/// Each `check` runs one part of a check; what that part throws as std::invalid_argument ("key:
/// reason") is kept, and the next part runs all the same. `done` throws what was kept, one reason
/// per line, as one `config_refusals::reasons`: the host reports each reason at the key it names (at
/// the instance when it names none). A line break inside a reason (a quoted value's) is kept as a
/// line that starts with a space, which the host reads as the same reason's.
///
///     static void check_config(const strata::plugin_config& config) {
///       strata::config_refusals refused;
///       refused.check([&] { checked_mode(config.get_string("mode")); });
///       refused.check([&] { checked_path(config.get_string("path")); });
///       refused.done();
///     }
class config_refusals {
public:
  /// What `done` throws: reasons one per line, each line break inside one followed by a space.
  class reasons : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
  };

  /// `reason` as one reason of a list: each line break in it followed by a space.
  static std::string as_one_reason(const std::string& reason) {
    std::string out;
    for (const char c : reason) {
      out += c;
      if (c == '\n')
        out += ' ';
    }
    return out;
  }

  template <class Part>
  void check(Part&& part) {
    try {
      std::forward<Part>(part)();
    } catch (const std::invalid_argument& e) {
      if (!reasons_.empty())
        reasons_ += '\n';
      reasons_ += e.what()[0] != '\0' ? as_one_reason(e.what()) : "refused, no reason given";
    }
  }

  /// Throws `reasons` with every reason kept, one per line; nothing when none was.
  void done() const {
    if (!reasons_.empty())
      throw reasons(reasons_);
  }

private:
  std::string reasons_;
};

} // namespace strata
