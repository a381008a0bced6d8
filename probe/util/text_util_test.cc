#include "probe/util/text_util.h"

#include <doctest/doctest.h>

using namespace ssmreach;

TEST_CASE("text_util: lists") {
  CHECK(join({}, ", ") == "");
  CHECK(join({"a", "b", "c"}, "; ") == "a; b; c");
  CHECK(list_and({}) == "");
  CHECK(list_and({"a"}) == "a");
  CHECK(list_and({"a", "b"}) == "a and b");
  CHECK(list_and({"a", "b", "c"}) == "a, b and c");
  CHECK(count_of(1, "host", "hosts") == "1 host");
  CHECK(count_of(0, "host", "hosts") == "0 hosts");
  CHECK(count_of(3, "host", "hosts") == "3 hosts");
}

TEST_CASE("text_util: words and numbers") {
  CHECK(seconds_text(3000) == "3.0 s");
  CHECK(seconds_text(250) == "0.2 s");
  CHECK(capitalized("public address 1.2.3.4") == "Public address 1.2.3.4");
  CHECK(capitalized("") == "");
  CHECK(contains("wrong version number", "version"));
  CHECK_FALSE(contains("wrong version number", "cipher"));
  CHECK(openssl_reason("error:0A00010B:SSL routines::wrong version number") ==
        "wrong version number");
  CHECK(openssl_reason("no reason here") == "no reason here");
  CHECK(openssl_reason("trailing::") == "trailing::");
}

TEST_CASE("text_util: addresses") {
  CHECK(ip_port({netcheck::Family::v4, "10.0.0.1"}, 443) == "10.0.0.1:443");
  CHECK(ip_port({netcheck::Family::v6, "fd00::1"}, 53) == "[fd00::1]:53");
  CHECK(ip_texts({{netcheck::Family::v4, "10.0.0.1"}, {netcheck::Family::v6, "fd00::1"}}) ==
        std::vector<std::string>{"10.0.0.1", "fd00::1"});
}

TEST_CASE("text_util: UTC timestamps and gaps") {
  CHECK(parse_utc("1970-01-01T00:00:00Z") == 0);
  CHECK(parse_utc("2024-03-01T00:00:10Z") == 1709251210);
  CHECK_FALSE(parse_utc("2024-02-30T00:00:00Z"));  // no such day
  CHECK_FALSE(parse_utc("Jun  1 12:00:00 2024 GMT"));
  CHECK(parse_utc("2024-03-01T00:00:10.123Z") == 1709251210);  // fractions ignored
  CHECK_FALSE(parse_utc("2024-03-01T00:00"));                  // no seconds
  CHECK_FALSE(parse_utc("2024-03-01 00:00:10Z"));              // no T
  CHECK_FALSE(parse_utc(""));
  CHECK(gap_text(-3 * 86400) == "3 days");
  CHECK(gap_text(5 * 3600) == "5 hours");
  CHECK(gap_text(150) == "2 minutes");
  CHECK(gap_text(90) == "1 minute");
  CHECK(gap_note("2024-06-30T00:00:00Z", "2024-06-01T00:00:00Z", "later") == ", 29 days later");
  CHECK(gap_note("soon", "2024-06-01T00:00:00Z", "later") == "");
}
