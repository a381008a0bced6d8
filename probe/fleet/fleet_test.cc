#include "probe/fleet/fleet.h"

#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "probe/fleet/fleet_report.h"

namespace ssmreach {
namespace {

// tests/fleet/: console output shaped like EC2's (kernel and cloud-init
// noise, CR LF, two boots in one output, a buffer that starts inside a
// check, an instance without ssm-reach, one still running).
std::vector<InstanceVerdict> read_fixture(const char* name, std::size_t piece = 4096) {
  std::ifstream in(std::string(SSM_REACH_SOURCE_DIR) + "/tests/fleet/" + name, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  const std::string all = text.str();
  REQUIRE_FALSE(all.empty());
  ConsoleOutputReader reader;
  std::string error;
  for (std::size_t i = 0; i < all.size(); i += piece)
    REQUIRE_MESSAGE(reader.feed(std::string_view(all).substr(i, piece), &error), error);
  REQUIRE_MESSAGE(reader.finish(&error), error);
  return reader.verdicts();
}

const InstanceVerdict& find(const std::vector<InstanceVerdict>& all, const std::string& id) {
  for (const auto& v : all)
    if (v.instance_id == id) return v;
  FAIL("no instance " << id);
  return all.front();
}

TEST_CASE("fleet: the last of several boots counts, a line broken by the kernel is skipped") {
  const auto all = read_fixture("console-one.json", 7);
  REQUIRE(all.size() == 1);
  const auto& v = all[0];
  CHECK(v.boot_checks == 2);
  CHECK(v.kind == FleetKind::checked);
  CHECK(v.status() == Status::critical);
  CHECK(v.last.checked_at == "2026-12-06T10:00:06Z");
  CHECK(v.last.unreadable_lines == 0);  // "ssm ok 10.0[ 9.1] random..." still reads as ok
  REQUIRE(v.failing.size() == 1);
  CHECK(v.failing[0].target == "ssmmessages");
  CHECK(v.failing[0].cause == Cause::tcp_timeout);
}

TEST_CASE("fleet: an array of instances, and documents one after another") {
  auto all = read_fixture("console-array.json");
  for (auto& v : read_fixture("console-concatenated.json")) all.push_back(v);
  REQUIRE(all.size() == 6);
  CHECK(find(all, "i-0a1b2c3d4e5f60002").status() == Status::ok);  // its first line cut off
  CHECK(find(all, "i-0a1b2c3d4e5f60002").last.format == -1);
  CHECK(find(all, "i-0a1b2c3d4e5f60003").kind == FleetKind::no_boot_check);  // no ssm-reach
  CHECK(find(all, "i-0a1b2c3d4e5f60004").kind == FleetKind::incomplete);
  CHECK(find(all, "i-0a1b2c3d4e5f60005").status() == Status::warning);
  CHECK(find(all, "i-0a1b2c3d4e5f60006").kind == FleetKind::no_boot_check);  // no Output
  CHECK(fleet_exit_code(all) == 2);

  const std::string table = render_fleet_text(all);
  std::istringstream lines(table);
  std::string header, first;
  std::getline(lines, header);
  std::getline(lines, first);
  CHECK(header.starts_with("INSTANCE"));
  // What needs attention comes first.
  CHECK(first ==
        "i-0a1b2c3d4e5f60001  2026-12-06 10:00:06  CRITICAL       ssmmessages  tcp    "
        "tcp.timeout");
  CHECK(table.find("i-0a1b2c3d4e5f60003  -                    no boot check") != std::string::npos);
  CHECK(
      table.ends_with("6 instances: 1 CRITICAL, 1 WARNING, 1 incomplete, 2 no boot check, 1 ok\n"));
}

TEST_CASE("fleet: a document without InstanceId or not JSON is an error naming it") {
  ConsoleOutputReader reader;
  std::string error;
  CHECK(reader.feed("{\"InstanceId\": \"i-1\", \"Output\": \"\"}", &error));
  CHECK_FALSE(reader.feed("{\"Output\": \"x\"}", &error));
  CHECK(error.starts_with("document 2: no \"InstanceId\""));
  ConsoleOutputReader broken;
  CHECK_FALSE(broken.feed("{\"InstanceId\": tru}", &error));
  CHECK(error == "document 1: not valid JSON");
}

TEST_CASE("fleet: an instance whose failing lines are unreadable still shows its result") {
  const auto v =
      instance_verdict("i-1", "",
                       "ssm-reach: boot/1 0.1.0 2026-12-06T10:00:00Z: ready\nssm-reach: ssm CRI\n"
                       "ssm-reach: result CRITICAL (exit 2) - details: x\n");
  CHECK(v.status() == Status::critical);
  CHECK(v.failing.empty());
  CHECK(render_fleet_text({v}).find("CRITICAL  ?") != std::string::npos);
}

}  // namespace
}  // namespace ssmreach
