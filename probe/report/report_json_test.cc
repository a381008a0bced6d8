#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "probe/diagnose/diagnosis.h"
#include "probe/report/report.h"
#include "tests/unit/test_evidence.h"

using namespace ssmreach;
using namespace ssmreach::test;
using netcheck::DnsOutcome;
using netcheck::TcpOutcome;
using Json = nlohmann::json;

namespace {

// Every kind of target at once: healthy, DNS failure, TCP timeout, TLS
// untrusted, pinned by /etc/hosts, a literal, an optional one.
Evidence rich_evidence() {
  auto pinned =
      resolved("ec2messages", {tcp_failed("10.1.2.3", TcpOutcome::timeout, "", 3000.04, "hosts")});
  pinned.hosts = {ip("10.1.2.3")};
  pinned.dns = dns_ok(pinned.target.host, {"10.40.1.12"});

  TargetEvidence literal;
  literal.target = {"sts", "10.40.1.30", 443, false, "--endpoint"};
  literal.host_is_literal = true;
  literal.addresses = {usable("10.40.1.30", "10.40.1.30", "literal")};

  auto untrusted =
      tls_verify_errors(host_of("kms"), {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY});
  untrusted.issuer_cn = "Corp Inspection CA";
  untrusted.issuer = "CN=Corp Inspection CA,O=Corp";

  auto healthy_ssm = healthy("ssm", "10.40.1.10");
  healthy_ssm.addresses[0].tcp->ms = 0.83333;

  Evidence e = evidence_with({
      healthy_ssm,
      resolved("ssmmessages", {usable("10.40.1.11", host_of("ssmmessages")),
                               tcp_failed("10.40.2.11", TcpOutcome::timeout)}),
      pinned,
      dns_failure("s3", DnsOutcome::nxdomain),
      resolved("kms", {with_tls("10.40.1.20", untrusted)}, false),
      literal,
  });
  e.context.imds.facts["meta-data/iam/security-credentials/my-role"] =
      R"({"AccessKeyId":"ASIAEXAMPLE","SecretAccessKey":"s3cr3t","Token":"tok3n"})";
  e.context.imds.facts["meta-data/instance-id"] = "i-0abc1234";
  return e;
}

const std::set<std::string> kTargetStatuses = {"ok", "warning", "critical", "skipped"};
const std::set<std::string> kClasses = {"vpc", "private", "public", "loopback", "link-local"};

void check_string_or_null(const Json& j, const char* key) {
  CAPTURE(key);
  REQUIRE(j.contains(key));
  CHECK((j[key].is_string() || j[key].is_null()));
}

}  // namespace

