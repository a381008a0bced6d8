#include "probe/evidence/evidence_file.h"

#include <doctest/doctest.h>
#include <openssl/x509_vfy.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "probe/diagnose/diagnosis.h"
#include "probe/report/report.h"
#include "tests/unit/test_evidence.h"

using namespace ssmreach;
using namespace ssmreach::test;
using netcheck::DnsOutcome;
using netcheck::HttpOutcome;
using netcheck::TcpOutcome;
using netcheck::TlsOutcome;
using Json = nlohmann::json;

namespace {

// Every kind of evidence at once: every enum value, optionals present and
// absent, IPv6, odd doubles, non-ASCII text, secret-looking IMDS facts.
Evidence rich_evidence() {
  Evidence e = base_evidence();
  auto& c = e.context;
  c.started_at = "2024-06-01T12:00:00Z";
  c.timeout_s = 0.1 + 0.2;  // not exactly representable: must round-trip bit for bit
  c.resolvers = {server("10.40.5.53"), server("fd00::53", 5353)};
  c.resolvers_error = "";
  c.vpc_resolvers = {server("10.40.0.2"), server("169.254.169.253")};
  const std::string config = "/etc/amazon/ssm/amazon-ssm-agent.json";
  c.agent.config.file = config;
  c.agent.config.region = AgentSetting{"eu-west-1", "Agent.Region", config};
  c.agent.config.endpoints["ssmmessages"] = {
      "ssmmessages",
      {"https://vpce-1.example:8443", "Mgs.Endpoint", config},
      {"vpce-1.example", 8443}};
  c.agent.config.warnings = {config + ": Ssm.Endpoint: 'http://' is not a host"};
  c.agent.config.use_dualstack = AgentSetting{"true", "Agent.UseDualStackEndpoint", config};
  c.naming.dualstack = {true, config + " (Agent.UseDualStackEndpoint)"};
  c.naming.fips = {true, "AWS_USE_FIPS_ENDPOINT"};
  c.naming.notes = {"AWS_USE_DUALSTACK_ENDPOINT='yes' (this shell) is not true or false; ignored"};
  c.imds.endpoint = "http://[fd00:ec2::254]";
  c.imds.endpoint_source = "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE";
  c.imds.endpoint_note = "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE='IPv7' (this shell) is neither";
  c.agent.registration.file = "/var/lib/amazon/ssm/registration";
  c.agent.registration.present = true;
  c.agent.registration.managed_instance_id =
      AgentSetting{"mi-0123456789abcdef0", "ManagedInstanceID", "/var/lib/amazon/ssm/registration"};
  c.agent.version = {"3.3.40.0", "dpkg", "/var/lib/dpkg/status", {3, 3, 40, 0}, {"snap: none"}};
  c.imds.v1_used = true;
  c.imds.calls.push_back({"GET", "/latest/meta-data/mac", false, HttpOutcome::timeout, 0,
                          "Operation timed out after 1000 milliseconds", 1000.25});
  c.imds.calls.push_back(
      {"GET", "/latest/meta-data/x", false, HttpOutcome::refused, 0, "refused", 0});
  c.imds.calls.push_back({"GET", "/latest/meta-data/y", true, HttpOutcome::unreachable, 0, "", 0});
  c.imds.calls.push_back({"GET", "/latest/meta-data/z", true, HttpOutcome::error, -1, "", 1e-300});
  c.imds.facts["meta-data/instance-id"] = "i-0abc1234";
  c.imds.facts["meta-data/iam/security-credentials/my-role"] =
      R"({"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"s3cr3t","Token":"tok3n"})";
  c.imds.credentials = CredentialEvidence{"instance-profile",
                                          "my-role",
                                          "arn:aws:iam::123456789012:instance-profile/my-profile",
                                          "Success",
                                          "2024-06-01T11:50:00Z",
                                          "2024-06-01T18:00:00Z",
                                          "M\xc3\xbcnchen note"};

  // One server answer per DNS outcome; no effective answer.
  auto dns_everything = dns_failure("logs", DnsOutcome::servfail);
  dns_everything.dns->servers.clear();
  for (auto outcome : {DnsOutcome::ok, DnsOutcome::nxdomain, DnsOutcome::no_address,
                       DnsOutcome::servfail, DnsOutcome::refused, DnsOutcome::timeout,
                       DnsOutcome::unreachable, DnsOutcome::skipped, DnsOutcome::error}) {
    netcheck::ServerAnswer answer;
    answer.server = server("10.40.5.53");
    answer.outcome = answer.outcome_a = outcome;
    answer.outcome_aaaa = DnsOutcome::skipped;
    answer.error = std::string("said ") + netcheck::to_string(outcome);
    dns_everything.dns->servers.push_back(answer);
  }
  dns_everything.dns->answered_by.reset();

  auto pinned =
      resolved("ec2messages", {tcp_failed("10.1.2.3", TcpOutcome::timeout, "", 3000.04, "hosts")});
  pinned.hosts = {ip("10.1.2.3"), ip("fd00::1:2:3")};

  auto untrusted = tls_verify_errors(
      host_of("kms"), {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY, X509_V_ERR_HOSTNAME_MISMATCH});
  untrusted.verify_errors[1].depth = 2;
  untrusted.issuer = "CN=Z\xc3\xbcrich Inspection CA,O=Corp";  // UTF-8, kept as is
  untrusted.issuer_cn = "Z\xc3\xbcrich Inspection CA";

  AddressEvidence not_probed;  // no TCP result at all
  not_probed.ip = ip("2600:1f14:abc::11");
  not_probed.source = "dns";

  TargetEvidence literal;
  literal.target = {"sts", "10.40.1.30", 8443, false, "--endpoint"};
  literal.host_is_literal = true;
  literal.addresses = {usable("10.40.1.30", "10.40.1.30", "literal")};

  e.targets = {
      healthy("ssm", "10.40.1.10"),
      resolved("ssmmessages",
               {usable("10.40.1.11", host_of("ssmmessages")),
                tcp_failed("10.40.2.11", TcpOutcome::timeout, "", 3000.000001),
                tcp_failed("10.40.3.11", TcpOutcome::refused, "ECONNREFUSED", 0.2),
                tcp_failed("10.40.4.11", TcpOutcome::unreachable, "EHOSTUNREACH", 0.1),
                tcp_failed("10.40.5.11", TcpOutcome::error, "errno 123", 0.1), not_probed}),
      pinned,
      dns_failure("s3", DnsOutcome::nxdomain),
      dns_everything,
      resolved("kms", {with_tls("10.40.1.20", untrusted)}, false),
      resolved("monitoring",
               {with_tls("10.40.1.21", tls_failed(host_of("monitoring"), TlsOutcome::timeout)),
                with_tls("10.40.1.22", tls_failed(host_of("monitoring"), TlsOutcome::protocol,
                                                  "wrong version number", 1.5)),
                with_tls("10.40.1.23", tls_failed(host_of("monitoring"), TlsOutcome::closed,
                                                  "unexpected eof", 0.75)),
                with_tls("10.40.1.24", tls_failed(host_of("monitoring"), TlsOutcome::error))},
               false),
      literal,
  };
  e.targets[1].addresses[1].tcp->address = ip("10.40.2.11");
  e.targets[2].vpc_dns = dns_ok(host_of("ec2messages"), {"10.40.1.12"}, "10.40.0.2");

  HttpEvidence answered;
  answered.outcome = HttpOutcome::ok;
  answered.status = 404;
  answered.request_id = "0f6a1b4e-1111-2222-3333-444455556666";
  answered.date = "Thu, 26 Nov 2026 17:00:00 GMT";
  answered.clock_offset_s = -421.0;
  answered.ms = 2.5;
  e.targets[0].addresses[0].http = answered;
  ProxyPathEvidence denied;
  denied.proxy = "http://proxy.corp:3128";
  denied.failed_stage = "connect";
  denied.connect_status = 403;
  denied.http.outcome = HttpOutcome::error;
  denied.http.error = "CONNECT tunnel failed, response 403";
  e.targets[1].proxy_path = denied;
  e.targets[2].no_proxy_match = ".amazonaws.com";
  c.proxy.https_proxy = "http://proxy.corp:3128";
  c.proxy.https_proxy_has_credentials = true;
  c.proxy.no_proxy = "169.254.169.254,.amazonaws.com";
  c.proxy.source = "/etc/systemd/system/amazon-ssm-agent.service.d/override.conf";
  c.proxy.notes = {"this shell's https_proxy differs"};
  SignedCallEvidence call;
  call.via = "10.40.1.10";
  call.credentials_source = "instance-profile";
  call.http = answered;
  call.http.status = 400;
  call.error_type = "AccessDeniedException";
  call.error_message = "User: arn:aws:sts::123456789012:assumed-role/R/i-0abc is not authorized";
  e.signed_call = call;
  e.elapsed_ms = 3012.345678901234;
  return e;
}

