#include "probe/util/report_width.h"

#include <doctest/doctest.h>

using namespace ssmreach;

TEST_CASE("report width: 80 columns unless stdout is a terminal") {
  CHECK(report_width(false, std::nullopt, 0) == 80);
  // A pipe or a file keeps 80 whatever COLUMNS or a terminal say.
  CHECK(report_width(false, "200", 150) == 80);
  CHECK(report_width(true, std::nullopt, 0) == 80);
}

TEST_CASE("report width: on a terminal COLUMNS, then the terminal's width, within 60..120") {
  CHECK(report_width(true, std::nullopt, 100) == 100);
  CHECK(report_width(true, "90", 100) == 90);
  CHECK(report_width(true, " 96 ", 100) == 96);
  CHECK(report_width(true, "40", 100) == 60);
  CHECK(report_width(true, "500", 100) == 120);
  CHECK(report_width(true, std::nullopt, 30) == 60);
  CHECK(report_width(true, std::nullopt, 250) == 120);
  // A COLUMNS that is no width is ignored.
  CHECK(report_width(true, "wide", 100) == 100);
  CHECK(report_width(true, "-5", 100) == 100);
  CHECK(report_width(true, "0", 0) == 80);
  CHECK(report_width(true, "90x", 0) == 80);
}

TEST_CASE("report width: a descriptor that is no terminal has no width") {
  CHECK(terminal_columns(-1) == 0);
}
