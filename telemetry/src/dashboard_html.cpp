#include "dashboard_html.hpp"

#include "time_format.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string_view>

namespace strata::telemetry {

namespace {

const char* const style = R"(
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #1d1d1f; background: #fafafa; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 24px 0 8px; }
table { border-collapse: collapse; background: #fff; }
th, td { padding: 6px 10px; border-bottom: 1px solid #e3e3e3; text-align: right; white-space: nowrap; }
th { font-weight: 600; color: #6e6e73; }
.name, .detail { text-align: left; }
td.detail { white-space: normal; max-width: 28em; }
tfoot td { font-weight: 600; border-top: 2px solid #c7c7cc; }
.level { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff; font-weight: 600; }
.healthy { background: #1b7f3b; } .warning { background: #b26a00; } .critical { background: #c62828; }
.bar { display: inline-block; width: 80px; height: 8px; margin-right: 8px; vertical-align: middle;
       background: #e3e3e3; border-radius: 4px; overflow: hidden; }
.bar span { display: block; height: 100%; background: #2f6fdb; }
.muted { color: #6e6e73; font-size: 12px; }
)";

void append_escaped(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&#39;"; break;
    default: out += c;
    }
  }
}

std::string formatted(const char* format, double v) {
  char text[64];
  std::snprintf(text, sizeof text, format, v);
  return text;
}

/// Three significant digits or so: 1.23, 12.3, 123, 1234.
std::string short_number(double v) {
  return formatted(v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f", v);
}

const char* const none = "—";

std::string percent(double fraction) {
  return std::isfinite(fraction) ? formatted("%.1f%%", fraction * 100) : none;
}

/// A latency of 0 means no observations in the window, not an instant answer.
std::string latency(double seconds) {
  if (!std::isfinite(seconds) || seconds <= 0)
    return none;
  if (seconds < 1e-3)
    return short_number(seconds * 1e6) + " µs";
  if (seconds < 1)
    return short_number(seconds * 1e3) + " ms";
  return short_number(seconds) + " s";
}

std::string throughput(double per_second) {
  return std::isfinite(per_second) ? short_number(per_second) + " req/s" : none;
}

void level_badge(std::string& out, health_level level) {
  out += "<span class=\"level ";
  out += to_string(level);
  out += "\">";
  out += to_string(level);
  out += "</span>";
}

void cell(std::string& out, std::string_view text, const char* css_class = nullptr) {
  out += css_class ? std::string("<td class=\"") + css_class + "\">" : std::string("<td>");
  append_escaped(out, text);
  out += "</td>";
}

/// The hit rate as a number and as a bar drawn by CSS alone; none without gets, where a rate of
/// 0 % would read as every get missed.
void hit_rate_cell(std::string& out, const window_stats& w) {
  const double width = w.gets > 0 && std::isfinite(w.hit_rate) ? std::clamp(w.hit_rate, 0.0, 1.0) * 100 : 0;
  out += "<td class=\"hit\"><span class=\"bar\"><span style=\"width:" + formatted("%.0f", width) + "%\"></span></span>";
  out += (w.gets > 0 ? percent(w.hit_rate) : std::string(none)) + "</td>";
}

/// Health and detail; supervision's counts when something went wrong, even after recovery.
void health_cells(std::string& out, const layer_health* health) {
  if (health == nullptr) {
    cell(out, none);
    cell(out, "", "detail");
    return;
  }
  out += "<td>";
  level_badge(out, health->level);
  out += "</td><td class=\"detail\">";
  append_escaped(out, health->detail);
  if (health->failures > 0 || health->restarts > 0) {
    out += " <span class=\"muted\">" + std::to_string(health->failures) + " failure(s), " +
           std::to_string(health->restarts) + " restart(s)";
    if (!health->last_error.empty()) {
      out += "; last: ";
      append_escaped(out, health->last_error);
    }
    out += "</span>";
  }
  out += "</td>";
}

void figures_row(std::string& out, const window_stats& w) {
  cell(out, w.name, "name");
  hit_rate_cell(out, w);
  cell(out, w.gets > 0 ? percent(w.miss_rate) : std::string(none));
  cell(out, w.requests > 0 ? percent(w.error_rate) : std::string(none));
  cell(out, throughput(w.throughput));
  cell(out, latency(w.p50_seconds));
  cell(out, latency(w.p95_seconds));
  cell(out, latency(w.p99_seconds));
}

const layer_health* health_of(const health_report& health, const std::string& name) {
  for (const auto& l : health.layers)
    if (l.name == name)
      return &l;
  return nullptr;
}

bool has_figures(const runtime_stats& stats, const std::string& name) {
  return std::any_of(stats.layers.begin(), stats.layers.end(), [&](const window_stats& w) { return w.name == name; });
}

void layers_table(std::string& out, const telemetry_snapshot& s) {
  out += "<h2>Layers</h2>\n<table class=\"layers\">\n<thead><tr><th class=\"name\">layer</th><th>hit rate</th>"
         "<th>miss rate</th><th>error rate</th><th>throughput</th><th>p50</th><th>p95</th><th>p99</th>"
         "<th>health</th><th class=\"detail\">detail</th></tr></thead>\n<tbody>\n";
  for (const auto& w : s.stats.layers) {
    out += "<tr>";
    figures_row(out, w);
    health_cells(out, health_of(s.health, w.name));
    out += "</tr>\n";
  }
  // A layer the telemetry has not sampled yet (just started) still shows its health.
  for (const auto& h : s.health.layers) {
    if (has_figures(s.stats, h.name))
      continue;
    out += "<tr>";
    cell(out, h.name, "name");
    for (int i = 0; i < 7; ++i)
      cell(out, none);
    health_cells(out, &h);
    out += "</tr>\n";
  }
  out += "</tbody>\n<tfoot><tr>";
  figures_row(out, s.stats.overall);
  out += "<td>";
  level_badge(out, s.health.overall);
  out += "</td><td class=\"detail\">the runtime as a whole</td></tr></tfoot>\n</table>\n";
}

void system_table(std::string& out, const health_report& health) {
  out += "<h2>System</h2>\n";
  if (health.system.empty()) {
    out += "<p class=\"muted\">No system checks enabled.</p>\n";
    return;
  }
  out += "<table class=\"system\">\n<thead><tr><th class=\"name\">check</th><th>health</th>"
         "<th class=\"detail\">detail</th></tr></thead>\n<tbody>\n";
  for (const auto& c : health.system) {
    out += "<tr>";
    cell(out, c.name, "name");
    out += "<td>";
    level_badge(out, c.level);
    out += "</td>";
    cell(out, c.detail, "detail");
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
}

const char* window_name(stats_window window) {
  switch (window) {
  case stats_window::hour: return "hour";
  case stats_window::day: return "day";
  default: return "minute";
  }
}

} // namespace

std::string render_dashboard(const telemetry_snapshot& s) {
  const std::string taken = to_rfc3339(s.taken);
  std::string out;
  out.reserve(8192);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Strata: ";
  out += to_string(s.health.overall);
  out += "</title>\n<style>";
  out += style;
  out += "</style>\n</head>\n<body>\n<h1>Strata ";
  level_badge(out, s.health.overall);
  // Shown as "2026-09-21 14:13:20 UTC"; the machine-readable form stays in the attribute.
  out += "</h1>\n<p class=\"muted\">Snapshot taken <time datetime=\"" + taken + "\">" + taken.substr(0, 10) + " " +
         taken.substr(11, 8) + " UTC</time>; figures over the last " + window_name(s.stats.window) + " (" +
         formatted("%.0f", s.stats.covered_seconds) + " s of data).</p>\n";
  layers_table(out, s);
  system_table(out, s.health);
  out += "</body>\n</html>\n";
  return out;
}

} // namespace strata::telemetry
