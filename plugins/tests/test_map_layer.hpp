#pragma once
// A plain map layer (no read view) whose faults are chosen by configuration: the tests use it as a
// healthy deeper layer, and as a layer that throws, hangs or dies, or runs a long command. It can
// also register a metric of its own and report a health level, through the host.

#include <strata/sdk.hpp>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace strata::test_plugins {

class test_map_layer : public layer {
public:
  explicit test_map_layer(const layer_context& context);

  status get(std::string_view ns, std::string_view key, layer_hit& out) override;
  status put(std::string_view ns, std::string_view key, std::string_view value,
             const entry_options& options) override;
  status erase(std::string_view ns, std::string_view key) override;
  std::size_t invalidate_tag(std::string_view ns, std::string_view tag) override;
  /// `sleep`: sleeps for `hang`, then answers `{}` (a long command).
  /// `size`: `{"size": N}`, the entries it holds (expired ones too).
  status command(std::string_view name, std::string_view json_args, std::string& json_out) override;
  /// None; a throw for `fail: throw_in_view`; a view failing or missing every get for
  /// `view_throws`, `view_unknown_status` and `view_misses`; one of the entries for
  /// `viewed_slow_puts`.
  std::shared_ptr<read_view> concurrent_view() override;
  std::chrono::milliseconds maintenance_interval() const override;
  void maintain() override;

private:
  struct stored {
    std::string value;
    entry_options meta;
    std::chrono::steady_clock::time_point expires; ///< max() when the entry does not expire
  };
  /// The entries: the instance's own, or, with `keep_across_restarts`, those of every instance of
  /// the layer's name in this process (a database an instance and its replacement share).
  struct entry_store {
    std::mutex mutex;
    std::map<std::string, stored> entries;
    std::size_t puts = 0; ///< puts asked of these entries, for the `fail` modes that count them
    std::size_t gets = 0; ///< gets asked of these entries, likewise
  };
  static std::string id(std::string_view ns, std::string_view key);
  class entries_view;

  std::string fail_;
  std::chrono::nanoseconds hang_;
  instruments::counter* gets_ = nullptr; ///< the `metric` setting's counter, if any
  std::shared_ptr<entry_store> store_;
  plugin_host host_; ///< for `hang_on_get_then_warn`
};

} // namespace strata::test_plugins
