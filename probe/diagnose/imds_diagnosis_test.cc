// The IMDS rules of the diagnosis on hand-made evidence: what IMDS did not
// answer is unknown, never absent; what it answered badly is said as such.
#include "probe/diagnose/imds_diagnosis.h"

#include <doctest/doctest.h>

#include "probe/diagnose/diagnosis.h"
#include "probe/gather/imds.h"
#include "tests/unit/test_evidence.h"

namespace ssmreach {
namespace {

using namespace test;
using netcheck::HttpOutcome;

const std::string kDocument = "/latest/dynamic/instance-identity/document";
const std::string kRoleList = "/latest/meta-data/iam/security-credentials/";
const std::string kRole = "/latest/meta-data/iam/security-credentials/LabSsmRole";
const std::string kIdentity =
    "/latest/meta-data/identity-credentials/ec2/security-credentials/ec2-instance";

ImdsCall get(const std::string& path, HttpOutcome outcome, long status,
             const std::string& bad_answer = "", int attempts = 1) {
  ImdsCall call;
  call.method = "GET";
  call.path = path;
  call.with_token = true;
  call.outcome = outcome;
  call.status = status;
  call.ms = outcome == HttpOutcome::timeout ? 1000 : 0.4;
  call.attempts = attempts;
  call.bad_answer = bad_answer;
  return call;
}

ImdsCall answered(const std::string& path, long status, const std::string& bad_answer = "") {
  return get(path, HttpOutcome::ok, status, bad_answer, status == 200 || status == 404 ? 1 : 3);
}

ImdsCall unanswered(const std::string& path) {
  return get(path, HttpOutcome::timeout, 0, "", kImdsMaxAttempts);
}

// A healthy run's IMDS conversation: token, identity document, role list,
// the role's credentials, and the signed call made and answered.
Evidence healthy_run() {
  Evidence e = evidence_with({healthy("ssm", "10.40.1.10"), healthy("ssmmessages", "10.40.1.11"),
                              healthy("ec2messages", "10.40.1.12")});
  auto& imds = e.context.imds;
  imds.calls = {{"PUT", "/latest/api/token", false, HttpOutcome::ok, 200, "", 0.4},
                answered(kDocument, 200),
                answered(kRoleList, 200),
                answered(kRole, 200)};
  imds.facts["meta-data/instance-id"] = "i-0abc1234";
  CredentialEvidence c;
  c.source = "instance-profile";
  c.role = "LabSsmRole";
  c.code = "Success";
  c.expiration = "2024-06-01T18:00:00Z";
  imds.credentials = c;
  SignedCallEvidence call;
  call.via = "10.40.1.10";
  call.credentials_source = "instance-profile";
  call.http.outcome = HttpOutcome::ok;
  call.http.status = 200;
  e.signed_call = call;
  return e;
}

// The call for `path` replaced by `call`.
void replace(Evidence& e, const std::string& path, const ImdsCall& call) {
  for (auto& c : e.context.imds.calls)
    if (c.path == path) c = call;
}

// What a run records when the credentials could not be read: IMDS
// answered, the credentials describe an error, no signed call.
void credentials_unread(Evidence& e, const std::string& error) {
  CredentialEvidence c;
  c.error = error;
  e.context.imds.credentials = c;
  SignedCallEvidence skipped;
  skipped.skipped = "IMDS gave no usable credentials";
  e.signed_call = skipped;
}

const TargetVerdict& ssm_of(const Verdict& v) {
  for (const auto& tv : v.targets)
    if (tv.service == "ssm") return tv;
  FAIL("no ssm target");
  return v.targets.front();
}

TEST_CASE("IMDS diagnosis: a healthy conversation is ok") {
  const Verdict v = diagnose(healthy_run());
  REQUIRE(v.imds);
  CHECK(v.imds->status == Status::ok);
  CHECK(v.status == Status::ok);
}

TEST_CASE("IMDS diagnosis: unanswered, throttled or unusable, for each value the agent needs") {
  struct Case {
    std::string path;
    std::string what;
  };
  for (const Case& needed :
       {Case{kDocument, "instance identity document"}, Case{kRoleList, "instance profile's role"},
        Case{kRole, "role's credentials"}}) {
    CAPTURE(needed.path);
    {  // a timeout is imds.timeout, a warning: unknown, not absent
      Evidence e = healthy_run();
      replace(e, needed.path, unanswered(needed.path));
      if (needed.path != kDocument) credentials_unread(e, needed.path + ": no answer in time");
      const Verdict v = diagnose(e);
      REQUIRE(v.imds);
      CHECK(v.imds->cause == Cause::imds_timeout);
      CHECK(v.imds->failed_layer() == Layer::imds);
      CHECK(v.imds->status == Status::warning);
      CHECK(v.status == Status::warning);
      CHECK(v.imds->headline.find("Could not read") != std::string::npos);
      CHECK(v.imds->headline.find(needed.what) != std::string::npos);
      CHECK(v.imds->headline.find("3 attempts") != std::string::npos);
      CHECK(v.imds->explanation.find("unknown, not absent") != std::string::npos);
      CHECK(v.imds->remedy.find("no instance profile") == std::string::npos);
      CHECK(v.imds->remedy.find("associate-iam-instance-profile") == std::string::npos);
    }
    for (long status : {429L, 503L}) {
      CAPTURE(status);
      Evidence e = healthy_run();
      replace(e, needed.path, answered(needed.path, status));
      if (needed.path != kDocument)
        credentials_unread(e, needed.path + ": " + std::to_string(status));
      const Verdict v = diagnose(e);
      CHECK(v.imds->cause == Cause::imds_throttled);
      CHECK(v.imds->status == Status::warning);
      CHECK(v.imds->headline.find("throttled") != std::string::npos);
    }
    {  // an unusable answer is imds.bad-answer, critical: the agent reads it too
      Evidence e = healthy_run();
      replace(e, needed.path, answered(needed.path, 200, "cut at 16384 bytes"));
      const Verdict v = diagnose(e);
      CHECK(v.imds->cause == Cause::imds_bad_answer);
      CHECK(v.imds->status == Status::critical);
      CHECK(v.imds->explanation.find("cut at 16384 bytes") != std::string::npos);
      CHECK(v.status == Status::critical);
    }
  }
}

TEST_CASE("IMDS diagnosis: a region that is not a region name") {
  Evidence e = healthy_run();
  replace(e, kDocument, answered(kDocument, 200, "its region \"<html>\" is not a region name"));
  const Verdict v = diagnose(e);
  CHECK(v.imds->cause == Cause::imds_bad_answer);
  CHECK(v.imds->headline.find("not a region name") != std::string::npos);
}

TEST_CASE("IMDS diagnosis: two unusable answers are told in the agent's order, not arrival's") {
  // On two connections the credentials may be answered before the identity
  // document; the verdict names the document either way.
  Evidence e = healthy_run();
  e.context.imds.calls = {{"PUT", "/latest/api/token", false, HttpOutcome::ok, 200, "", 0.4},
                          answered(kRoleList, 200),
                          answered(kRole, 200, "not JSON"),
                          answered(kDocument, 200, "not a JSON object")};
  const Verdict v = diagnose(e);
  CHECK(v.imds->cause == Cause::imds_bad_answer);
  CHECK(v.imds->headline.find("identity document") != std::string::npos);
  CHECK(v.imds->explanation.find("not a JSON object") != std::string::npos);
}

TEST_CASE("IMDS diagnosis: absence needs a 404 or an empty role list") {
  Evidence e = healthy_run();
  e.context.imds.calls = {{"PUT", "/latest/api/token", false, HttpOutcome::ok, 200, "", 0.4},
                          answered(kDocument, 200),
                          answered(kRoleList, 404),
                          answered("/latest/meta-data/iam/info", 404)};
  SUBCASE("404, and no Default Host Management either: auth.no-credentials") {
    e.context.imds.calls.push_back(answered(kIdentity, 404));
    credentials_unread(e, "no instance profile is attached (meta-data/iam/info: 404)");
    const Verdict v = diagnose(e);
    CHECK(v.imds->cause == Cause::auth_no_credentials);
    CHECK(v.imds->status == Status::critical);
  }
  SUBCASE("404, and the identity credentials unanswered: unknown") {
    e.context.imds.calls.push_back(unanswered(kIdentity));
    credentials_unread(e, "no instance profile is attached (meta-data/iam/info: 404); " +
                              kIdentity.substr(8) + ": no answer in time");
    const Verdict v = diagnose(e);
    CHECK(v.imds->cause == Cause::imds_timeout);
    CHECK(v.imds->status == Status::warning);
    CHECK(v.imds->headline.find("Default Host Management") != std::string::npos);
  }
}

TEST_CASE("IMDS diagnosis: no silent pass when the signed call did not happen") {
  Evidence e = healthy_run();
  SUBCASE("skipped for want of credentials in time: ssm warns auth.unchecked") {
    SignedCallEvidence skipped;
    skipped.skipped = "IMDS had not told the credentials when the run ended";
    e.signed_call = skipped;
    const Verdict v = diagnose(e);
    CHECK(ssm_of(v).cause == Cause::auth_unchecked);
    CHECK(ssm_of(v).status == Status::warning);
    CHECK(v.status == Status::warning);
  }
  SUBCASE("made, but unanswered: auth.unchecked") {
    e.signed_call->http.outcome = HttpOutcome::timeout;
    e.signed_call->http.status = 0;
    const Verdict v = diagnose(e);
    CHECK(ssm_of(v).cause == Cause::auth_unchecked);
    CHECK(v.status == Status::warning);
  }
  SUBCASE("--no-auth: the user's choice, ok") {
    SignedCallEvidence skipped;
    skipped.skipped = "--no-auth";
    e.signed_call = skipped;
    CHECK(diagnose(e).status == Status::ok);
  }
  SUBCASE("Default Host Management: nothing to call with, ok") {
    SignedCallEvidence skipped;
    skipped.skipped = "no instance profile: the agent uses Default Host Management";
    skipped.credentials_source = "default-host-management";
    e.signed_call = skipped;
    e.context.imds.credentials->source = "default-host-management";
    CHECK(diagnose(e).status == Status::ok);
  }
  SUBCASE("IMDS's own finding explains it: no second finding on ssm") {
    replace(e, kRoleList, unanswered(kRoleList));
    credentials_unread(e, "meta-data/iam/security-credentials/: no answer in time");
    const Verdict v = diagnose(e);
    CHECK(v.imds->cause == Cause::imds_timeout);
    CHECK_FALSE(ssm_of(v).cause);
    CHECK(ssm_of(v).status == Status::ok);
  }
}

}  // namespace
}  // namespace ssmreach
