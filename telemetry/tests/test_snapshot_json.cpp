// The JSON form of a telemetry snapshot: round trips, non-finite numbers, clear errors.
#include "snapshot_json.hpp"

#include "sample_telemetry.hpp"
#include "snapshot_equal.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

using strata::telemetry::snapshot_from_json;
using strata::telemetry::to_json_text;

namespace {

/// The message of a read that must fail.
std::string error_of(const std::string& text) {
  auto read = snapshot_from_json(text);
  REQUIRE_FALSE(read.has_value());
  CHECK(read.err().code == strata::status::invalid);
  return read.err().message;
}

/// The sample's JSON with the first `from` replaced by `to`.
std::string sample_with(const std::string& from, const std::string& to) {
  std::string text = to_json_text(strata::testing::sample_snapshot());
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

} // namespace

TEST_CASE("a snapshot reads back equal, field by field", "[telemetry][json]") {
  const auto original = strata::testing::sample_snapshot();
  for (bool pretty : {false, true}) {
    INFO("pretty " << pretty);
    auto read = snapshot_from_json(to_json_text(original, pretty));
    REQUIRE(read.has_value());
    strata::testing::check_equal(*read, original);
  }
}

TEST_CASE("the text states its format, both forms of the time, and one line unless pretty", "[telemetry][json]") {
  const auto text = to_json_text(strata::testing::sample_snapshot());
  CHECK(text.rfind("{\"format\":1,\"taken\":\"2026-09-21T14:13:20.000Z\",\"taken_unix_ms\":1790000000000,", 0) == 0);
  CHECK(text.find('\n') == std::string::npos);
  CHECK(text.find("\"labels\":{\"cache_layer\":\"hot\",\"operation\":\"get\",\"status\":\"ok\"}") != std::string::npos);
  CHECK(text.find("\"buckets\":[6,3,1,0],\"count\":10,\"sum\":0.02") != std::string::npos);
  CHECK(to_json_text(strata::testing::sample_snapshot(), true).find("\n  \"format\": 1,\n") != std::string::npos);
}

TEST_CASE("stats and health alone are written as the snapshot's members", "[telemetry][json]") {
  const auto sample = strata::testing::sample_snapshot();
  const auto text = to_json_text(sample);
  CHECK(text.find("\"stats\":" + to_json_text(sample.stats) + ",\"health\":" + to_json_text(sample.health) +
                  ",\"metrics\":") != std::string::npos);
}

TEST_CASE("awkward values survive: non-finite numbers, inexact doubles, quotes, sub-millisecond time",
          "[telemetry][json]") {
  auto s = strata::testing::sample_snapshot();
  s.taken += std::chrono::microseconds(1500); // kept to the millisecond
  s.metrics[0].samples[0].value = std::numeric_limits<double>::quiet_NaN();
  s.metrics[1].samples[0].sum = std::numeric_limits<double>::infinity();
  s.stats.overall.throughput = -std::numeric_limits<double>::infinity();
  s.stats.layers[0].p99_seconds = 1.0 / 3.0;
  s.health.layers[1].detail = "said \"slow\"\n\tthen <b>ü</b> \\";
  const auto text = to_json_text(s);
  CHECK(text.find("\"value\":\"NaN\"") != std::string::npos);
  CHECK(text.find("\"sum\":\"+Inf\"") != std::string::npos);
  CHECK(text.find("\"throughput\":\"-Inf\"") != std::string::npos);

  auto read = snapshot_from_json(text);
  REQUIRE(read.has_value());
  CHECK(read->taken == strata::testing::sample_snapshot().taken + std::chrono::milliseconds(1));
  CHECK(std::isnan(read->metrics[0].samples[0].value));
  CHECK(read->metrics[1].samples[0].sum == std::numeric_limits<double>::infinity());
  CHECK(read->stats.overall.throughput == -std::numeric_limits<double>::infinity());
  CHECK(read->stats.layers[0].p99_seconds == 1.0 / 3.0);
  CHECK(read->health.layers[1].detail == s.health.layers[1].detail);
}

TEST_CASE("invalid UTF-8 in a string is replaced, not thrown", "[telemetry][json]") {
  auto s = strata::testing::sample_snapshot();
  s.health.layers[0].detail = "bad \xff byte";
  auto read = snapshot_from_json(to_json_text(s));
  REQUIRE(read.has_value());
  CHECK(read->health.layers[0].detail == "bad \xEF\xBF\xBD byte");
}

TEST_CASE("an empty snapshot round trips", "[telemetry][json]") {
  strata::telemetry_snapshot empty;
  auto read = snapshot_from_json(to_json_text(empty));
  REQUIRE(read.has_value());
  strata::testing::check_equal(*read, empty);
}

TEST_CASE("fields a reader does not know are ignored", "[telemetry][json]") {
  auto read = snapshot_from_json(sample_with("\"format\":1,", "\"format\":1,\"added_later\":{\"x\":[1]},"));
  REQUIRE(read.has_value());
  strata::testing::check_equal(*read, strata::testing::sample_snapshot());
}

TEST_CASE("malformed input is refused with what is wrong and where", "[telemetry][json]") {
  CHECK(error_of("") == "not JSON: parse error at line 1, column 1: syntax error while parsing value - unexpected end "
                        "of input; expected '[', '{', or a literal");
  CHECK(error_of("{\"format\": 1,").rfind("not JSON: parse error at line 1, column 14", 0) == 0);
  CHECK(error_of("[1, 2]") == "expected a JSON object at the top level, got an array");
  CHECK(error_of("{}") == "format: missing");
  CHECK(error_of(sample_with("\"format\":1", "\"format\":\"1\"")) ==
        "format: expected a version number such as 1, got \"1\"");
  CHECK(error_of(sample_with("\"format\":1", "\"format\":2")) ==
        "format: version 2 is newer than this reader's 1; upgrade strata");
  CHECK(error_of(sample_with("\"taken_unix_ms\":1790000000000", "\"taken_unix_ms\":1.5")) ==
        "taken_unix_ms: expected milliseconds since 1970 (within 292 years of it), got 1.5");
  CHECK(error_of(sample_with("\"taken_unix_ms\":1790000000000", "\"taken_unix_ms\":99999999999999999")) ==
        "taken_unix_ms: expected milliseconds since 1970 (within 292 years of it), got 99999999999999999");
  CHECK(error_of(sample_with("\"window\":\"minute\"", "\"window\":\"week\"")) ==
        "stats.window: expected one of minute, hour, day, got \"week\"");
  CHECK(error_of(sample_with("\"hits\":30", "\"hits\":-30")) ==
        "stats.overall.hits: expected a non-negative integer, got -30");
  CHECK(error_of(sample_with("\"hit_rate\":0.75,\"miss_rate\":0.25,\"error_rate\":0.0,\"throughput\":0.67,"
                             "\"p50_seconds\":0.0004",
                             "\"hit_rate\":0.75,\"miss_rate\":0.25,\"error_rate\":0.0,\"throughput\":0.67,"
                             "\"p50_seconds\":\"fast\"")) ==
        "stats.layers[0].p50_seconds: expected a number (or \"NaN\", \"+Inf\", \"-Inf\"), got \"fast\"");
  CHECK(error_of(sample_with("\"layers\":[{\"name\":\"hot\",\"level\"", "\"layers\":[7,{\"name\":\"hot\",\"level\"")) ==
        "health.layers[0]: expected an object, got 7");
  CHECK(error_of(sample_with("\"level\":\"warning\"", "\"level\":3")) ==
        "health.layers[1].level: expected one of healthy, warning, critical, got 3");
  CHECK(error_of(sample_with("\"detail\":\"RSS 100 MiB of 2 GiB\",", "")) == "health.system[0].detail: missing");
  CHECK(error_of(sample_with("\"type\":\"histogram\"", "\"type\":\"summary\"")) ==
        "metrics[1].type: expected one of counter, gauge, histogram, got \"summary\"");
  CHECK(error_of(sample_with("\"buckets\":[6,3,1,0]", "\"buckets\":{\"0\":6}")) ==
        "metrics[1].samples[0].buckets: expected an array of integers, got an object");
  CHECK(error_of(sample_with("\"buckets\":[6,3,1,0]", "\"buckets\":[6,3,1.5,0]")) ==
        "metrics[1].samples[0].buckets[2]: expected a non-negative integer, got 1.5");
  CHECK(error_of(sample_with("\"buckets\":[6,3,1,0]", "\"buckets\":[6,3,1]")) ==
        "metrics[1].samples[0].buckets: expected 4 counts (one per bound, then +Inf), got 3");
  CHECK(error_of(sample_with("{\"cache_layer\":\"hot\",\"operation\":\"get\",\"status\":\"ok\"}",
                             "{\"cache_layer\":\"hot\",\"operation\":null,\"status\":\"ok\"}")) ==
        "metrics[2].samples[0].labels.operation: expected a string, got null");
  CHECK(error_of(sample_with("\"value\":1234.0", "\"count\":1234")) == "metrics[0].samples[0].value: missing");
  CHECK(error_of(sample_with("\"metrics\":[", "\"metrics\":7,\"x\":[")) ==
        "metrics: expected an array of objects, got 7");
}
