#include "probe/diagnose/problem_groups.h"

#include <doctest/doctest.h>

#include "probe/diagnose/diagnosis.h"
#include "probe/report/report.h"
#include "tests/unit/test_evidence.h"

using namespace ssmreach;
using namespace ssmreach::test;
using netcheck::DnsOutcome;
using netcheck::TcpOutcome;

namespace {

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

// Each target's name resolves to a public address whose TCP 443 times out:
// no interface endpoints and no NAT, the same root cause for all.
Evidence no_endpoints(const std::vector<std::string>& services) {
  std::vector<TargetEvidence> targets;
  int last = 10;
  for (const auto& s : services)
    targets.push_back(
        resolved(s, {tcp_failed("203.0.113." + std::to_string(last++), TcpOutcome::timeout)}));
  return evidence_with(targets);
}

}  // namespace

TEST_CASE("problem groups: one root cause for three services is one finding") {
  const Verdict v = diagnose(no_endpoints({"ssm", "ssmmessages", "ec2messages"}));
  REQUIRE(v.targets.size() == 3);
  for (const auto& tv : v.targets) CHECK(tv.problem_key == v.targets[0].problem_key);
  REQUIRE(v.problems.size() == 1);
  const Problem& p = v.problems[0];
  CHECK(p.services == std::vector<std::string>{"ssm", "ssmmessages", "ec2messages"});
  CHECK(p.status == Status::critical);
  CHECK(p.cause == v.targets[0].cause);
  // The fix once: the endpoint's name differs by service only, so a loop.
  CHECK(has(p.remedy, "\n$ for s in ssm ssmmessages ec2messages; do aws ec2 create-vpc-endpoint"));
  CHECK(has(p.remedy, "com.amazonaws.eu-west-1.$s "));
  CHECK_FALSE(has(p.remedy, "com.amazonaws.eu-west-1.ssmmessages"));
  // The explanation once, naming every member where they differ.
  CHECK(has(p.explanation, "203.0.113.{10,11,12}"));
  // Without ssm nothing works: its impact speaks for all.
  CHECK(p.impact == v.targets[0].impact);
  CHECK(v.summary == "3 of 3 services blocked: no interface endpoints and no NAT.");
}

TEST_CASE("problem groups: the JSON keeps one finding per target") {
  const Evidence e = no_endpoints({"ssm", "ssmmessages"});
  const Verdict v = diagnose(e);
  REQUIRE(v.problems.size() == 1);
  const std::string json = render_json(e, v);
  CHECK(has(json, "com.amazonaws.eu-west-1.ssm "));
  CHECK(has(json, "com.amazonaws.eu-west-1.ssmmessages "));
  CHECK_FALSE(has(json, "for s in"));
}

TEST_CASE("problem groups: different causes, statuses or remedies stay apart") {
  auto e = evidence_with({dns_failure("ssm", DnsOutcome::timeout),
                          resolved("ssmmessages", {tcp_failed("10.40.1.11", TcpOutcome::timeout)}),
                          dns_failure("ec2messages", DnsOutcome::timeout),
                          resolved("kms", {tcp_failed("10.40.1.14", TcpOutcome::timeout)}, false)});
  const Verdict v = diagnose(e);
  REQUIRE(v.targets.size() == 4);
  CHECK(v.targets[0].problem_key == v.targets[2].problem_key);
  CHECK(v.targets[0].problem_key != v.targets[1].problem_key);
  // Same cause, but kms is optional: a warning, not the same finding.
  CHECK(v.targets[1].problem_key != v.targets[3].problem_key);
  REQUIRE(v.problems.size() == 3);
  // The most severe first; among equals the diagnosis's order.
  CHECK(v.problems[0].services == std::vector<std::string>{"ssm", "ec2messages"});
  CHECK(v.problems[1].services == std::vector<std::string>{"ssmmessages"});
  CHECK(v.problems[2].services == std::vector<std::string>{"kms"});
  CHECK(v.problems[2].status == Status::warning);
  CHECK(v.summary ==
        "2 of 4 services blocked: the DNS server does not answer; 2 more findings below.");
}

