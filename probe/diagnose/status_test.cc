#include "probe/diagnose/status.h"

#include <doctest/doctest.h>

#include <string>

using ssmreach::Status;

TEST_CASE("status names and exit codes follow the Nagios convention") {
  struct Row {
    Status status;
    std::string name;
    int exit;
  };
  const Row rows[] = {
      {Status::ok, "ok", 0},           {Status::skipped, "skipped", 0},
      {Status::warning, "warning", 1}, {Status::critical, "critical", 2},
      {Status::unknown, "unknown", 3},
  };
  for (const auto& row : rows) {
    CAPTURE(row.name);
    CHECK(std::string(ssmreach::to_string(row.status)) == row.name);
    CHECK(ssmreach::exit_code(row.status) == row.exit);
  }
}

TEST_CASE("worst orders ok < skipped < warning < critical < unknown") {
  const Status order[] = {Status::ok, Status::skipped, Status::warning, Status::critical,
                          Status::unknown};
  for (std::size_t i = 0; i < std::size(order); ++i) {
    for (std::size_t j = 0; j < std::size(order); ++j) {
      CAPTURE(i);
      CAPTURE(j);
      const Status expected = order[i > j ? i : j];
      CHECK(ssmreach::worst(order[i], order[j]) == expected);
    }
  }
}

TEST_CASE("status words: calm in lower case, problems in capitals") {
  CHECK(std::string(ssmreach::status_word(Status::ok)) == "ok");
  CHECK(std::string(ssmreach::status_word(Status::skipped)) == "skipped");
  CHECK(std::string(ssmreach::status_word(Status::warning)) == "WARNING");
  CHECK(std::string(ssmreach::status_word(Status::critical)) == "CRITICAL");
  CHECK(std::string(ssmreach::status_word(Status::unknown)) == "UNKNOWN");
  CHECK(std::string(ssmreach::upper_word(Status::ok)) == "OK");
  CHECK(std::string(ssmreach::upper_word(Status::critical)) == "CRITICAL");
}