Evidence round_trip(const Evidence& evidence) {
  std::string error;
  auto back = evidence_from_json(evidence_to_json(evidence), &error);
  INFO("error: ", error);
  REQUIRE(back);
  CHECK(error.empty());
  return *back;
}

// Counts the members of an aggregate: the most initialisers T{...} takes.
struct AnyValue {
  template <class T>
  operator T() const;  // never defined: used only in unevaluated requires
};
template <class T, class... Values>
concept BraceInitializable = requires {
  T{std::declval<Values>()...};
};
template <class T, class... Values>
constexpr std::size_t member_count() {
  if constexpr (BraceInitializable<T, Values..., AnyValue>) {
    return member_count<T, Values..., AnyValue>();
  } else {
    return sizeof...(Values);
  }
}

}  // namespace

TEST_CASE("evidence file: every member of Evidence is mapped") {
  // A failure here means a member was added to (or removed from) one of
  // these structs. Map it in evidence_file.cc's fields() (read it as
  // optional if it is new, so older files still load), cover it in
  // rich_evidence() above, then update the count. Never a secret field.
  CHECK(member_count<Evidence>() == 4);
  CHECK(member_count<SignedCallEvidence>() == 6);
  CHECK(member_count<HttpEvidence>() == 7);
  CHECK(member_count<ProxyPathEvidence>() == 5);
  CHECK(member_count<ProxyEvidence>() == 7);
  CHECK(member_count<RunContext>() == 16);
  CHECK(member_count<EndpointNaming>() == 3);
  CHECK(member_count<NamingChoice>() == 2);
  CHECK(member_count<AgentEvidence>() == 3);
  CHECK(member_count<AgentConfig>() == 7);
  CHECK(member_count<AgentSetting>() == 3);
  CHECK(member_count<AgentEndpoint>() == 3);
  CHECK(member_count<netcheck::HostPort>() == 2);
  CHECK(member_count<AgentRegistration>() == 5);
  CHECK(member_count<AgentVersion>() == 5);
  CHECK(member_count<Sourced>() == 2);
  CHECK(member_count<ImdsEvidence>() == 10);
  CHECK(member_count<CredentialEvidence>() == 7);
  CHECK(member_count<ImdsCall>() == 10);
  CHECK(member_count<netcheck::TrustStore>() == 4);
  CHECK(member_count<netcheck::DnsServer>() == 2);
  CHECK(member_count<TargetEvidence>() == 8);
  CHECK(member_count<Target>() == 5);
  CHECK(member_count<netcheck::DnsResult>() == 6);
  CHECK(member_count<netcheck::ServerAnswer>() == 7);
  CHECK(member_count<AddressEvidence>() == 5);
  CHECK(member_count<netcheck::TcpResult>() == 5);
  CHECK(member_count<netcheck::TlsResult>() == 13);
  CHECK(member_count<netcheck::VerifyError>() == 3);
  CHECK(member_count<netcheck::IpAddress>() == 2);
}

