// The HTTP, proxy and auth rules of the diagnosis, on hand-made evidence.
#include <doctest/doctest.h>

#include "probe/diagnose/diagnosis.h"
#include "tests/unit/test_evidence.h"

namespace ssmreach {
namespace {

using namespace test;
using netcheck::HttpOutcome;

HttpEvidence http_answer(long status, std::optional<double> offset = 0.0) {
  HttpEvidence h;
  h.outcome = HttpOutcome::ok;
  h.status = status;
  h.date = "Sat, 01 Jun 2024 12:00:00 GMT";
  h.clock_offset_s = offset;
  h.request_id = "11111111-2222-3333-4444-555555555555";
  h.ms = 1.2;
  return h;
}

// Every service healthy on TCP, TLS and HTTP.
Evidence answering(std::optional<double> offset = 0.0) {
  Evidence e = evidence_with({healthy("ssm", "10.40.1.10"), healthy("ssmmessages", "10.40.1.11"),
                              healthy("ec2messages", "10.40.1.12")});
  for (auto& te : e.targets)
    for (auto& a : te.addresses) a.http = http_answer(404, offset);
  return e;
}

// A copy: callers pass diagnose()'s temporary.
TargetVerdict target(const Verdict& v, const std::string& service) {
  for (const auto& tv : v.targets)
    if (tv.service == service) return tv;
  FAIL("no target " << service);
  return {};
}

TEST_CASE("diagnosis: an HTTP answer makes a verified address usable, silence is http.timeout") {
  Evidence e = answering();
  CHECK(diagnose(e).status == Status::ok);
  CHECK(target(diagnose(e), "ssm").headline.find("HTTP answered") != std::string::npos);

  e.targets[1].addresses[0].http->outcome = HttpOutcome::timeout;
  e.targets[1].addresses[0].http->ms = 3000;
  const Verdict v = diagnose(e);
  const TargetVerdict messages = target(v, "ssmmessages");
  CHECK(messages.status == Status::critical);
  CHECK(messages.failed_layer() == Layer::http);
  CHECK(messages.cause == Cause::http_timeout);
  CHECK(messages.addresses[0].detail.find("no HTTP answer") != std::string::npos);
}

TEST_CASE("diagnosis: a service clock 10 minutes ahead is auth.clock-skew everywhere") {
  const Verdict v = diagnose(answering(600.0));
  REQUIRE(v.clock_offset_s);
  CHECK(*v.clock_offset_s == doctest::Approx(600));
  CHECK(v.status == Status::critical);
  for (const auto& tv : v.targets) {
    CHECK(tv.failed_layer() == Layer::auth);
    CHECK(tv.cause == Cause::auth_clock_skew);
    CHECK(tv.headline.find("10 minutes behind") != std::string::npos);
    CHECK(tv.remedy.find("169.254.169.123") != std::string::npos);
  }
  // Within five minutes: fine.
  CHECK(diagnose(answering(240.0)).status == Status::ok);
}

TEST_CASE("diagnosis: the proxy path decides a proxied target") {
  Evidence e = answering();
  e.context.proxy.https_proxy = "http://10.0.4.4:3128";
  e.context.proxy.source = "environment";
  ProxyPathEvidence path;
  path.proxy = "http://10.0.4.4:3128";

  SUBCASE("CONNECT denied, direct works: the proxy is the only problem") {
    path.failed_stage = "connect";
    path.connect_status = 403;
    e.targets[1].proxy_path = path;
    const TargetVerdict tv = target(diagnose(e), "ssmmessages");
    CHECK(tv.status == Status::critical);
    CHECK(tv.failed_layer() == Layer::proxy);
    CHECK(tv.cause == Cause::proxy_connect_denied);
    CHECK(tv.explanation.find("the proxy is the only problem") != std::string::npos);
    CHECK(tv.impact.find("Intermittent") == std::string::npos);
  }
  SUBCASE("407 is proxy.auth-required") {
    path.failed_stage = "connect";
    path.connect_status = 407;
    e.targets[0].proxy_path = path;
    CHECK(target(diagnose(e), "ssm").cause == Cause::proxy_auth_required);
  }
  SUBCASE("nothing at the proxy's address is proxy.unreachable") {
    path.failed_stage = "proxy-connect";
    path.http.outcome = HttpOutcome::refused;
    e.targets[2].proxy_path = path;
    CHECK(target(diagnose(e), "ec2messages").cause == Cause::proxy_unreachable);
  }
  SUBCASE("a proxy name that does not resolve is proxy.unreachable, and says so") {
    path.proxy = "http://garbage:80";
    path.failed_stage = "proxy-connect";
    path.http.outcome = HttpOutcome::error;
    path.http.error = "Could not resolve proxy: garbage";
    e.targets[0].proxy_path = path;
    const TargetVerdict tv = target(diagnose(e), "ssm");
    CHECK(tv.cause == Cause::proxy_unreachable);
    CHECK(tv.headline.find("its name does not resolve") != std::string::npos);
    CHECK(tv.explanation.find("do not know the proxy's host name") != std::string::npos);
  }
  SUBCASE("an inspecting proxy's certificate is tls.untrusted") {
    path.failed_stage = "tls";
    path.connect_status = 200;
    path.tls_verify_result = 20;  // X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY
    e.targets[0].proxy_path = path;
    const TargetVerdict tv = target(diagnose(e), "ssm");
    CHECK(tv.cause == Cause::tls_untrusted);
    CHECK(tv.explanation.find("inspects TLS") != std::string::npos);
  }
  SUBCASE("a working proxy makes a target ok even when direct fails") {
    path.connect_status = 200;
    path.http = http_answer(404);
    e.targets[0].proxy_path = path;
    e.targets[0].addresses = {tcp_failed("52.94.1.10", netcheck::TcpOutcome::timeout)};
    const TargetVerdict tv = target(diagnose(e), "ssm");
    CHECK(tv.status == Status::ok);
    CHECK(tv.headline.find("through the proxy") != std::string::npos);
  }
}

TEST_CASE("diagnosis: http_proxy without no_proxy for IMDS is proxy.imds-not-excluded") {
  Evidence e = answering();
  e.context.proxy.https_proxy = e.context.proxy.http_proxy = "http://10.0.4.4:3128";
  e.context.proxy.source = "/etc/systemd/system/amazon-ssm-agent.service.d/proxy.conf";
  e.context.proxy.no_proxy = "localhost";
  Verdict v = diagnose(e);
  REQUIRE(v.imds);
  CHECK(v.imds->status == Status::critical);
  CHECK(v.imds->failed_layer() == Layer::proxy);
  CHECK(v.imds->cause == Cause::proxy_imds_not_excluded);
  CHECK(v.imds->remedy.find("no_proxy=169.254.169.254,localhost") != std::string::npos);

  e.context.proxy.no_proxy = "localhost,169.254.169.254";
  CHECK(diagnose(e).imds->status == Status::ok);
  // Only https_proxy: Go sends http:// IMDS requests direct.
  e.context.proxy.no_proxy.clear();
  e.context.proxy.http_proxy.clear();
  CHECK(diagnose(e).imds->status == Status::ok);
}

TEST_CASE("diagnosis: credentials from IMDS") {
  Evidence e = answering();
  CredentialEvidence c;
  SUBCASE("none at all") {
    c.error = "no instance profile is attached (meta-data/iam/info: 404)";
    e.context.imds.credentials = c;
    const Verdict v = diagnose(e);
    CHECK(v.imds->cause == Cause::auth_no_credentials);
    CHECK(v.imds->failed_layer() == Layer::auth);
    CHECK(v.status == Status::critical);
    CHECK(v.imds->remedy.find("associate-iam-instance-profile") != std::string::npos);
  }
  SUBCASE("a role IMDS cannot assume") {
    c.role = "BrokenRole";
    c.code = "AssumeRoleUnauthorizedAccess";
    e.context.imds.credentials = c;
    const Verdict v = diagnose(e);
    CHECK(v.imds->cause == Cause::auth_no_credentials);
    CHECK(v.imds->explanation.find("trust policy") != std::string::npos);
  }
  SUBCASE("expired by this instance's clock") {
    c.source = "instance-profile";
    c.role = "LabSsmRole";
    c.code = "Success";
    c.expiration = "2024-06-01T11:00:00Z";  // an hour before started_at
    e.context.imds.credentials = c;
    CHECK(diagnose(e).imds->cause == Cause::auth_expired_credentials);
    c.expiration = "2024-06-01T18:00:00Z";
    e.context.imds.credentials = c;
    CHECK(diagnose(e).imds->status == Status::ok);
  }
  SUBCASE("Default Host Management is enough") {
    c.source = "default-host-management";
    c.code = "Success";
    c.expiration = "2024-06-01T18:00:00Z";
    e.context.imds.credentials = c;
    CHECK(diagnose(e).status == Status::ok);
  }
}

TEST_CASE("diagnosis: the signed call's answer lands on the ssm target") {
  Evidence e = answering();
  SignedCallEvidence call;
  call.via = "10.40.1.10";
  call.credentials_source = "instance-profile";
  call.http = http_answer(400);
  auto cause_for = [&](const std::string& type, const std::string& message) {
    call.error_type = type;
    call.error_message = message;
    e.signed_call = call;
    const Verdict v = diagnose(e);
    const TargetVerdict ssm = target(v, "ssm");
    return cause_id(ssm.cause);
  };
  CHECK(cause_for("AccessDeniedException",
                  "User: arn:aws:sts::123456789012:assumed-role/R/i-0abc is not authorized to "
                  "perform: ssm:ListInstanceAssociations because no identity-based policy "
                  "allows the ssm:ListInstanceAssociations action") == "auth.access-denied");
  CHECK(cause_for("AccessDeniedException",
                  "... because no VPC endpoint policy allows the "
                  "ssm:ListInstanceAssociations action") == "auth.endpoint-policy-deny");
  CHECK(
      cause_for("ExpiredTokenException", "The security token included in the request is expired") ==
      "auth.expired-credentials");
  CHECK(cause_for("InvalidSignatureException",
                  "Signature expired: 20240601T115000Z is now earlier than 20240601T115500Z "
                  "(20240601T120000Z - 5 min.)") == "auth.clock-skew");
  CHECK(diagnose(e).status == Status::critical);

  call.http = http_answer(200);
  call.error_type.clear();
  call.error_message.clear();
  e.signed_call = call;
  const Verdict ok = diagnose(e);
  CHECK(ok.status == Status::ok);
  CHECK(target(ok, "ssm").headline.find("Signed call ok") != std::string::npos);

  SignedCallEvidence skipped;
  skipped.skipped = "--no-auth";
  e.signed_call = skipped;
  CHECK(diagnose(e).notes.empty());
}

}  // namespace
}  // namespace ssmreach
