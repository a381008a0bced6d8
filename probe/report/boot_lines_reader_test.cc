#include "probe/report/boot_lines_reader.h"

#include <doctest/doctest.h>

#include <string>

#include "probe/report/report_boot.h"

namespace ssmreach {
namespace {

Verdict critical_verdict() {
  Verdict v;
  v.status = Status::critical;
  TargetVerdict imds;
  imds.service = "imds";
  imds.addresses.push_back({"169.254.169.254", "link-local", true, {}, "", false});
  v.imds = imds;
  TargetVerdict ssm;
  ssm.service = "ssm";
  v.targets.push_back(ssm);
  TargetVerdict broken;
  broken.service = "ssmmessages";
  broken.status = Status::critical;
  broken.cause = Cause::tcp_timeout;
  broken.headline = std::string("TCP 443 to 10.0.1.11 timed out (3.0 s), ") + std::string(80, 'x');
  v.targets.push_back(broken);
  v.notes.push_back("Deadline reached.");
  return v;
}

TEST_CASE("boot lines: what the writer writes, the reader reads back") {
  const std::string console =
      boot_start_line("0.1.0", "2026-12-06T10:00:00Z", "network and IMDS ready after 0.3 s") +
      render_boot_summary(critical_verdict(), "/var/log/ssm-reach/boot.json");
  CHECK(console.starts_with("ssm-reach: boot/1 0.1.0 2026-12-06T10:00:00Z: network"));
  const auto checks = read_boot_checks(console);
  REQUIRE(checks.size() == 1);
  const BootCheck& c = checks[0];
  CHECK(c.format == 1);
  CHECK(c.tool_version == "0.1.0");
  CHECK(c.checked_at == "2026-12-06T10:00:00Z");
  REQUIRE(c.result);
  CHECK(*c.result == Status::critical);
  REQUIRE(c.targets.size() == 3);
  CHECK(c.targets[0].target == "imds");
  CHECK(c.targets[0].status == Status::ok);
  CHECK(c.targets[0].text == "169.254.169.254");
  CHECK(c.targets[2].target == "ssmmessages");
  CHECK(c.targets[2].status == Status::critical);
  REQUIRE(c.targets[2].cause);
  CHECK(*c.targets[2].cause == Cause::tcp_timeout);
  CHECK(c.targets[2].text.starts_with("TCP 443 to 10.0.1.11"));
  CHECK(c.notes == std::vector<std::string>{"Deadline reached."});
  CHECK(c.unreadable_lines == 0);
}

TEST_CASE("boot lines: the start line stays within 80 columns, its fields first") {
  const std::string line = boot_start_line(
      "0.1.0", "2026-12-06T10:00:00Z", "gave up waiting for IMDS after 60.0 s; checking anyway");
  CHECK(line.size() <= 81);
  const auto checks = read_boot_checks(line);
  REQUIRE(checks.size() == 1);
  CHECK(checks[0].checked_at == "2026-12-06T10:00:00Z");
  CHECK_FALSE(checks[0].result);
}

TEST_CASE("boot lines: kernel noise, prefixes, CR LF, several boots, a cut start") {
  const std::string console =
      "eady after 0.3 s\r\n"  // the buffer begins inside an older check
      "ssm-reach: ssm ok 10.0.1.10\r\n"
      "ssm-reach: result OK (exit 0) - details: /var/log/ssm-reach/boot.json\r\n"
      "[    0.000000] Linux version 6.1.0-13-cloud-amd64\r\n"
      "[   12.345678] ssm-reach[612]: ssm-reach: boot/1 0.1.0 2026-12-06T10:00:00Z: network "
      "ready after 0.1 s\r\n"
      "ssm-reach: imds ok 169.254.169.254\r\n"
      "ssm-reach: ec2messages CRITI[   13.1] random: crng init done\r\n"
      "ssm-reach: ssm WARNING tcp.timeout One of 2 addresses...\r\n"
      "ssm-reach: result WARNING (exit 1) - details: /var/log/ssm-reach/boot.json\r\n"
      "ssm-reach: boot/1 0.1.0 2026-12-06T11:00:00Z: network ready after 0.1 s\r\n"
      "ssm-reach: imds ok 169.254.169.254\r\n";
  const auto checks = read_boot_checks(console);
  REQUIRE(checks.size() == 3);
  CHECK(checks[0].format == -1);  // its first line was cut off
  CHECK(checks[0].result == Status::ok);
  CHECK(checks[1].checked_at == "2026-12-06T10:00:00Z");
  CHECK(checks[1].result == Status::warning);
  CHECK(checks[1].unreadable_lines == 1);
  REQUIRE(checks[1].targets.size() == 2);
  CHECK(checks[1].targets[1].cause == Cause::tcp_timeout);
  CHECK(checks[2].checked_at == "2026-12-06T11:00:00Z");
  CHECK_FALSE(checks[2].result);  // still running, or the buffer ends here
}

TEST_CASE("boot lines: the old unnumbered start, and a newer format kept unread") {
  const auto old = read_boot_checks(
      "ssm-reach: boot 0.0.9: network ready after 0.1 s\nssm-reach: ssm ok\n"
      "ssm-reach: result OK (exit 0) - details: x\n");
  REQUIRE(old.size() == 1);
  CHECK(old[0].format == 0);
  CHECK(old[0].tool_version == "0.0.9");
  CHECK(old[0].checked_at.empty());
  CHECK(old[0].result == Status::ok);

  const auto newer =
      read_boot_checks("ssm-reach: boot/2 9.0.0 something else entirely\nssm-reach: ssm ok\n");
  REQUIRE(newer.size() == 1);
  CHECK(newer[0].format == 2);
  CHECK_FALSE(newer[0].format_known());
  CHECK(newer[0].targets.empty());
}

}  // namespace
}  // namespace ssmreach
