// IPv6-only instances, DNS64/NAT64 and the endpoint names, through diagnose().
#include "probe/diagnose/ip_family.h"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "probe/diagnose/diagnosis.h"
#include "tests/unit/test_evidence.h"

using namespace ssmreach;
using namespace ssmreach::test;
using netcheck::HttpOutcome;
using netcheck::TcpOutcome;

namespace {

bool has(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

bool any_note_has(const Verdict& v, const std::string& needle) {
  for (const auto& n : v.notes)
    if (has(n, needle)) return true;
  return false;
}

AddressEvidence no_route(const std::string& address) {
  return tcp_failed(address, TcpOutcome::unreachable, "ENETUNREACH", 0.1);
}

// A target whose name the Amazon resolver's IPv6 address answered.
TargetEvidence via_v6_resolver(const std::string& service, std::vector<AddressEvidence> addresses) {
  TargetEvidence t = resolved(service, std::move(addresses));
  std::vector<std::string> ips;
  for (const auto& a : t.addresses) ips.push_back(a.ip.text);
  t.dns = dns_ok(t.target.host, ips, "fd00:ec2::253");
  return t;
}

// An IPv6-only instance: the resolver is fd00:ec2::253, IMDS [fd00:ec2::254].
Evidence ipv6_only(std::vector<TargetEvidence> targets) {
  Evidence e = evidence_with(std::move(targets));
  e.context.resolvers = {server("fd00:ec2::253")};
  e.context.imds.endpoint = "http://[fd00:ec2::254]";
  e.context.imds.endpoint_source = "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE";
  return e;
}

const TargetVerdict& first(const Verdict& v) { return v.targets.front(); }

}  // namespace

TEST_CASE("IPv6-only: IPv4-only default names are dns.ipv4-only-answer with the agent's key") {
  const auto v = diagnose(ipv6_only({via_v6_resolver("ssm", {no_route("52.94.1.1")})}));
  const auto& t = first(v);
  CHECK(v.status == Status::critical);
  CHECK(t.cause == Cause::dns_ipv4_only_answer);
  CHECK(t.failed_layer() == Layer::dns);
  CHECK(has(t.explanation, "resolves only to IPv4 (52.94.1.1, no AAAA record)"));
  CHECK(has(t.explanation, "ssm.eu-west-1.api.aws"));
  CHECK(has(t.remedy, "\"UseDualStackEndpoint\": true"));
  CHECK(has(t.remedy, "$ ssm-reach --dualstack"));
  CHECK(std::string(to_string(*t.cause)) == "dns.ipv4-only-answer");
}

TEST_CASE("IPv6-only: an interface endpoint without IPv6 gets the endpoint's IP address type") {
  const auto v = diagnose(ipv6_only({via_v6_resolver("ssm", {no_route("10.40.1.11")})}));
  CHECK(first(v).cause == Cause::dns_ipv4_only_answer);
  CHECK(has(first(v).explanation, "IP address type is IPv4"));
  CHECK(
      has(first(v).remedy, "--ip-address-type dualstack --dns-options DnsRecordIpType=dualstack"));
}

TEST_CASE("IPv6-only: an override that is IPv4-only is named as such") {
  auto target = via_v6_resolver("ssm", {no_route("52.94.1.1")});
  target.target.host_source = "agent-config";
  const auto v = diagnose(ipv6_only({target}));
  CHECK(first(v).cause == Cause::dns_ipv4_only_answer);
  CHECK(has(first(v).explanation, "endpoint override"));
  CHECK(has(first(v).remedy, "ssm.eu-west-1.api.aws"));
}

TEST_CASE("no route over IPv4 without any sign of IPv6 stays tcp.unreachable") {
  auto v = diagnose(evidence_with({resolved("ssm", {no_route("10.40.1.11")})}));
  CHECK(first(v).cause == Cause::tcp_unreachable);
  // A public one is what it always was: no path to the public endpoint.
  v = diagnose(evidence_with({resolved("ssm", {no_route("52.94.1.1")})}));
  CHECK(first(v).cause == Cause::dns_public_answer);
}

TEST_CASE("IPv6-only with dual-stack names: the unrouted IPv4 address is a note, not a warning") {
  auto e = ipv6_only({via_v6_resolver(
      "ssm", {no_route("52.94.1.1"), usable("2600:1f18:4:1::10", host_of("ssm"))})});
  e.context.naming.dualstack = {true,
                                "/etc/amazon/ssm/amazon-ssm-agent.json "
                                "(Agent.UseDualStackEndpoint)"};
  e.context.agent.config.use_dualstack =
      AgentSetting{"true", "Agent.UseDualStackEndpoint", "/etc/amazon/ssm/amazon-ssm-agent.json"};
  e.context.agent.config.file = "/etc/amazon/ssm/amazon-ssm-agent.json";
  const auto v = diagnose(e);
  CHECK(v.status == Status::ok);
  CHECK(first(v).status == Status::ok);
  REQUIRE(first(v).addresses.size() == 2);
  CHECK(first(v).addresses[0].ignored);
  CHECK(any_note_has(v,
                     "IPv4 address 52.94.1.1 not reachable: no IPv4 route on this instance "
                     "(an IPv6-only subnet); IPv6 works"));
}

TEST_CASE("DNS64: NAT64 addresses are class nat64, and work through NAT64") {
  const auto v = diagnose(ipv6_only({via_v6_resolver(
      "ssm", {no_route("52.94.1.1"), usable("64:ff9b::345e:101", host_of("ssm"))})}));
  CHECK(v.status == Status::ok);
  CHECK(first(v).addresses[1].address_class == "nat64");
}

TEST_CASE("DNS64 without NAT64: dns.public-answer that names the 64:ff9b::/96 route") {
  const auto v = diagnose(ipv6_only({via_v6_resolver(
      "ssm", {no_route("52.94.1.1"), tcp_failed("64:ff9b::345e:101", TcpOutcome::timeout)})}));
  const auto& t = first(v);
  CHECK(t.cause == Cause::dns_public_answer);
  CHECK(has(t.headline, "DNS64"));
  CHECK(has(t.explanation, "64:ff9b::345e:101"));
  CHECK(has(t.explanation, "NAT gateway"));
  CHECK(has(t.remedy, "--destination-ipv6-cidr-block 64:ff9b::/96 --nat-gateway-id"));
  CHECK(has(t.remedy, "create-vpc-endpoint"));
}

TEST_CASE("DNS64: one NAT64 address failing of two says NAT64 in its texts") {
  const auto v = diagnose(
      ipv6_only({via_v6_resolver("ssm", {usable("64:ff9b::345e:101", host_of("ssm")),
                                         tcp_failed("64:ff9b::345e:102", TcpOutcome::timeout)})}));
  CHECK(first(v).status == Status::warning);
  CHECK(has(first(v).headline, "NAT64 address 64:ff9b::345e:102"));
  CHECK(has(first(v).explanation, "DNS64 answer"));
}

TEST_CASE("IMDS: silence at [fd00:ec2::254] is imds.ipv6-disabled") {
  auto e = ipv6_only({via_v6_resolver("ssm", {usable("2600:1f18:4:1::10", host_of("ssm"))})});
  e.context.imds.token_ok = false;
  e.context.imds.calls = {
      {"PUT", "/latest/api/token", false, HttpOutcome::timeout, 0, "timed out", 1000}};
  const auto v = diagnose(e);
  REQUIRE(v.imds);
  CHECK(v.imds->cause == Cause::imds_ipv6_disabled);
  CHECK(v.imds->status == Status::critical);
  CHECK(has(v.imds->explanation, "chosen by AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE"));
  CHECK(has(v.imds->remedy, "--http-protocol-ipv6 enabled"));
  CHECK(v.status == Status::critical);
}

TEST_CASE("IMDS: 169.254.169.254 out of reach while only IPv6 works is imds.no-ipv4-route") {
  auto e = ipv6_only({via_v6_resolver("ssm", {usable("2600:1f18:4:1::10", host_of("ssm"))})});
  e.context.imds.endpoint = "http://169.254.169.254";
  e.context.imds.endpoint_source = "";
  e.context.imds.token_ok = false;
  e.context.imds.calls = {
      {"PUT", "/latest/api/token", false, HttpOutcome::unreachable, 0, "Failed to connect", 0.1}};
  auto v = diagnose(e);
  REQUIRE(v.imds);
  CHECK(v.imds->cause == Cause::imds_no_ipv4_route);
  CHECK(has(v.imds->remedy, "Environment=AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6"));
  CHECK(has(v.imds->remedy, "--http-protocol-ipv6 enabled"));
  // With IPv4 answering somewhere, it is the plain imds.unreachable.
  e.targets.push_back(healthy("ssmmessages", "10.40.1.12"));
  v = diagnose(e);
  CHECK(v.imds->cause == Cause::imds_unreachable);
}

TEST_CASE("naming: FIPS where there is none is a note and a warning") {
  auto e = evidence_with({healthy("ssm", "10.40.1.10")});
  e.context.naming.fips = {true, "AWS_USE_FIPS_ENDPOINT"};
  const auto v = diagnose(e);
  CHECK(v.status == Status::warning);
  CHECK(any_note_has(v, "Systems Manager has none in eu-west-1"));
  CHECK(any_note_has(v, "unset AWS_USE_FIPS_ENDPOINT"));
}

TEST_CASE("naming: FIPS in GovCloud and in us-east-1 are notes only") {
  auto e = evidence_with({healthy("ssm", "10.40.1.10")});
  e.context.region = {"us-gov-west-1", "--region"};
  e.context.naming.fips = {true, "--fips"};
  auto v = diagnose(e);
  CHECK(v.status == Status::ok);
  CHECK(any_note_has(v, "AWS GovCloud (US) the standard endpoints are the FIPS endpoints"));
  e.context.region = {"us-east-1", "--region"};
  v = diagnose(e);
  CHECK(v.status == Status::ok);
  CHECK(any_note_has(v, "uses FIPS endpoints only when its config names them"));
}

TEST_CASE("naming: Agent.UseDualStackEndpoint on an agent older than 3.3.3270.0 warns") {
  auto e = evidence_with({healthy("ssm", "10.40.1.10")});
  auto& config = e.context.agent.config;
  config.file = "/etc/amazon/ssm/amazon-ssm-agent.json";
  config.use_dualstack = AgentSetting{"true", "Agent.UseDualStackEndpoint", config.file};
  e.context.naming.dualstack = {true, config.use_dualstack->source()};
  e.context.agent.version = {"3.3.40.0", "dpkg", "/var/lib/dpkg/status", {3, 3, 40, 0}, {}};
  auto v = diagnose(e);
  CHECK(v.status == Status::warning);
  CHECK(any_note_has(v, "older than 3.3.3270.0"));
  e.context.agent.version = {"3.3.3270.0", "dpkg", "/var/lib/dpkg/status", {3, 3, 3270, 0}, {}};
  v = diagnose(e);
  CHECK(v.status == Status::ok);
  // Asked for by this shell only: a note that the agent needs its key.
  e.context.naming.dualstack = {true, "AWS_USE_DUALSTACK_ENDPOINT"};
  config.use_dualstack.reset();
  v = diagnose(e);
  CHECK(v.status == Status::ok);
  CHECK(any_note_has(v, "The agent uses them only with"));
}

TEST_CASE("naming: settings that could not be used are notes, a bad IMDS mode warns") {
  auto e = evidence_with({healthy("ssm", "10.40.1.10")});
  e.context.naming.notes = {"AWS_USE_FIPS_ENDPOINT='yes' (this shell) is not true or false"};
  auto v = diagnose(e);
  CHECK(v.status == Status::ok);
  CHECK(any_note_has(v, "Endpoint names: AWS_USE_FIPS_ENDPOINT='yes'"));
  e.context.imds.endpoint_note = "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE='IPv7' is neither";
  v = diagnose(e);
  CHECK(v.status == Status::warning);
  CHECK(any_note_has(v, "IMDS: AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE='IPv7'"));
}

TEST_CASE("ipv6_answered and ipv4_answered read the run's own evidence") {
  using diagnosis_detail::ipv4_answered;
  using diagnosis_detail::ipv6_answered;
  auto e = evidence_with({healthy("ssm", "10.40.1.10")});
  CHECK(ipv4_answered(e));
  CHECK_FALSE(ipv6_answered(e));
  e = ipv6_only({via_v6_resolver("ssm", {no_route("52.94.1.1")})});
  CHECK(ipv6_answered(e));  // the resolver, and IMDS at [fd00:ec2::254]
  CHECK_FALSE(ipv4_answered(e));
}

TEST_CASE("NXDOMAIN for a FIPS name where there is none says so, and names the override") {
  auto target = dns_failure("ssm", netcheck::DnsOutcome::nxdomain);
  target.target.host = "ssm-fips.eu-west-1.amazonaws.com";
  target.target.host_source = "agent-config";
  auto e = evidence_with({target});
  auto& config = e.context.agent.config;
  config.file = "/etc/amazon/ssm/amazon-ssm-agent.json";
  config.endpoints["ssm"] = {"ssm",
                             {"ssm-fips.eu-west-1.amazonaws.com", "Ssm.Endpoint", config.file},
                             {"ssm-fips.eu-west-1.amazonaws.com", 443}};
  const auto v = diagnose(e);
  const auto& t = first(v);
  CHECK(t.cause == Cause::dns_nxdomain);
  CHECK(has(t.explanation, "FIPS endpoints only in us-east-1"));
  CHECK(has(t.remedy, "ssm.eu-west-1.amazonaws.com"));
  CHECK(has(t.remedy, "/etc/amazon/ssm/amazon-ssm-agent.json (Ssm.Endpoint)"));
}

TEST_CASE("IPv6-only with an IPv4 resolver: the DNS failure names fd00:ec2::253") {
  auto e = ipv6_only({dns_failure("ssm", netcheck::DnsOutcome::timeout)});
  e.context.resolvers = {server("10.40.0.2")};
  e.targets[0].dns =
      dns_failed(e.targets[0].target.host, netcheck::DnsOutcome::timeout, "10.40.0.2");
  auto v = diagnose(e);
  CHECK(first(v).cause == Cause::dns_timeout);
  CHECK(has(first(v).explanation, "reaches only IPv6"));
  CHECK(has(first(v).remedy, "nameserver fd00:ec2::253"));
  // An instance with IPv4 gets the usual words.
  e.context.imds.endpoint = "http://169.254.169.254";
  v = diagnose(e);
  CHECK_FALSE(has(first(v).explanation, "reaches only IPv6"));
}