TEST_CASE("evidence file: a rich Evidence round-trips") {
  const Evidence original = rich_evidence();
  const std::string text = evidence_to_json(original);
  const Evidence back = round_trip(original);

  // The document is the same after a round trip ...
  CHECK(evidence_to_json(back) == text);
  // ... and the fields read back are the ones written.
  const Json document = Json::parse(text);
  CHECK(document["schema"] == "ssm-reach-evidence/v1");
  CHECK(document["targets"][4]["dns"]["servers"][2]["outcome"] == "no-address");
  CHECK(document["context"]["resolvers"][1] == Json{{"address", "fd00::53"}, {"port", 5353}});

  const auto& c = back.context;
  CHECK(c.timeout_s == 0.1 + 0.2);  // exact, not approximately
  CHECK(back.elapsed_ms == 3012.345678901234);
  CHECK(c.region.value == "eu-west-1");
  CHECK(c.region.source == "--region");
  REQUIRE(c.resolvers.size() == 2);
  CHECK(c.resolvers[1].address.family == netcheck::Family::v6);
  CHECK(c.resolvers[1].address.text == "fd00::53");
  CHECK(c.resolvers[1].port == 5353);
  CHECK(c.trust_store.path == "/etc/ssl/certs/ca-certificates.crt");
  CHECK(c.agent.config.endpoints.at("ssmmessages").host_port.port == 8443);
  CHECK(c.agent.config.region->key == "Agent.Region");
  CHECK(c.agent.registration.hybrid());
  CHECK(c.agent.version.components == std::vector<unsigned>{3, 3, 40, 0});
  CHECK(c.imds.token_ok);
  CHECK(c.imds.v1_used);
  REQUIRE(c.imds.calls.size() == 6);
  CHECK(c.imds.calls[2].outcome == HttpOutcome::timeout);
  CHECK(c.imds.calls[2].ms == 1000.25);
  CHECK(c.imds.calls[5].status == -1);
  CHECK(c.imds.calls[5].ms == 1e-300);
  CHECK(c.imds.facts.at("meta-data/instance-id") == "i-0abc1234");
  REQUIRE(c.imds.credentials);
  CHECK(c.imds.credentials->source == "instance-profile");
  CHECK(c.imds.credentials->role == "my-role");
  CHECK(c.imds.credentials->instance_profile_arn ==
        "arn:aws:iam::123456789012:instance-profile/my-profile");
  CHECK(c.imds.credentials->code == "Success");
  CHECK(c.imds.credentials->last_updated == "2024-06-01T11:50:00Z");
  CHECK(c.imds.credentials->expiration == "2024-06-01T18:00:00Z");
  CHECK(c.imds.credentials->error == "M\xc3\xbcnchen note");
  CHECK(document["context"]["imds"]["credentials"]["role"] == "my-role");

  REQUIRE(back.targets.size() == original.targets.size());
  const auto& ssmmessages = back.targets[1];
  REQUIRE(ssmmessages.addresses.size() == 6);
  CHECK(ssmmessages.addresses[1].tcp->outcome == TcpOutcome::timeout);
  CHECK(ssmmessages.addresses[1].tcp->ms == 3000.000001);
  CHECK(ssmmessages.addresses[1].tcp->address.text == "10.40.2.11");
  CHECK(ssmmessages.addresses[2].tcp->errno_name == "ECONNREFUSED");
  CHECK(ssmmessages.addresses[4].tcp->outcome == TcpOutcome::error);
  CHECK_FALSE(ssmmessages.addresses[5].tcp);
  CHECK_FALSE(ssmmessages.addresses[5].tls);
  CHECK(ssmmessages.addresses[5].ip.family == netcheck::Family::v6);
  CHECK(ssmmessages.addresses[0].tls->sans == original.targets[1].addresses[0].tls->sans);

  const auto& pinned = back.targets[2];
  CHECK(pinned.hosts == original.targets[2].hosts);
  REQUIRE(pinned.vpc_dns);
  CHECK(pinned.vpc_dns->answered_by == server("10.40.0.2"));
  CHECK(pinned.vpc_dns->addresses == std::vector{ip("10.40.1.12")});
  CHECK_FALSE(back.targets[0].vpc_dns);
  CHECK(c.vpc_resolvers == original.context.vpc_resolvers);
  CHECK(pinned.addresses[0].source == "hosts");

  const auto& dns = *back.targets[4].dns;
  CHECK_FALSE(dns.answered_by);
  REQUIRE(dns.servers.size() == 9);
  for (std::size_t i = 0; i < dns.servers.size(); ++i) {
    CHECK(dns.servers[i].outcome == original.targets[4].dns->servers[i].outcome);
    CHECK(dns.servers[i].error == original.targets[4].dns->servers[i].error);
  }
  CHECK(back.targets[0].dns->answered_by == original.targets[0].dns->answered_by);

  const auto& kms_tls = *back.targets[5].addresses[0].tls;
  CHECK_FALSE(back.targets[5].target.required);
  CHECK(kms_tls.issuer_cn == "Z\xc3\xbcrich Inspection CA");
  REQUIRE(kms_tls.verify_errors.size() == 2);
  CHECK(kms_tls.verify_errors[1].code == X509_V_ERR_HOSTNAME_MISMATCH);
  CHECK(kms_tls.verify_errors[1].depth == 2);
  CHECK(kms_tls.verify_errors[1].text ==
        original.targets[5].addresses[0].tls->verify_errors[1].text);
  CHECK(kms_tls.not_after == "2025-01-31T23:59:59Z");

  const auto& monitoring = back.targets[6];
  CHECK(monitoring.addresses[0].tls->outcome == TlsOutcome::timeout);
  CHECK(monitoring.addresses[1].tls->outcome == TlsOutcome::protocol);
  CHECK(monitoring.addresses[1].tls->error == "wrong version number");
  CHECK(monitoring.addresses[2].tls->outcome == TlsOutcome::closed);
  CHECK(monitoring.addresses[3].tls->outcome == TlsOutcome::error);

  const auto& literal = back.targets[7];
  CHECK(literal.host_is_literal);
  CHECK_FALSE(literal.dns);
  CHECK(literal.target.port == 8443);
  CHECK(literal.target.host_source == "--endpoint");
}

