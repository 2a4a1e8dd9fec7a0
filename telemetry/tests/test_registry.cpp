// The registry: stable instruments per label set, refusals, and the Prometheus text it renders.
#include <strata/metrics_registry.hpp>

#include "prometheus_format.hpp"

#include <catch2/catch.hpp>

using strata::telemetry::prometheus_text;
using strata::telemetry::registry;

TEST_CASE("the same family and labels give the same instrument", "[registry]") {
  registry r;
  auto& a = r.counter("strata_test_total", "help", {"cache_layer"}, {"hot"});
  auto& b = r.counter("strata_test_total", "help", {"cache_layer"}, {"hot"});
  auto& c = r.counter("strata_test_total", "help", {"cache_layer"}, {"deep"});
  CHECK(&a == &b);
  CHECK(&a != &c);
}

TEST_CASE("the registry refuses bad names and conflicting families", "[registry]") {
  registry r;
  CHECK_THROWS_WITH(r.counter("bad-name", "h", {}, {}), "metric name 'bad-name' is not a valid Prometheus name");
  CHECK_THROWS_WITH(r.counter("ok_total", "h", {"0x"}, {"v"}), "metric ok_total: label name '0x' is not valid");
  CHECK_THROWS_WITH(r.counter("ok_total", "h", {"a"}, {}), "metric ok_total: 1 label names but 0 values");
  // A label value that is not UTF-8 made promtool, and Prometheus, refuse the whole scrape.
  for (const std::string bad : {"\xc3\xa9\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80"})
    CHECK_THROWS_WITH(r.counter("utf_total", "h", {"a"}, {bad}), "metric utf_total: the value of label 'a' is not valid UTF-8");
  CHECK_NOTHROW(r.counter("utf_total", "h", {"a"}, {"\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"}));
  r.counter("ok_total", "h", {"a"}, {"1"});
  CHECK_THROWS_WITH(r.gauge("ok_total", "h", {"a"}, {"1"}), "metric ok_total is already registered as a counter, not a gauge");
  CHECK_THROWS_WITH(r.counter("ok_total", "h", {"b"}, {"1"}),
                    "metric ok_total is already registered as a counter with other labels or buckets");
  // Who took a family first is named, when it said.
  r.counter("theirs_total", "h", {}, {}, "layer 'deep'");
  CHECK_THROWS_WITH(r.histogram("theirs_total", "h", {}, {}),
                    "metric theirs_total is already registered as a counter by layer 'deep', not a histogram");
  CHECK_THROWS_WITH(r.counter("theirs_total", "h", {"a"}, {"1"}),
                    "metric theirs_total is already registered as a counter by layer 'deep' with other labels or buckets");
  // A histogram's series are names of their own in the exposition: no family may take one.
  r.histogram("took_seconds", "h", {}, {}, {0.1, 1});
  CHECK_THROWS_WITH(r.gauge("took_seconds_count", "h", {}, {}),
                    "metric took_seconds_count is a series of the histogram took_seconds; choose another name");
  r.counter("waits_sum", "h", {}, {});
  CHECK_THROWS_WITH(r.histogram("waits", "h", {}, {}, {0.1, 1}),
                    "metric waits: its series waits_sum is already a family of its own; choose another name");
  r.counter("took_total", "h", {}, {}); // other suffixes are names like any
}

TEST_CASE("the Prometheus text holds every family with HELP, TYPE and samples", "[registry]") {
  registry r;
  r.counter("strata_cache_requests_total", "Requests.", {"cache_layer", "operation", "status"},
            {"hot", "get", "hit"})
    .inc(3);
  r.gauge("strata_cache_entries", "Entries.", {"cache_layer"}, {"hot"}).set(42);
  auto& h = r.histogram("strata_cache_operation_duration_seconds", "Durations.", {"cache_layer", "operation"},
                        {"hot", "get"}, {0.001, 0.01});
  h.observe(0.0005);
  h.observe(0.005);
  h.observe(1.0);
  const auto text = prometheus_text(r.snapshot());
  INFO(text);
  CHECK(text.find("# HELP strata_cache_requests_total Requests.\n# TYPE strata_cache_requests_total counter\n"
                  "strata_cache_requests_total{cache_layer=\"hot\",operation=\"get\",status=\"hit\"} 3\n") !=
        std::string::npos);
  CHECK(text.find("# TYPE strata_cache_entries gauge\nstrata_cache_entries{cache_layer=\"hot\"} 42\n") !=
        std::string::npos);
  CHECK(text.find("strata_cache_operation_duration_seconds_count{cache_layer=\"hot\",operation=\"get\"} 3\n") !=
        std::string::npos);
  CHECK(text.find("strata_cache_operation_duration_seconds_bucket{cache_layer=\"hot\",operation=\"get\",le=\"0.001\"} 1\n") !=
        std::string::npos);
  CHECK(text.find("strata_cache_operation_duration_seconds_bucket{cache_layer=\"hot\",operation=\"get\",le=\"0.01\"} 2\n") !=
        std::string::npos);
  CHECK(text.find("strata_cache_operation_duration_seconds_bucket{cache_layer=\"hot\",operation=\"get\",le=\"+Inf\"} 3\n") !=
        std::string::npos);
}

TEST_CASE("a help text's line breaks and backslashes are escaped, as the text format requires", "[registry]") {
  registry r;
  r.counter("plugin_total", "line one\nline two \\ end", {}, {}).inc();
  const auto text = prometheus_text(r.snapshot());
  CHECK(text.find("# HELP plugin_total line one\\nline two \\\\ end\n# TYPE plugin_total counter\n") != std::string::npos);
}

TEST_CASE("histogram buckets must be finite and ascending, and labels distinct", "[registry]") {
  registry r;
  CHECK_THROWS_WITH(r.histogram("h_seconds", "h", {}, {}, {1.0, 0.1}),
                    "metric h_seconds: bucket bounds must be finite and strictly ascending");
  CHECK_THROWS_WITH(r.histogram("h_seconds", "h", {}, {}, {0.1, 0.1}),
                    "metric h_seconds: bucket bounds must be finite and strictly ascending");
  CHECK_THROWS_WITH(r.histogram("h_seconds", "h", {"le"}, {"x"}), "metric h_seconds: 'le' is the bucket label of a histogram");
  CHECK_THROWS_WITH(r.counter("c_total", "c", {"a", "a"}, {"1", "2"}), "metric c_total: label 'a' given twice");
}
