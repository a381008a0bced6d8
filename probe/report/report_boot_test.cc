#include "probe/report/report_boot.h"

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

namespace ssmreach {
namespace {

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TargetVerdict target(const std::string& service, Status status) {
  TargetVerdict t;
  t.service = service;
  t.status = status;
  return t;
}

Verdict critical_verdict() {
  Verdict v;
  v.status = Status::critical;
  v.imds = target("imds", Status::ok);
  v.imds->addresses.push_back({"169.254.169.254", "link-local", true, {}, "", false});
  v.targets.push_back(target("ssm", Status::ok));
  auto broken = target("ssmmessages", Status::critical);
  broken.cause = Cause::tcp_timeout;
  broken.headline = "TCP 443 to 10.0.1.11 timed out (3.0 s).";
  v.targets.push_back(broken);
  return v;
}

}  // namespace

TEST_CASE("boot summary: one prefixed line per target, IMDS first, then the result") {
  auto lines = lines_of(render_boot_summary(critical_verdict(), "/var/log/ssm-reach/boot.json"));
  REQUIRE(lines.size() == 4);
  CHECK(lines[0] == "ssm-reach: imds ok 169.254.169.254");
  CHECK(lines[1] == "ssm-reach: ssm ok");
  // 82 columns in full: cut to 80 (the JSON file has it all).
  CHECK(lines[2] ==
        "ssm-reach: ssmmessages CRITICAL tcp.timeout TCP 443 to 10.0.1.11 timed out "
        "(3...");
  CHECK(lines[3] == "ssm-reach: result CRITICAL (exit 2) - details: /var/log/ssm-reach/boot.json");
}

TEST_CASE("boot summary: notes appear, and every line is ASCII within 80 columns") {
  Verdict v = critical_verdict();
  v.targets[1].headline = std::string(200, 'x') + " \xe2\x80\x94 end.";
  v.notes.push_back(
      "No CA bundle on this system: using ssm-reach's embedded Amazon Trust Services roots; a "
      "TLS-inspecting proxy's CA cannot be trusted this way. Install ca-certificates.");
  const std::string text = render_boot_summary(v, "/a/very/long/path/" + std::string(90, 'p'));
  bool note_seen = false;
  for (const auto& line : lines_of(text)) {
    CHECK(line.size() <= 80);
    CHECK(line.starts_with("ssm-reach: "));
    for (unsigned char c : line) CHECK((c >= 0x20 && c < 0x7f));
    note_seen = note_seen || line.starts_with("ssm-reach: note: No CA bundle");
  }
  CHECK(note_seen);
  CHECK(text.find("ssm-reach: ssmmessages CRITICAL tcp.timeout xxx") != std::string::npos);
}

TEST_CASE("boot_line: non-ASCII becomes '?', newlines spaces, long text is cut with ...") {
  CHECK(boot_line("caf\xc3\xa9\nok") == "ssm-reach: caf?? ok\n");
  const std::string cut = boot_line(std::string(100, 'a'));
  CHECK(cut.size() == 81);
  CHECK(cut.ends_with("...\n"));
}

}  // namespace ssmreach
