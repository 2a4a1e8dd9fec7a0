#include <strata/ascii.hpp>

#include <catch2/catch.hpp>

#include <string>

using strata::ascii_lower;

TEST_CASE("ascii_lower lowers ASCII letters only", "[ascii]") {
  CHECK(ascii_lower("Bearer TOKEN x-Y_9") == "bearer token x-y_9");
  CHECK(ascii_lower("") == "");
  // U+00C9 (É) is 0xC3 0x89: neither byte is an ASCII letter, so the sequence stays whole.
  CHECK(ascii_lower("\xC3\x89t\xC3\xA9") == "\xC3\x89t\xC3\xA9");
  CHECK(ascii_lower(std::string("A\0B", 3)) == std::string("a\0b", 3));
  CHECK(ascii_lower("@[`{") == "@[`{"); // the neighbours of 'A'-'Z' and 'a'-'z'
}
