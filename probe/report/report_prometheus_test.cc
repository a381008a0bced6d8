#include "probe/report/report_prometheus.h"

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <vector>

#include "probe/util/text_util.h"
#include "tests/unit/test_evidence.h"

namespace ssmreach {
namespace {

using test::ip;

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

// ssm with two ENIs, one dropping 443; ssmmessages failing at TCP outright;
// ec2messages skipped.
struct Run {
  Evidence evidence;
  Verdict verdict;
};

Run critical_run() {
  Run r;
  r.evidence.context.tool_version = "0.1.0";
  r.evidence.context.started_at = "2026-12-06T10:00:00Z";
  r.evidence.context.region = {"eu-central-1", "imds"};
  r.evidence.context.imds.facts["meta-data/instance-id"] = "i-0123456789abcdef0";
  r.evidence.elapsed_ms = 1234.5;
  for (const char* service : {"ssm", "ssmmessages", "ec2messages"}) {
    TargetEvidence te;
    te.target.service = service;
    r.evidence.targets.push_back(te);
  }
  AddressEvidence good;
  good.ip = ip("10.0.1.10");
  good.tcp = test::tcp(netcheck::TcpOutcome::ok, "", 0.8);
  good.tls = test::tls_ok("ssm.eu-central-1.amazonaws.com");
  AddressEvidence dropped;
  dropped.ip = ip("10.0.1.13");
  dropped.tcp = test::tcp(netcheck::TcpOutcome::timeout, "", 3000);
  r.evidence.targets[0].addresses = {good, dropped};
  r.evidence.signed_call = SignedCallEvidence{};

  r.verdict.status = Status::critical;
  TargetVerdict imds;
  imds.service = "imds";
  imds.addresses.push_back({"169.254.169.254", "link-local", true, {}, "", false});
  r.verdict.imds = imds;
  TargetVerdict ssm;
  ssm.service = "ssm";
  ssm.status = Status::warning;
  ssm.cause = Cause::tcp_timeout;
  ssm.addresses.push_back({"10.0.1.10", "vpc", true, {}, "", false});
  ssm.addresses.push_back({"10.0.1.13", "vpc", false, Cause::tcp_timeout, "timed out", false});
  TargetVerdict messages;
  messages.service = "ssmmessages";
  messages.status = Status::critical;
  messages.cause = Cause::dns_custom_resolver_bypass;
  TargetVerdict ec2;
  ec2.service = "ec2messages";
  ec2.required = false;
  ec2.status = Status::skipped;
  r.verdict.targets = {ssm, messages, ec2};
  return r;
}

TEST_CASE("prometheus: every family has HELP and TYPE, every name the ssm_reach_ prefix") {
  const Run r = critical_run();
  const std::string text = render_prometheus(r.evidence, r.verdict);
  std::istringstream in(text);
  std::string last_help, last_type;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("# HELP ")) {
      last_help = line.substr(7, line.find(' ', 7) - 7);
      continue;
    }
    if (line.starts_with("# TYPE ")) {
      last_type = line.substr(7, line.find(' ', 7) - 7);
      CHECK(line.ends_with(" gauge"));
      CHECK(last_type == last_help);
      continue;
    }
    CHECK(line.starts_with("ssm_reach_"));
    const std::string name = line.substr(0, line.find_first_of("{ "));
    CHECK(name == last_type);  // samples follow their own family's header
  }
  CHECK(text.ends_with("\n"));
}

TEST_CASE("prometheus: status numbers, cause labels and the layers of each target") {
  const Run r = critical_run();
  const std::string text = render_prometheus(r.evidence, r.verdict);
  CHECK(has_line(text, "ssm_reach_status 2"));
  CHECK(has_line(text,
                 "ssm_reach_info{version=\"0.1.0\",region=\"eu-central-1\",instance_id=\"i-"
                 "0123456789abcdef0\"} 1"));
  CHECK(has_line(text, "ssm_reach_last_run_timestamp_seconds 1796551200"));
  CHECK(has_line(text, "ssm_reach_last_run_duration_seconds 1.2345"));
  CHECK(has_line(text,
                 "ssm_reach_target_status{target=\"ssm\",required=\"true\",failed_layer=\"tcp\","
                 "cause=\"tcp.timeout\"} 1"));
  CHECK(has_line(text,
                 "ssm_reach_target_status{target=\"ec2messages\",required=\"false\","
                 "failed_layer=\"\",cause=\"\"} -1"));
  // ssm still works (a warning): the layers after TCP passed on the other ENI;
  // the signed call was made, so auth is one of its layers.
  CHECK(has_line(text, "ssm_reach_layer_status{target=\"ssm\",layer=\"dns\",cause=\"\"} 0"));
  CHECK(has_line(text,
                 "ssm_reach_layer_status{target=\"ssm\",layer=\"tcp\",cause=\"tcp.timeout\"} 1"));
  CHECK(has_line(text, "ssm_reach_layer_status{target=\"ssm\",layer=\"tls\",cause=\"\"} 0"));
  CHECK(has_line(text, "ssm_reach_layer_status{target=\"ssm\",layer=\"auth\",cause=\"\"} 0"));
  // ssmmessages is critical at DNS: the layers after it were not judged.
  CHECK(has_line(text,
                 "ssm_reach_layer_status{target=\"ssmmessages\",layer=\"dns\",cause=\"dns.custom-"
                 "resolver-bypass\"} 2"));
  CHECK(
      has_line(text, "ssm_reach_layer_status{target=\"ssmmessages\",layer=\"tcp\",cause=\"\"} -1"));
  CHECK_FALSE(contains(text, "target=\"ssmmessages\",layer=\"auth\""));
  CHECK(
      has_line(text, "ssm_reach_layer_status{target=\"ec2messages\",layer=\"tcp\",cause=\"\"} -1"));
  CHECK(has_line(text, "ssm_reach_layer_status{target=\"imds\",layer=\"imds\",cause=\"\"} 0"));
}

TEST_CASE("prometheus: per-address up and latency gauges, only for what completed") {
  const Run r = critical_run();
  const std::string text = render_prometheus(r.evidence, r.verdict);
  CHECK(
      has_line(text, "ssm_reach_address_up{target=\"ssm\",address=\"10.0.1.10\",class=\"vpc\"} 1"));
  CHECK(
      has_line(text, "ssm_reach_address_up{target=\"ssm\",address=\"10.0.1.13\",class=\"vpc\"} 0"));
  CHECK(has_line(text,
                 "ssm_reach_address_up{target=\"imds\",address=\"169.254.169.254\",class=\"link-"
                 "local\"} 1"));
  CHECK(
      has_line(text, "ssm_reach_tcp_connect_seconds{target=\"ssm\",address=\"10.0.1.10\"} 0.0008"));
  CHECK(has_line(text,
                 "ssm_reach_tls_handshake_seconds{target=\"ssm\",address=\"10.0.1.10\"} 0.0025"));
  CHECK_FALSE(
      contains(text, "ssm_reach_tcp_connect_seconds{target=\"ssm\",address=\"10.0.1.13\"}"));
  // No HTTP answer anywhere: the family is left out, not written empty.
  CHECK_FALSE(contains(text, "ssm_reach_http_response_seconds"));
}

TEST_CASE("prometheus: label values are escaped") {
  Run r = critical_run();
  r.evidence.context.tool_version = "0.1.0 \"x\"\\\nnext";
  const std::string text = render_prometheus(r.evidence, r.verdict);
  CHECK(contains(text, "version=\"0.1.0 \\\"x\\\"\\\\\\nnext\""));
}

}  // namespace
}  // namespace ssmreach