TEST_CASE("evidence file: no secret is written") {
  const std::string text = evidence_to_json(rich_evidence());
  for (const char* secret : {"s3cr3t", "tok3n", "ASIAEXAMPLE", "security-credentials"}) {
    CAPTURE(secret);
    CHECK(text.find(secret) == std::string::npos);
  }
  CHECK(text.find("i-0abc1234") != std::string::npos);  // public facts stay
  CHECK(text.find("arn:aws:iam::123456789012:instance-profile/my-profile") !=
        std::string::npos);  // so does what the credentials were
}

TEST_CASE("evidence file: a credential field that looks like a credentials answer is dropped") {
  Evidence e = rich_evidence();
  e.context.imds.credentials->error =
      R"(bad answer {"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"s3cr3t","Token":"tok3n"})";
  e.context.imds.credentials->expiration = R"("Token": "tok3n")";
  const std::string text = evidence_to_json(e);
  for (const char* secret : {"s3cr3t", "tok3n", "ASIAEXAMPLE"}) {
    CAPTURE(secret);
    CHECK(text.find(secret) == std::string::npos);
  }
  const Evidence back = round_trip(e);
  CHECK(back.context.imds.credentials->error.empty());
  CHECK(back.context.imds.credentials->expiration.empty());
  CHECK(back.context.imds.credentials->role == "my-role");
}