TEST_CASE("problem groups: a finding of one target keeps its own texts") {
  auto e =
      evidence_with({healthy("ssm", "10.40.1.10"),
                     resolved("ssmmessages", {tcp_failed("10.40.1.11", TcpOutcome::timeout)})});
  const Verdict v = diagnose(e);
  REQUIRE(v.problems.size() == 1);
  CHECK(v.targets[0].problem_key.empty());
  const Problem& p = v.problems[0];
  const TargetVerdict& tv = v.targets[1];
  CHECK(p.services == std::vector<std::string>{"ssmmessages"});
  CHECK(p.headline == tv.headline);
  CHECK(p.explanation == tv.explanation);
  CHECK(p.impact == tv.impact);
  CHECK(p.remedy == tv.remedy);
  CHECK(v.summary == "ssmmessages blocked: connections time out (dropped on the way).");
}

TEST_CASE("problem groups: IMDS is a finding of its own, and nothing wrong has none") {
  auto e = evidence_with({healthy("ssm", "10.40.1.10")});
  e.context.imds.calls = {
      {"PUT", "/latest/api/token", false, netcheck::HttpOutcome::timeout, 0, "timeout", 1000}};
  e.context.imds.token_ok = false;
  const Verdict v = diagnose(e);
  REQUIRE(v.problems.size() == 1);
  CHECK(v.problems[0].services == std::vector<std::string>{"imds"});
  CHECK(v.summary == "imds blocked: IMDS does not answer.");

  const Verdict ok = diagnose(evidence_with({healthy("ssm", "10.40.1.10")}));
  CHECK(ok.problems.empty());
  CHECK(ok.summary.empty());
}

TEST_CASE("problem groups: the key ignores service names and addresses only") {
  TargetVerdict a;
  a.service = "ssm";
  a.status = Status::critical;
  a.cause = Cause::tls_untrusted;
  a.remedy = "Look:\n$ openssl s_client -connect 10.0.1.10:443 -servername ssm.r.amazonaws.com";
  TargetVerdict b = a;
  b.service = "ssmmessages";
  b.remedy =
      "Look:\n$ openssl s_client -connect 10.0.1.11:443 -servername ssmmessages.r.amazonaws.com";
  TargetVerdict c = b;
  c.service = "ec2messages";
  c.remedy += " -showcerts";
  TargetVerdict d = b;
  d.service = "kms";
  d.status = Status::warning;
  TargetVerdict ok = a;
  ok.service = "s3";
  ok.status = Status::ok;
  std::vector<TargetVerdict> targets = {a, b, c, d, ok};
  assign_problem_keys(targets);
  CHECK_FALSE(targets[0].problem_key.empty());
  CHECK(targets[0].problem_key == targets[1].problem_key);
  CHECK(targets[0].problem_key != targets[2].problem_key);
  CHECK(targets[0].problem_key != targets[3].problem_key);
  CHECK(targets[2].problem_key != targets[3].problem_key);
  CHECK(targets[4].problem_key.empty());
}

TEST_CASE("problem groups: words every target says alike never split them") {
  // "ssm" in the agent's config path is no service name: ssm's text says it
  // exactly as the others do.
  std::vector<TargetVerdict> targets;
  for (const std::string s : {"ssm", "ssmmessages", "ec2messages"}) {
    TargetVerdict tv;
    tv.service = s;
    tv.status = Status::critical;
    tv.cause = Cause::dns_nxdomain;
    tv.remedy = "Check /etc/amazon/ssm/amazon-ssm-agent.json:\n$ nslookup " + s +
                ".eu-west-1.amazonaws.com 10.40.0.2";
    targets.push_back(tv);
  }
  assign_problem_keys(targets);
  CHECK(targets[0].problem_key == targets[1].problem_key);
  CHECK(targets[0].problem_key == targets[2].problem_key);
}