TEST_CASE("json: one newline-terminated object with the contract's fields and types") {
  const Evidence e = rich_evidence();
  const std::string out = render_json(e, diagnose(e));
  REQUIRE_FALSE(out.empty());
  CHECK(out.back() == '\n');
  const Json j = Json::parse(out);  // throws (fails the test) on anything but one JSON value
  REQUIRE(j.is_object());

  CHECK(j["schema"] == "ssm-reach/v1");
  CHECK(j["status"] == "critical");
  CHECK(j["region"] == "eu-west-1");
  CHECK(j["elapsed_ms"].is_number_integer());
  CHECK(j["elapsed_ms"] == 41);
  CHECK(j["notes"].is_array());

  const Json& c = j["context"];
  REQUIRE(c.is_object());
  CHECK(c["version"] == "0.1.0");
  CHECK(c["started_at"] == "2024-06-01T12:00:00Z");
  CHECK(c["region"]["value"] == "eu-west-1");
  CHECK(c["region"]["source"] == "--region");
  CHECK(c["timeout_s"].is_number());
  REQUIRE(c["resolvers"].is_array());
  CHECK(c["resolvers"][0] == "10.40.5.53:53");
  CHECK(c["resolvers_source"] == "/etc/resolv.conf");
  check_string_or_null(c, "resolvers_error");
  CHECK(c["trust_store"]["path"] == "/etc/ssl/certs/ca-certificates.crt");
  check_string_or_null(c["trust_store"], "source");
  check_string_or_null(c["trust_store"], "error");
  CHECK(c["vpc_cidrs"].is_array());
  const Json& imds = c["imds"];
  CHECK(imds["attempted"].is_boolean());
  check_string_or_null(imds, "endpoint");
  check_string_or_null(imds, "skipped_by");
  CHECK(imds["token_ok"].is_boolean());
  CHECK(imds["v1_used"].is_boolean());
  REQUIRE(imds["calls"].is_array());
  for (const auto& call : imds["calls"]) {
    CHECK(call["method"].is_string());
    CHECK(call["path"].is_string());
    CHECK(call["outcome"].is_string());
    CHECK(call["status"].is_number_integer());
    CHECK(call["ms"].is_number());
  }
  CHECK(imds["facts"].is_object());
  CHECK(imds["facts"]["meta-data/instance-id"] == "i-0abc1234");

  REQUIRE(j["targets"].is_array());
  // IMDS first (it was asked), then the planned targets.
  REQUIRE(j["targets"].size() == e.targets.size() + 1);
  CHECK(j["targets"][0]["service"] == "imds");
  CHECK(j["targets"][0]["dns"].is_null());
  CHECK(j["targets"][0]["addresses"][0]["class"] == "link-local");
  for (const auto& t : j["targets"]) {
    CAPTURE(t.dump());
    CHECK(t["service"].is_string());
    CHECK(t["host"].is_string());
    CHECK(t["port"].is_number_integer());
    CHECK(t["required"].is_boolean());
    REQUIRE(t["status"].is_string());
    CHECK(kTargetStatuses.count(t["status"].get<std::string>()) == 1);
    check_string_or_null(t, "failed_layer");
    check_string_or_null(t, "cause");
    CHECK(t["explanation"].is_string());
    CHECK(t["remedy"].is_string());
    CHECK(t["impact"].is_string());
    CHECK(t["headline"].is_string());
    if (t["status"] != "ok") {
      CHECK(t["cause"].is_string());
      CHECK_FALSE(t["explanation"].get<std::string>().empty());
    } else {
      CHECK(t["cause"].is_null());
      CHECK(t["failed_layer"].is_null());
    }

    if (t["service"] == "imds") continue;  // no DNS step, no TLS
    const Json& dns = t["dns"];
    REQUIRE(dns.is_object());
    CHECK(dns["outcome"].is_string());
    check_string_or_null(dns, "answered_by");
    CHECK(dns["ms"].is_number());
    CHECK(std::set<std::string>{"dns", "hosts", "literal"}.count(dns["source"].get<std::string>()));
    CHECK(dns["addresses"].is_array());
    REQUIRE(dns["servers"].is_array());
    for (const auto& s : dns["servers"]) {
      CHECK(s["server"].is_string());
      CHECK(s["outcome"].is_string());
      CHECK(s["outcome_a"].is_string());
      CHECK(s["outcome_aaaa"].is_string());
      CHECK(s["addresses"].is_array());
      CHECK(s["ms"].is_number());
      check_string_or_null(s, "error");
    }

    REQUIRE(t["addresses"].is_array());
    for (const auto& a : t["addresses"]) {
      CHECK(a["ip"].is_string());
      CHECK(kClasses.count(a["class"].get<std::string>()) == 1);
      CHECK(a["source"].is_string());
      CHECK(a["usable"].is_boolean());
      check_string_or_null(a, "failed_layer");
      check_string_or_null(a, "cause");
      REQUIRE(a.contains("tcp"));
      REQUIRE(a.contains("tls"));
      if (a["tcp"].is_object()) {
        CHECK(std::set<std::string>{"ok", "timeout", "refused", "unreachable", "error"}.count(
            a["tcp"]["status"].get<std::string>()));
        CHECK(a["tcp"]["ms"].is_number());
        check_string_or_null(a["tcp"], "errno");
      }
      if (a["tls"].is_object()) {
        const Json& tls = a["tls"];
        CHECK(tls["status"].is_string());
        for (const char* key :
             {"version", "cipher", "issuer", "subject", "not_before", "not_after", "error"}) {
          check_string_or_null(tls, key);
        }
        CHECK(tls["sans"].is_array());
        CHECK(tls["verify_errors"].is_array());
        CHECK(tls["ms"].is_number());
      }
    }
  }
}