TEST_CASE("evidence file: no credentials read is null, and reads back as none") {
  Evidence e = rich_evidence();
  e.context.imds.credentials.reset();
  CHECK(Json::parse(evidence_to_json(e))["context"]["imds"]["credentials"].is_null());
  CHECK_FALSE(round_trip(e).context.imds.credentials);
}

TEST_CASE("evidence file: the replayed diagnosis is the live one") {
  const Evidence original = rich_evidence();
  const Evidence back = round_trip(original);
  const Verdict live = diagnose(original);
  const Verdict replayed = diagnose(back);
  CHECK(replayed.status == live.status);
  CHECK(render_json(back, replayed) == render_json(original, live));
  CHECK(render_text(back, replayed, {}) == render_text(original, live, {}));
  // Guards against a trivially equal comparison: the rich case is not ok.
  CHECK(live.status == Status::critical);
}

TEST_CASE("evidence file: a non-finite double is written as null and read as NaN") {
  Evidence e = rich_evidence();
  e.elapsed_ms = std::nan("");
  const std::string text = evidence_to_json(e);
  CHECK(Json::parse(text)["elapsed_ms"].is_null());
  CHECK(std::isnan(round_trip(e).elapsed_ms));
}

TEST_CASE("evidence file: unknown fields are ignored") {
  const Evidence original = rich_evidence();
  Json document = Json::parse(evidence_to_json(original));
  document["written_by_a_newer_version"] = {{"anything", {1, 2, 3}}};
  document["targets"][1]["addresses"][0]["tcp"]["retransmits"] = 2;
  document["context"]["kernel"] = {{"release", "6.1.0"}};
  std::string error;
  auto back = evidence_from_json(document.dump(), &error);
  INFO(error);
  REQUIRE(back);
  CHECK(evidence_to_json(*back) == evidence_to_json(original));
}

