#include "probe/diagnose/auth_diagnosis.h"

#include <algorithm>
#include <cmath>

#include "probe/diagnose/cause_text.h"
#include "probe/diagnose/signed_call_cause.h"
#include "probe/evidence/http_evidence.h"
#include "probe/util/text_util.h"

namespace ssmreach::diagnosis_detail {
namespace {

TargetVerdict* find_target(std::vector<TargetVerdict>& targets, const std::string& service) {
  for (auto& tv : targets)
    if (tv.service == service) return &tv;
  return nullptr;
}

std::string fact(const Evidence& evidence, const std::string& key, const char* placeholder) {
  const auto& facts = evidence.context.imds.facts;
  auto it = facts.find(key);
  return it == facts.end() || it->second.empty() ? placeholder : it->second;
}

std::string region_of(const Evidence& evidence) {
  return evidence.context.region.empty() ? "<region>" : evidence.context.region.value;
}

}  // namespace

std::optional<double> service_clock_offset(const Evidence& evidence) {
  std::vector<double> offsets;
  auto add = [&](const HttpEvidence& http) {
    if (http.clock_offset_s) offsets.push_back(*http.clock_offset_s);
  };
  for (const auto& te : evidence.targets) {
    for (const auto& address : te.addresses)
      if (address.http) add(*address.http);
    if (te.proxy_path) add(te.proxy_path->http);
  }
  if (evidence.signed_call) add(evidence.signed_call->http);
  if (offsets.empty()) return std::nullopt;
  std::sort(offsets.begin(), offsets.end());
  return offsets[offsets.size() / 2];
}

void weigh_clock(const Evidence& evidence, std::vector<TargetVerdict>& targets) {
  const auto offset = service_clock_offset(evidence);
  if (!clock_skewed(offset)) return;
  for (std::size_t i = 0; i < targets.size() && i < evidence.targets.size(); ++i) {
    TargetVerdict& tv = targets[i];
    const TargetEvidence& te = evidence.targets[i];
    if (tv.status == Status::critical) continue;  // a lower layer fails first
    const bool any_answer =
        std::any_of(te.addresses.begin(), te.addresses.end(),
                    [](const AddressEvidence& a) { return answered(a.http); }) ||
        (te.proxy_path && te.proxy_path->failed_stage.empty());
    if (!any_answer) continue;
    tv.status = Status::critical;
    CauseText t;
    t.headline = "This instance's clock is " + clock_offset_words(*offset) + " AWS's.";
    t.what = "The endpoints' Date headers are " + gap_text(std::llround(std::fabs(*offset))) +
             (*offset > 0 ? " later" : " earlier") +
             " than this instance's clock; SigV4 allows 5 minutes.";
    t.why =
        "AWS rejects signed requests whose time is more than 5 minutes off, so every call "
        "the agent makes fails with \"Signature expired\".";
    t.remedy = time_sync_remedy();
    fill_failure(tv, Cause::auth_clock_skew, t);
  }
}

void weigh_credentials(const Evidence& evidence, TargetVerdict& imds) {
  const auto& credentials = evidence.context.imds.credentials;
  if (!credentials || imds.status == Status::critical) return;
  // IMDS did not give a value the agent needs (unanswered, throttled): what
  // the credentials are is unknown, never absent.
  if (imds.failed_layer() == Layer::imds && imds.cause != Cause::imds_token_failed) return;
  const std::string region = region_of(evidence);
  const std::string instance = fact(evidence, "meta-data/instance-id", "<instance-id>");
  const std::string account = fact(evidence, "account-id", "<account-id>");
  const auto& c = *credentials;
  CauseText t;
  Cause cause = Cause::auth_no_credentials;

  if (!c.role.empty() && !c.code.empty() && c.code != "Success") {
    cause = Cause::auth_no_credentials;
    t.headline = "IMDS cannot hand out the role " + c.role + "'s credentials (" + c.code + ").";
    t.what = "IMDS answers the instance profile's credentials with Code \"" + c.code + "\".";
    t.why = c.code == "AssumeRoleUnauthorizedAccess"
                ? "The role's trust policy does not let ec2.amazonaws.com assume it."
                : "EC2 could not get credentials for the instance profile's role.";
    t.remedy =
        "Check the role's trust policy (principal ec2.amazonaws.com) and that it "
        "still exists:\n$ aws iam get-role --role-name " +
        (c.role.empty() ? "<role>" : c.role) + " --query Role.AssumeRolePolicyDocument";
  } else if (c.source.empty()) {
    cause = Cause::auth_no_credentials;
    // A role whose answer is unusable (malformed, oversized) is not a
    // missing instance profile: the headline must not send anyone to attach one.
    t.headline = c.role.empty() || c.error.empty()
                     ? "No instance profile and no Default Host Management: no credentials."
                     : "IMDS's answer for role " + c.role + "'s credentials is unusable.";
    t.what = "IMDS serves no credentials for this instance: " +
             (c.error.empty() ? "no instance profile role, and no Default Host Management "
                                "identity"
                              : c.error) +
             ".";
    t.why =
        "The agent signs every call with these credentials: without them it cannot "
        "register.";
    t.remedy =
        "Attach an instance profile whose role has the AmazonSSMManagedInstanceCore policy, or "
        "turn on Default Host Management Configuration for this account and region:\n"
        "$ aws ec2 associate-iam-instance-profile --region " +
        region + " --instance-id " + instance +
        " --iam-instance-profile Name=<instance-profile>\n"
        "$ aws ssm get-service-setting --region " +
        region + " --setting-id arn:aws:ssm:" + region + ":" + account +
        ":servicesetting/ssm/managed-instance/default-ec2-instance-management-role";
  } else {
    const auto expires = parse_utc(c.expiration);
    const auto now = parse_utc(evidence.context.started_at);
    if (!expires || !now || *expires > *now) return;
    cause = Cause::auth_expired_credentials;
    t.headline = "The credentials IMDS serves expired " + c.expiration + ".";
    t.what = "IMDS serves " +
             (c.role.empty() ? std::string("credentials") : "role " + c.role + "'s credentials") +
             " that expired at " + c.expiration + " by this instance's clock (" +
             evidence.context.started_at +
             gap_note(evidence.context.started_at, c.expiration, "later") + ").";
    t.why =
        "IMDS renews credentials well before they expire, so this instance's clock most "
        "likely runs ahead.";
    t.remedy = time_sync_remedy();
  }
  imds.status = Status::critical;
  fill_failure(imds, cause, t);
  imds.impact = "The agent cannot sign its calls: the instance stays offline in Fleet Manager.";
}

namespace {

// The signed call was due and did not happen, or got no answer, and nothing
// else in the verdict says why: the credentials, IAM and the endpoint policy
// went unchecked, which is never a silent pass.
void weigh_unchecked(const Evidence& evidence, const std::optional<TargetVerdict>& imds,
                     TargetVerdict* ssm, const std::string& why) {
  const auto& call = *evidence.signed_call;
  // Not due: the user said so, Default Host Management has no role to call
  // with, or IMDS is not used (--no-imds, a hybrid registration).
  if (call.skipped == "--no-auth" || !evidence.context.imds.attempted) return;
  if (call.credentials_source == "default-host-management") return;
  // The trust store explains it (tls.trust-store on the endpoints).
  if (!evidence.context.trust_store.usable()) return;
  // Explained elsewhere: IMDS's own finding, or no way to the ssm endpoint.
  if (imds && imds->status != Status::ok) return;
  if (!ssm || ssm->status == Status::critical) return;
  if (ssm->cause) {  // one of several ENIs, say: its block stays, this one adds
    ssm->status = worst(ssm->status, Status::warning);
    return;
  }
  CauseText t;
  t.headline = "The agent's credentials were not checked: " + why + ".";
  t.what =
      "The signed ssm:ListInstanceAssociations call, which proves the credentials, IAM and "
      "the VPC endpoint policy, " +
      why + ".";
  t.why = "The network path to ssm works, but whether the agent may use it is unknown.";
  t.remedy =
      "Run ssm-reach again; to check by hand with the instance's credentials:\n"
      "$ aws ssm describe-instance-information --region " +
      region_of(evidence) + " --filters Key=InstanceIds,Values=" +
      fact(evidence, "meta-data/instance-id", "<instance-id>");
  ssm->status = Status::warning;
  fill_failure(*ssm, Cause::auth_unchecked, t);
  ssm->impact = "Unknown: if the credentials or a policy deny the agent, it stays offline.";
}

// The words of the signed call's answer (all but what was seen): per cause
// a headline, why and the remedy.
CauseText signed_call_text(Cause cause, const std::string& region, const std::string& role,
                           const std::string& said) {
  CauseText t;
  switch (cause) {
    case Cause::auth_endpoint_policy_deny:
      t.headline = "The VPC endpoint policy of ssm denies the agent.";
      t.why =
          "The ssm interface endpoint's policy does not allow the agent's calls, so "
          "registration fails even though IAM allows it.";
      t.remedy =
          "Allow the agent's ssm actions in the endpoint's policy (or use the default "
          "full-access policy):\n"
          "$ aws ec2 describe-vpc-endpoints --region " +
          region + " --filters Name=service-name,Values=com.amazonaws." + region +
          ".ssm --query 'VpcEndpoints[].[VpcEndpointId,PolicyDocument]'\n"
          "$ aws ec2 modify-vpc-endpoint --region " +
          region + " --vpc-endpoint-id <vpce-id> --reset-policy";
      break;
    case Cause::auth_access_denied:
      t.headline = "IAM denies the agent's calls: the role lacks SSM permissions.";
      t.why = "The instance profile's role has no policy that allows the agent's calls.";
      t.remedy =
          "Attach AmazonSSMManagedInstanceCore to the role:\n"
          "$ aws iam attach-role-policy --role-name " +
          role + " --policy-arn arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
      break;
    case Cause::auth_clock_skew:
      t.headline = "AWS rejects the signature: this instance's clock is off.";
      t.why = "SigV4 signatures are valid for 5 minutes around AWS's time.";
      t.remedy = time_sync_remedy();
      break;
    case Cause::auth_expired_credentials:
      t.headline = "AWS says the instance's credentials are expired.";
      t.why =
          "IMDS renews credentials well before they expire: this instance's clock runs "
          "ahead, or the credentials are stale.";
      t.remedy = time_sync_remedy();
      break;
    case Cause::auth_invalid_credentials:
      t.headline = "AWS does not accept the instance's credentials.";
      t.why =
          "The credentials IMDS serves are not valid for this partition or region, or a "
          "device on the way altered the request.";
      t.remedy =
          "Compare with the AWS CLI on this instance:\n$ aws sts get-caller-identity "
          "--region " +
          region;
      break;
    default:  // auth.throttled, auth.service-error, auth.unexpected-answer
      t.headline = "The signed call got an unexpected answer (" + said + ").";
      t.why = cause == Cause::auth_throttled ? "The account's SSM API rate is exhausted for now."
                                             : "The service answered with an error of its own.";
      t.remedy = "Run ssm-reach again in a minute.";
      break;
  }
  return t;
}

}  // namespace

void weigh_signed_call(const Evidence& evidence, const std::optional<TargetVerdict>& imds,
                       std::vector<TargetVerdict>& targets, std::vector<std::string>& notes) {
  if (!evidence.signed_call) return;
  const auto& call = *evidence.signed_call;
  TargetVerdict* ssm = find_target(targets, "ssm");
  if (!call.skipped.empty()) {
    if (call.skipped != "--no-auth")
      notes.push_back("Signed call (ssm:ListInstanceAssociations) not made: " + call.skipped + ".");
    weigh_unchecked(evidence, imds, ssm, "the call was not made (" + call.skipped + ")");
    return;
  }
  if (call.http.outcome != netcheck::HttpOutcome::ok) {
    const std::string words =
        call.http.error.empty() ? std::string(to_string(call.http.outcome)) : call.http.error;
    notes.push_back("Signed call (ssm:ListInstanceAssociations) got no answer: " + words + ".");
    weigh_unchecked(evidence, imds, ssm, "the call got no answer (" + words + ")");
    return;
  }
  const std::optional<Cause> cause =
      signed_call_cause(call.http.status, AwsError{call.error_type, call.error_message});
  if (!ssm) return;
  if (!cause) {
    if (ssm->status == Status::ok)
      ssm->headline += " Signed call ok: credentials, IAM and endpoint policy let the agent in.";
    return;
  }
  if (ssm->cause == cause) return;  // the clock rule said it already
  if (ssm->status == Status::critical) return;

  const std::string region = region_of(evidence);
  const std::string role = [&] {
    const auto& c = evidence.context.imds.credentials;
    return c && !c->role.empty() ? c->role : std::string("<role>");
  }();
  const std::string status = std::to_string(call.http.status);
  const std::string said =
      call.error_type.empty() ? "HTTP " + status : call.error_type + " (HTTP " + status + ")";
  const std::string message = call.error_message.empty() ? "" : ": \"" + call.error_message + "\"";
  CauseText t = signed_call_text(*cause, region, role, said);
  t.what = "A signed ssm:ListInstanceAssociations call for this instance, via " + call.via +
           ", was answered " + said + message + ".";
  ssm->status = default_severity(*cause).value_or(Status::critical);
  fill_failure(*ssm, *cause, t);
}

}  // namespace ssmreach::diagnosis_detail
