// Parsing of configuration value types (strata/units.hpp).

#include <strata/units.hpp>

#include <catch2/catch.hpp>

using namespace std::chrono_literals;
namespace units = strata::units;

TEST_CASE("parse_size accepts plain bytes and every unit", "[units]") {
  CHECK(units::parse_size("0") == 0u);
  CHECK(units::parse_size("512") == 512u);
  CHECK(units::parse_size("512B") == 512u);
  CHECK(units::parse_size("2KB") == 2000u);
  CHECK(units::parse_size("2kB") == 2000u);
  CHECK(units::parse_size("10MB") == 10'000'000u);
  CHECK(units::parse_size("3GB") == 3'000'000'000u);
  CHECK(units::parse_size("1TB") == 1'000'000'000'000u);
  CHECK(units::parse_size("64KiB") == 65'536u);
  CHECK(units::parse_size("64MiB") == 67'108'864u);
  CHECK(units::parse_size("1GiB") == 1'073'741'824u);
  CHECK(units::parse_size("1TiB") == 1'099'511'627'776u);
  CHECK(units::parse_size("64 MiB") == 67'108'864u);
}

TEST_CASE("parse_size accepts fractions", "[units]") {
  CHECK(units::parse_size("1.5GiB") == 1'610'612'736u);
  CHECK(units::parse_size("0.5KiB") == 512u);
  CHECK(units::parse_size("2.5KB") == 2500u);
}

TEST_CASE("parse_size rejects bad input", "[units]") {
  CHECK_FALSE(units::parse_size(""));
  CHECK_FALSE(units::parse_size("lots"));
  CHECK_FALSE(units::parse_size("MiB"));
  CHECK_FALSE(units::parse_size("-1"));
  CHECK_FALSE(units::parse_size("10XB"));
  CHECK_FALSE(units::parse_size("10mib"));
  CHECK_FALSE(units::parse_size("1.2.3MB"));
  CHECK_FALSE(units::parse_size("100000000TiB")); // beyond int64
  CHECK_FALSE(units::parse_size("8388608TiB"));   // 2^63 exactly: one past int64
  CHECK_FALSE(units::parse_size("9223372036854775808"));
  CHECK_FALSE(units::parse_size("1.5"));  // a byte is whole
  CHECK_FALSE(units::parse_size("0.5B"));
}

TEST_CASE("parse_size counts plain bytes exactly beyond a double's precision", "[units]") {
  CHECK(units::parse_size("9007199254740993") == 9'007'199'254'740'993u);
  CHECK(units::parse_size("9223372036854775807B") == 9'223'372'036'854'775'807u);
  CHECK(units::parse_size("9223372036854775807 B") == 9'223'372'036'854'775'807u);
}

TEST_CASE("parse_duration accepts every unit and fractions", "[units]") {
  CHECK(units::parse_duration("0") == 0ns);
  CHECK(units::parse_duration("250ns") == 250ns);
  CHECK(units::parse_duration("10us") == 10us);
  CHECK(units::parse_duration("250ms") == 250ms);
  CHECK(units::parse_duration("30s") == 30s);
  CHECK(units::parse_duration("5m") == 5min);
  CHECK(units::parse_duration("1h") == 1h);
  CHECK(units::parse_duration("2d") == 48h);
  CHECK(units::parse_duration("1.5s") == 1500ms);
  CHECK(units::parse_duration("0ms") == 0ns);
}

TEST_CASE("format_duration writes the largest unit that divides, and parse_duration reads it back", "[units]") {
  CHECK(units::format_duration(0ms) == "0ms");
  CHECK(units::format_duration(250ms) == "250ms");
  CHECK(units::format_duration(1500ms) == "1500ms");
  CHECK(units::format_duration(90s) == "90s");
  CHECK(units::format_duration(2min) == "2m");
  CHECK(units::format_duration(24h) == "24h");
  for (const std::chrono::milliseconds d : {0ms, 1ms, 999ms, 61000ms, 3600001ms, units::max_ttl})
    CHECK(units::parse_duration(units::format_duration(d)) == std::chrono::nanoseconds(d));
}

TEST_CASE("parse_duration rejects bad input", "[units]") {
  CHECK_FALSE(units::parse_duration(""));
  CHECK_FALSE(units::parse_duration("5"));  // only a plain 0 may omit the unit
  CHECK_FALSE(units::parse_duration("fast"));
  CHECK_FALSE(units::parse_duration("5x"));
  CHECK_FALSE(units::parse_duration("-5s"));
  CHECK_FALSE(units::parse_duration("5 years"));
  CHECK_FALSE(units::parse_duration("1000000d")); // beyond int64 nanoseconds
  // The limit the config messages name: 106481d is taken, a day more is not.
  CHECK(units::parse_duration("106481d"));
  CHECK_FALSE(units::parse_duration("106482d"));
}

TEST_CASE("parse_bool accepts YAML 1.1 spellings only, each word in the same three cases", "[units]") {
  for (const char* text : {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON"})
    CHECK(units::parse_bool(text) == true);
  for (const char* text : {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF"})
    CHECK(units::parse_bool(text) == false);
  for (const char* text : {"", "1", "0", "y", "Y", "n", "tru", "yes please", "tRUE", "TrUE", "oN", "nO", "ofF"})
    CHECK_FALSE(units::parse_bool(text));
}

TEST_CASE("parse_int and parse_double need the whole text", "[units]") {
  CHECK(units::parse_int("42") == 42);
  CHECK(units::parse_int("-7") == -7);
  CHECK_FALSE(units::parse_int(""));
  CHECK_FALSE(units::parse_int("4x"));
  CHECK_FALSE(units::parse_int("1.5"));
  CHECK_FALSE(units::parse_int("99999999999999999999"));
  CHECK(units::parse_double("0.25") == 0.25);
  CHECK(units::parse_double("-3") == -3.0);
  CHECK_FALSE(units::parse_double("abc"));
  CHECK_FALSE(units::parse_double("1.5s"));
  CHECK_FALSE(units::parse_double("inf"));
  // Decimal only, with nothing before it: strtod and strtoll skip leading blanks, strtod reads hex.
  CHECK(units::parse_int("+5") == 5);
  CHECK(units::parse_double(".5") == 0.5);
  CHECK(units::parse_double("-.5") == -0.5);
  CHECK(units::parse_double("1e3") == 1000.0);
  for (const char* bad : {" 1", "\t1", "0x10", "0x1p-4", "-0x2", "+", "-", ".", "- 1"}) {
    INFO(bad);
    CHECK_FALSE(units::parse_int(bad));
    CHECK_FALSE(units::parse_double(bad));
  }
}