TEST_CASE("evidence file: a file from before a member was added still loads") {
  // vpc_resolvers, vpc_dns and the IMDS credentials came after the first
  // evidence files.
  Json document = Json::parse(evidence_to_json(rich_evidence()));
  document["context"].erase("vpc_resolvers");
  document["context"]["imds"].erase("credentials");
  for (auto& target : document["targets"]) target.erase("vpc_dns");
  std::string error;
  auto back = evidence_from_json(document.dump(), &error);
  INFO(error);
  REQUIRE(back);
  CHECK(back->context.vpc_resolvers.empty());
  CHECK_FALSE(back->targets[2].vpc_dns);
  CHECK_FALSE(back->context.imds.credentials);
  // Present, they are still checked.
  document["context"]["vpc_resolvers"] = "10.40.0.2";
  CHECK_FALSE(evidence_from_json(document.dump(), &error));
  CHECK(error == "context.vpc_resolvers: expected an array, found a string");
}

namespace {

struct BadDocument {
  const char* what;
  std::function<void(Json&)> change;  // applied to a valid document
  const char* must_mention;
};

}  // namespace

TEST_CASE("evidence file: every reading error is one line naming the JSON path") {
  const std::string valid = evidence_to_json(rich_evidence());
  const std::vector<BadDocument> cases = {
      {"not an object", [](Json& j) { j = Json::array(); }, "top level: expected an object"},
      {"no schema", [](Json& j) { j.erase("schema"); }, "schema: missing"},
      {"a report", [](Json& j) { j["schema"] = "ssm-reach/v1"; },
       "schema: 'ssm-reach/v1' is a report"},
      {"a newer schema", [](Json& j) { j["schema"] = "ssm-reach-evidence/v2"; },
       "schema: 'ssm-reach-evidence/v2' is not supported"},
      {"schema not a string", [](Json& j) { j["schema"] = 1; },
       "schema: expected a string, found an integer"},
      {"missing field", [](Json& j) { j["context"].erase("timeout_s"); },
       "context.timeout_s: missing"},
      {"missing struct", [](Json& j) { j.erase("context"); }, "context: missing"},
      {"bad enum", [](Json& j) { j["targets"][1]["addresses"][0]["tcp"]["outcome"] = "bogus"; },
       "targets[1].addresses[0].tcp.outcome: unknown value 'bogus' (expected one of ok, timeout, "
       "refused, unreachable, error)"},
      {"bad DNS enum",
       [](Json& j) { j["targets"][4]["dns"]["servers"][2]["outcome_aaaa"] = "nodata"; },
       "targets[4].dns.servers[2].outcome_aaaa: unknown value 'nodata'"},
      {"enum not a string", [](Json& j) { j["context"]["imds"]["calls"][0]["outcome"] = 0; },
       "context.imds.calls[0].outcome: expected a string, found an integer"},
      {"port out of range", [](Json& j) { j["targets"][0]["target"]["port"] = 70000; },
       "targets[0].target.port: 70000 is out of range (0 to 65535)"},
      {"negative port", [](Json& j) { j["context"]["resolvers"][0]["port"] = -53; },
       "context.resolvers[0].port: -53 is out of range"},
      {"port as text", [](Json& j) { j["targets"][0]["target"]["port"] = "443"; },
       "targets[0].target.port: expected an integer, found a string"},
      {"fractional integer", [](Json& j) { j["context"]["imds"]["calls"][0]["status"] = 200.5; },
       "context.imds.calls[0].status: expected an integer, found a decimal number"},
      {"bool as number", [](Json& j) { j["targets"][0]["target"]["required"] = 1; },
       "targets[0].target.required: expected true or false, found an integer"},
      {"double as text", [](Json& j) { j["elapsed_ms"] = "fast"; },
       "elapsed_ms: expected a number, found a string"},
      {"array as object", [](Json& j) { j["targets"] = Json::object(); },
       "targets: expected an array, found an object"},
      {"struct as array", [](Json& j) { j["targets"][2]["dns"] = Json::array(); },
       "targets[2].dns: expected an object, found an array"},
      {"bad IP",
       [](Json& j) { j["targets"][0]["dns"]["servers"][0]["server"]["address"] = "dns1"; },
       "targets[0].dns.servers[0].server.address: 'dns1' is not an IP address"},
      {"bad fact", [](Json& j) { j["context"]["imds"]["facts"]["meta-data/instance-id"] = 7; },
       "context.imds.facts[\"meta-data/instance-id\"]: expected a string, found an integer"},
      {"verify error",
       [](Json& j) { j["targets"][5]["addresses"][0]["tls"]["verify_errors"][1].erase("depth"); },
       "targets[5].addresses[0].tls.verify_errors[1].depth: missing"},
      {"a time beyond any run", [](Json& j) { j["elapsed_ms"] = 1e308; },
       "elapsed_ms: 1e+308 is out of range (0 to 10000000)"},
      {"a huge TCP time", [](Json& j) { j["targets"][0]["addresses"][0]["tcp"]["ms"] = 1e12; },
       "targets[0].addresses[0].tcp.ms: 1000000000000.0 is out of range (-10000000 to 10000000)"},
      {"a negative time", [](Json& j) { j["targets"][0]["dns"]["ms"] = -5e7; },
       "targets[0].dns.ms: -50000000.0 is out of range (-10000000 to 10000000)"},
      {"a negative run", [](Json& j) { j["elapsed_ms"] = -1.0; },
       "elapsed_ms: -1.0 is out of range (0 to 10000000)"},
      {"a clock centuries off",
       [](Json& j) { j["targets"][0]["addresses"][0]["http"]["clock_offset_s"] = -1e11; },
       "clock_offset_s: -100000000000.0 is out of range (-10000000000 to 10000000000)"},
      {"a deadline of days", [](Json& j) { j["context"]["deadline_s"] = 1e6; },
       "context.deadline_s: 1000000.0 is out of range (0 to 86400)"},
      {"line break in a value",
       [](Json& j) { j["targets"][1]["addresses"][0]["tcp"]["outcome"] = "bo\ngus"; },
       "unknown value 'bo\\ngus'"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.what);
    Json document = Json::parse(valid);
    c.change(document);
    std::string error;
    CHECK_FALSE(evidence_from_json(document.dump(), &error));
    CAPTURE(error);
    CHECK(error.find(c.must_mention) != std::string::npos);
    CHECK(error.find('\n') == std::string::npos);
  }
}

