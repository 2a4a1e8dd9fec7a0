// The HTML dashboard: every layer with its hit rate, human units, escaping, self-contained.
#include "dashboard_html.hpp"

#include "sample_telemetry.hpp"

#include <catch2/catch.hpp>

#include <limits>
#include <string>

using strata::telemetry::render_dashboard;

namespace {

bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

} // namespace

TEST_CASE("the dashboard shows each layer with its figures and health", "[telemetry][dashboard]") {
  const auto html = render_dashboard(strata::testing::sample_snapshot());
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  CHECK(contains(html, "<title>Strata: warning</title>"));
  CHECK(contains(html, "<h1>Strata <span class=\"level warning\">warning</span></h1>"));
  CHECK(contains(html, "<time datetime=\"2026-09-21T14:13:20.000Z\">2026-09-21 14:13:20 UTC</time>"));
  CHECK(contains(html, "the last minute (60 s of data)"));
  // hot: 75% hits, 400 µs / 1 ms / 8 ms; deep: 50% hits, warned with supervision's counts.
  CHECK(contains(html, "<td class=\"name\">hot</td><td class=\"hit\"><span class=\"bar\"><span style=\"width:75%\">"
                       "</span></span>75.0%</td><td>25.0%</td><td>0.0%</td><td>0.67 req/s</td><td>400 µs</td>"
                       "<td>1.00 ms</td><td>8.00 ms</td><td><span class=\"level healthy\">healthy</span></td>"));
  CHECK(contains(html, "<td class=\"name\">deep</td>"));
  CHECK(contains(html, ">50.0%<"));
  CHECK(contains(html, "<td>2.00 ms</td><td>5.00 ms</td><td>10.0 ms</td>"));
  CHECK(contains(html, "<span class=\"level warning\">warning</span></td><td class=\"detail\">backend slow "
                       "<span class=\"muted\">1 failure(s), 1 restart(s); last: timeout</span></td>"));
  CHECK(contains(html, "<tfoot><tr><td class=\"name\">all</td>"));
  CHECK(contains(html, "<td class=\"name\">rss</td><td><span class=\"level healthy\">healthy</span></td>"
                       "<td class=\"detail\">RSS 100 MiB of 2 GiB</td>"));
}

TEST_CASE("the dashboard needs nothing from elsewhere", "[telemetry][dashboard]") {
  const auto html = render_dashboard(strata::testing::sample_snapshot());
  CHECK_FALSE(contains(html, "<script"));
  CHECK_FALSE(contains(html, "<link"));
  CHECK_FALSE(contains(html, "src="));
  CHECK_FALSE(contains(html, "url("));
  CHECK_FALSE(contains(html, "http"));
  CHECK(contains(html, "<style>"));
}

TEST_CASE("every string from the snapshot is escaped", "[telemetry][dashboard]") {
  auto s = strata::testing::sample_snapshot();
  s.stats.layers[0].name = "<b>";
  s.health.layers[0].name = "<b>";
  s.health.layers[1].detail = "a & \"b\" <script>x</script>";
  s.health.layers[1].last_error = "'quoted'";
  s.health.system[0].name = "<i>rss";
  const auto html = render_dashboard(s);
  CHECK_FALSE(contains(html, "<b>"));
  CHECK_FALSE(contains(html, "<script>"));
  CHECK_FALSE(contains(html, "<i>"));
  CHECK(contains(html, "<td class=\"name\">&lt;b&gt;</td><td class=\"hit\">"));
  CHECK(contains(html, "<span class=\"level healthy\">healthy</span>")); // matched its health by name
  CHECK(contains(html, "a &amp; &quot;b&quot; &lt;script&gt;x&lt;/script&gt;"));
  CHECK(contains(html, "last: &#39;quoted&#39;"));
  CHECK(contains(html, "&lt;i&gt;rss"));
}

TEST_CASE("latencies in human units, and a dash where there is nothing to show", "[telemetry][dashboard]") {
  auto s = strata::testing::sample_snapshot();
  s.stats.layers[0].p50_seconds = 0;          // no observations
  s.stats.layers[0].p95_seconds = 0.0000123;  // 12.3 µs
  s.stats.layers[0].p99_seconds = 2.5;
  s.stats.layers[1].hit_rate = std::numeric_limits<double>::quiet_NaN();
  const auto html = render_dashboard(s);
  CHECK(contains(html, "<td>—</td><td>12.3 µs</td><td>2.50 s</td>"));
  CHECK(contains(html, "<span style=\"width:0%\"></span></span>—</td>"));
}

TEST_CASE("a window without gets shows no rates, not 0 %", "[telemetry][dashboard]") {
  auto s = strata::testing::sample_snapshot();
  auto& idle = s.stats.layers[0];
  idle.requests = idle.gets = idle.hits = idle.misses = idle.errors = 0;
  idle.hit_rate = idle.miss_rate = idle.error_rate = 0;
  const auto html = render_dashboard(s);
  CHECK(contains(html, "<td class=\"name\">hot</td><td class=\"hit\"><span class=\"bar\"><span style=\"width:0%\">"
                       "</span></span>—</td><td>—</td><td>—</td>"));
}

TEST_CASE("a layer without figures yet still shows its health, and missing system checks are said",
          "[telemetry][dashboard]") {
  auto s = strata::testing::sample_snapshot();
  s.stats.layers.clear();
  s.health.system.clear();
  const auto html = render_dashboard(s);
  CHECK(contains(html, "<td class=\"name\">deep</td><td>—</td>"));
  CHECK(contains(html, "backend slow"));
  CHECK(contains(html, "No system checks enabled."));
}