TEST_CASE("json: values follow the evidence and the verdict") {
  const Evidence e = rich_evidence();
  const Json j = Json::parse(render_json(e, diagnose(e)));
  const Json& targets = j["targets"];

  const Json& ssm = targets[1];
  CHECK(ssm["status"] == "ok");
  CHECK(ssm["dns"]["source"] == "dns");
  CHECK(ssm["dns"]["answered_by"] == "10.40.5.53:53");
  CHECK(ssm["addresses"][0]["class"] == "vpc");
  CHECK(ssm["addresses"][0]["usable"] == true);
  CHECK(ssm["addresses"][0]["tcp"]["ms"] == doctest::Approx(0.8));
  CHECK(ssm["addresses"][0]["tls"]["version"] == "TLSv1.3");
  CHECK(ssm["addresses"][0]["tls"]["issuer"] == "CN=Amazon RSA 2048 M02,O=Amazon,C=US");

  const Json& messages = targets[2];
  CHECK(messages["status"] == "warning");
  CHECK(messages["failed_layer"] == "tcp");
  CHECK(messages["cause"] == "tcp.timeout");
  CHECK(messages["addresses"][1]["tcp"]["status"] == "timeout");
  CHECK(messages["addresses"][1]["tcp"]["errno"].is_null());
  CHECK(messages["addresses"][1]["tls"].is_null());
  CHECK(messages["addresses"][1]["usable"] == false);
  CHECK(messages["addresses"][1]["cause"] == "tcp.timeout");

  const Json& pinned = targets[3];
  CHECK(pinned["cause"] == "dns.hosts-override");
  CHECK(pinned["dns"]["source"] == "hosts");
  CHECK(pinned["dns"]["addresses"][0] == "10.1.2.3");
  CHECK(pinned["dns"]["servers"][0]["addresses"][0] == "10.40.1.12");
  CHECK(pinned["addresses"][0]["source"] == "hosts");
  CHECK(pinned["addresses"][0]["tcp"]["ms"] == doctest::Approx(3000.0));

  const Json& s3 = targets[4];
  CHECK(s3["cause"] == "dns.nxdomain");
  CHECK(s3["failed_layer"] == "dns");
  CHECK(s3["dns"]["outcome"] == "nxdomain");
  CHECK(s3["addresses"].empty());

  const Json& kms = targets[5];
  CHECK(kms["required"] == false);
  CHECK(kms["status"] == "warning");
  CHECK(kms["cause"] == "tls.untrusted");
  CHECK(kms["addresses"][0]["tls"]["verify_errors"][0]["code"] ==
        X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
  CHECK(kms["explanation"].get<std::string>().find("Corp Inspection CA") != std::string::npos);

  const Json& sts = targets[6];
  CHECK(sts["dns"]["source"] == "literal");
  CHECK(sts["dns"]["outcome"] == "skipped");
  CHECK(sts["status"] == "ok");
}

TEST_CASE("json: no secret ever reaches the report") {
  const Evidence e = rich_evidence();
  const std::string out = render_json(e, diagnose(e));
  CHECK(out.find("s3cr3t") == std::string::npos);
  CHECK(out.find("tok3n") == std::string::npos);
  CHECK(out.find("ASIAEXAMPLE") == std::string::npos);
  CHECK(out.find("security-credentials") == std::string::npos);
}

TEST_CASE("json: region null, no targets, broken UTF-8") {
  Evidence e = evidence_with({});
  e.context.region = {};
  auto bad = tls_verify_errors(host_of("ssm"), {X509_V_ERR_CERT_UNTRUSTED});
  bad.issuer_cn = std::string("Bad \xff\xfe CA");
  e.targets.push_back(resolved("ssm", {with_tls("10.40.1.10", bad)}));
  std::string out;
  REQUIRE_NOTHROW(out = render_json(e, diagnose(e)));
  const Json j = Json::parse(out);
  CHECK(j["region"].is_null());
  CHECK(j["status"] == "unknown");
  CHECK(j["exit_code"] == 3);

  const Evidence empty = evidence_with({});
  const Json k = Json::parse(render_json(empty, diagnose(empty)));
  // Only IMDS, whose answer (or silence) explains the missing region.
  REQUIRE(k["targets"].size() == 1);
  CHECK(k["targets"][0]["service"] == "imds");
  CHECK(k["status"] == "unknown");
}

TEST_CASE("json: an address's TLS status names the certificate problem") {
  auto e = evidence_with({resolved(
      "ssm",
      {with_tls("10.40.1.10",
                tls_verify_errors(host_of("ssm"), {X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY})),
       usable("10.40.2.10", host_of("ssm"))})});
  const Json j = Json::parse(render_json(e, diagnose(e)));
  const Json& addresses = j["targets"][1]["addresses"];
  CHECK(addresses[0]["tls"]["status"] == "untrusted");
  CHECK(addresses[0]["tls"]["handshake"] == "ok");
  CHECK(addresses[1]["tls"]["status"] == "ok");
  CHECK(addresses[1]["tls"]["handshake"] == "ok");
}