TEST_CASE("evidence file: nested too deeply is an error naming the limit, not a crash") {
  // 400 KB of nested arrays before the other keys overflowed the stack
  // (exit 139) in nlohmann's parser (issue 15, 2).
  const std::string deep =
      "{\"schema\": \"ssm-reach-evidence/v1\", \"x\": " + std::string(400000, '[') +
      std::string(400000, ']') + "}";
  std::string error;
  CHECK_FALSE(evidence_from_json(deep, &error));
  CHECK(error == "not read: nested too deeply (more than 64 levels of arrays and objects)");
}

TEST_CASE("evidence file: text that is not JSON") {
  for (const char* text : {"", "hello", "{\"schema\": ", "{} trailing", "\xff\xfe{}"}) {
    CAPTURE(text);
    std::string error;
    CHECK_FALSE(evidence_from_json(text, &error));
    CHECK(error.starts_with("not JSON: "));
    CHECK(error.find("[json.exception") == std::string::npos);
    CHECK(error.find('\n') == std::string::npos);
  }
  CHECK_FALSE(evidence_from_json("{}", nullptr));  // no error text wanted: no crash
}

namespace {

// A fresh directory below TMPDIR (or /tmp), removed at the end of the test.
struct TemporaryDirectory {
  std::filesystem::path path;
  TemporaryDirectory() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "evidence-test-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    path = pattern;
  }
  ~TemporaryDirectory() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
};

// The name of the one file in `directory`, or "" if there are more or none.
std::string only_entry(const std::filesystem::path& directory) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory))
    names.push_back(entry.path().filename().string());
  return names.size() == 1 ? names.front() : "";
}

