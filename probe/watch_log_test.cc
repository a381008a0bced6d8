#include "probe/watch_log.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace ssmreach {
namespace {

// ssm with two ENIs; `second_up` says whether 10.0.1.13 works.
Verdict run(bool second_up) {
  Verdict v;
  v.status = second_up ? Status::ok : Status::warning;
  TargetVerdict ssm;
  ssm.service = "ssm";
  ssm.status = v.status;
  if (!second_up) {
    ssm.cause = Cause::tcp_timeout;
    ssm.headline = "One of 2 addresses fails.";
  }
  ssm.addresses.push_back({"10.0.1.10", "vpc", true, {}, "", false});
  ssm.addresses.push_back({"10.0.1.13", "vpc", second_up,
                           second_up ? std::nullopt : std::optional<Cause>(Cause::tcp_timeout),
                           second_up ? "" : "TCP 443 timed out after 1.0 s (the ENI's group?)",
                           false});
  v.targets.push_back(ssm);
  return v;
}

TEST_CASE("watch: the first run says where things stand, later runs only what changed") {
  WatchLog log;
  CHECK(log.add(run(true), "10:00:00") == std::vector<std::string>{"10:00:00 run 1: ssm ok"});
  CHECK(log.add(run(true), "10:00:05").empty());
  CHECK(log.add(run(false), "10:00:10") ==
        std::vector<std::string>{
            "10:00:10 run 3: ssm ok -> WARNING tcp.timeout One of 2 addresses fails",
            // 93 columns in full: cut to 80.
            "10:00:10 run 3: ssm 10.0.1.13 went bad: tcp.timeout TCP 443 timed out after 1...",
            "10:00:10 run 3: result OK -> WARNING"});
  CHECK(log.add(run(false), "10:00:15").empty());
  const auto back = log.add(run(true), "10:00:20");
  CHECK(back == std::vector<std::string>{"10:00:20 run 5: ssm WARNING -> ok",
                                         "10:00:20 run 5: ssm 10.0.1.13 recovered",
                                         "10:00:20 run 5: result WARNING -> OK"});
  CHECK(log.worst() == Status::warning);
}

TEST_CASE("watch: failures per address, and an ENI that fails in two spells is flapping") {
  WatchLog log;
  for (bool up : {true, false, true, false, false, true}) log.add(run(up), "10:00:00");
  const std::string summary = log.summary("from 10:00:00 to 10:00:30 UTC");
  CHECK(summary.starts_with(
      "Summary: 6 runs from 10:00:00 to 10:00:30 UTC; worst result WARNING (exit 1)\n"));
  CHECK(summary.find("ssm     10.0.1.10 vpc  0 of 6  0        -") != std::string::npos);
  CHECK(summary.find("ssm     10.0.1.13 vpc  3 of 6  4        tcp.timeout  FLAPPING") !=
        std::string::npos);
  CHECK(summary.find("Flapping: ENI 10.0.1.13 (ssm) failed 3 of 6 runs in 2 separate spells, "
                     "last\n  tcp.timeout.") != std::string::npos);
  CHECK(summary.find("Flapping: ssm failed 3 of 6 runs") != std::string::npos);
}

TEST_CASE("watch: one outage that recovers is not flapping, the first run's failure counts") {
  WatchLog log;
  for (bool up : {false, false, true, true}) log.add(run(up), "10:00:00");
  const std::string summary = log.summary("");
  CHECK(summary.find("10.0.1.13 vpc  2 of 4  1        tcp.timeout\n") != std::string::npos);
  CHECK(summary.find("FLAPPING") == std::string::npos);
  CHECK(summary.find("Flapping:") == std::string::npos);
}

}  // namespace
}  // namespace ssmreach
