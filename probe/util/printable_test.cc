#include "probe/util/printable.h"

#include <doctest/doctest.h>

namespace ssmreach {

TEST_CASE("printable_line: control characters and non-ASCII bytes become \\xNN") {
  CHECK(printable_line("us-east-1") == "us-east-1");
  CHECK(printable_line("a\x1b[2Jb") == "a\\x1b[2Jb");
  CHECK(printable_line("line\nforged\r") == "line\\x0aforged\\x0d");
  CHECK(printable_line(std::string_view("nul\0tab\t", 8)) == "nul\\x00tab\\x09");
  CHECK(printable_line("del\x7f") == "del\\x7f");
  CHECK(printable_line("caf\xc3\xa9") == "caf\\xc3\\xa9");
  CHECK(printable_line("") == "");
}

}  // namespace ssmreach
