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
/// per line, as one std::invalid_argument: the host reports each line at the key it names.
///
///     static void check_config(const strata::plugin_config& config) {
///       strata::config_refusals refused;
///       refused.check([&] { checked_mode(config.get_string("mode")); });
///       refused.check([&] { checked_path(config.get_string("path")); });
///       refused.done();
///     }
class config_refusals {
public:
  template <class Part>
  void check(Part&& part) {
    try {
      std::forward<Part>(part)();
    } catch (const std::invalid_argument& e) {
      if (!reasons_.empty())
        reasons_ += '\n';
      reasons_ += e.what()[0] != '\0' ? e.what() : "refused, no reason given";
    }
  }

  /// Throws std::invalid_argument with every reason kept, one per line; nothing when none was.
  void done() const {
    if (!reasons_.empty())
      throw std::invalid_argument(reasons_);
  }

private:
  std::string reasons_;
};

} // namespace strata