std::string read_all(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_CASE("evidence file: save and load") {
  TemporaryDirectory dir;
  const auto file = (dir.path / "run.json").string();
  const Evidence original = rich_evidence();
  std::string error;

  REQUIRE(save_evidence_file(file, original, &error));
  CHECK(error.empty());
  CHECK(only_entry(dir.path) == "run.json");  // no temporary file left
  CHECK(read_all(file) == evidence_to_json(original));
  auto loaded = load_evidence_file(file, &error);
  REQUIRE(loaded);
  CHECK(evidence_to_json(*loaded) == evidence_to_json(original));

  // Saving again replaces the file.
  Evidence other = original;
  other.context.started_at = "2030-01-01T00:00:00Z";
  REQUIRE(save_evidence_file(file, other, &error));
  CHECK(load_evidence_file(file, &error)->context.started_at == "2030-01-01T00:00:00Z");

  SUBCASE("a directory that does not exist") {
    const auto nowhere = (dir.path / "missing" / "run.json").string();
    CHECK_FALSE(save_evidence_file(nowhere, original, &error));
    CHECK(error == nowhere + ": No such file or directory");
    CHECK_FALSE(load_evidence_file(nowhere, &error));
    CHECK(error == nowhere + ": No such file or directory");
  }
  SUBCASE("a directory in the way of the rename leaves no temporary file behind") {
    const auto blocked = (dir.path / "blocked").string();
    std::filesystem::create_directories(dir.path / "blocked" / "inside");
    CHECK_FALSE(save_evidence_file(blocked, original, &error));
    CHECK(error.starts_with(blocked + ": "));
    CHECK_FALSE(std::filesystem::exists(blocked + ".tmp"));
    std::size_t entries = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path))
      ++entries;
    CHECK(entries == 2);  // run.json and blocked/
    CHECK_FALSE(load_evidence_file(blocked, &error));
    CHECK(error == blocked + ": is a directory, not a regular file; explain reads evidence files");
  }
  SUBCASE("a FIFO is refused at once, not waited on (issue 15, 9)") {
    const auto fifo = (dir.path / "fifo").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK_FALSE(load_evidence_file(fifo, &error));
    CHECK(error == fifo + ": is a FIFO, not a regular file; explain reads evidence files");
    CHECK_FALSE(load_evidence_file("/dev/zero", &error));
    CHECK(error ==
          "/dev/zero: is a character device, not a regular file; explain reads "
          "evidence files");
  }
  SUBCASE("a file over 8 MiB is refused before it is read (issue 15, 9)") {
    const auto big = (dir.path / "big.json").string();
    std::ofstream(big) << std::string(kMaxEvidenceFileBytes + 1, ' ');
    CHECK_FALSE(load_evidence_file(big, &error));
    CHECK(error == big + ": larger than 8 MiB, the limit for an evidence file");
    std::filesystem::resize_file(big, kMaxEvidenceFileBytes);
    CHECK_FALSE(load_evidence_file(big, &error));
    CHECK(error.find("not JSON") != std::string::npos);  // read, then judged
  }
  SUBCASE("a bad file names itself and the JSON path") {
    const auto bad = (dir.path / "bad.json").string();
    std::ofstream(bad) << R"({"schema": "ssm-reach-evidence/v1", "context": {}})";
    CHECK_FALSE(load_evidence_file(bad, &error));
    CHECK(error == bad + ": context.tool_version: missing");
  }
}

TEST_CASE("evidence file: the text report of a replay says so, within 80 columns") {
  const Evidence e = rich_evidence();
  const Verdict v = diagnose(e);
  const std::string live = render_text(e, v, {});
  const std::string replay = render_text(e, v, {}, "/home/support/case-4711/run.json");
  REQUIRE(replay.ends_with(live));  // otherwise the same report
  // The lines before it, unwrapped.
  std::string note = replay.substr(0, replay.size() - live.size());
  for (std::size_t at; (at = note.find("\n  ")) != std::string::npos;) note.replace(at, 3, " ");
  CHECK(note ==
        "Replay of /home/support/case-4711/run.json (recorded 2024-06-01T12:00:00Z); nothing "
        "was checked now.\n");
  CHECK(live.find("Replay") == std::string::npos);

  const std::string long_name(120, 'x');
  const std::string wrapped = render_text(e, v, {false, 80}, long_name);
  std::size_t start = 0;
  for (std::size_t end; (end = wrapped.find('\n', start)) != std::string::npos; start = end + 1) {
    CHECK(end - start <= 80);
  }
  CHECK(wrapped.find("recorded 2024-06-01T12:00:00Z") != std::string::npos);
}
