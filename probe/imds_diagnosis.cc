#include "probe/imds_diagnosis.h"

#include "probe/address_class.h"
#include "probe/cause_text.h"
#include "probe/text_util.h"

namespace ssmreach::diagnosis_detail {
namespace {

using netcheck::HttpOutcome;

std::string http_failure_words(const ImdsCall& call) {
  switch (call.outcome) {
    case HttpOutcome::timeout:
      return "no answer within " + seconds_text(call.ms);
    case HttpOutcome::refused:
      return "connection refused";
    case HttpOutcome::unreachable:
      return "no route to it";
    case HttpOutcome::ok:
      return "HTTP " + std::to_string(call.status);
    case HttpOutcome::error:
      break;
  }
  return call.error.empty() ? std::string("an error") : call.error;
}

}  // namespace

std::optional<TargetVerdict> diagnose_imds(const ImdsEvidence& imds, const std::string& region) {
  if (!imds.attempted) return std::nullopt;
  TargetVerdict tv;
  tv.service = "imds";
  const auto endpoint = url_host_port(imds.endpoint);
  tv.host = endpoint.host;
  tv.port = endpoint.port;
  tv.required = true;
  const auto id = imds.facts.find("meta-data/instance-id");
  const std::string instance_id =
      id != imds.facts.end() && !id->second.empty() ? id->second : "<instance-id>";
  const std::string r = region.empty() ? "<region>" : region;

  const ImdsCall* put = nullptr;
  const ImdsCall* first_get = nullptr;
  bool any_answer = false, get_ok = false;
  for (const auto& call : imds.calls) {
    if (call.method == "PUT" && !put) put = &call;
    if (call.method == "GET" && !first_get) first_get = &call;
    any_answer |= call.outcome == HttpOutcome::ok;
    get_ok |= call.method == "GET" && call.outcome == HttpOutcome::ok && call.status == 200;
  }

  if (!any_answer) {
    const ImdsCall* failed = put ? put : first_get;
    const std::string words = failed ? http_failure_words(*failed) : "no request made";
    tv.status = Status::critical;
    CauseText t;
    t.headline = "IMDS at " + imds.endpoint + " does not answer (" + words + ").";
    t.what = "Nothing answered at " + imds.endpoint + " (" + words +
             "), so the agent cannot read its region or the instance profile's credentials.";
    t.why =
        "The metadata service is disabled for this instance, a local firewall blocks "
        "169.254.169.254, or this is not an EC2 instance (on premises, pass --no-imds).";
    t.remedy =
        "Enable the metadata service, and check this host's firewall for rules on "
        "169.254.169.254:\n"
        "$ aws ec2 describe-instances --region " +
        r + " --instance-ids " + instance_id +
        " --query 'Reservations[].Instances[].MetadataOptions'\n"
        "$ aws ec2 modify-instance-metadata-options --region " +
        r + " --instance-id " + instance_id +
        " --http-endpoint enabled\n"
        "$ sudo iptables -S OUTPUT; sudo nft list ruleset | grep 169.254.169.254";
    fill_failure(tv, "imds", "imds.unreachable", t);
  } else if (put && !imds.token_ok) {
    const std::string put_words = http_failure_words(*put);
    tv.status = get_ok ? Status::warning : Status::critical;
    CauseText t;
    t.headline = "IMDSv2 token request failed (" + put_words + "); GETs " +
                 (get_ok ? "answer without a token." : "are refused without one.");
    t.what = "The token PUT to " + imds.endpoint + "/latest/api/token failed (" + put_words +
             ") while plain GETs answer" +
             (get_ok ? ": the agent falls back to IMDSv1 after a delay, and stops working "
                       "once IMDSv2 is required."
                     : " with " +
                           // An evidence file may hold a PUT and no GET at all.
                           (first_get ? http_failure_words(*first_get) : std::string("nothing")) +
                           " (IMDSv2 is required), so the agent gets no credentials.");
    t.why =
        "A hop limit of 1 drops the PUT's answer for requests from a container or network "
        "namespace, or a proxy or firewall blocks PUT requests to 169.254.169.254.";
    t.remedy =
        "Raise the hop limit to 2 (and keep IMDSv2 required); make sure no proxy handles "
        "169.254.169.254 (no_proxy):\n"
        "$ aws ec2 modify-instance-metadata-options --region " +
        r + " --instance-id " + instance_id +
        " --http-put-response-hop-limit 2 --http-tokens required";
    fill_failure(tv, "imds", "imds.token-failed", t);
  } else {
    tv.status = Status::ok;
    tv.headline = imds.token_ok ? "IMDSv2 answers." : "IMDS answers.";
  }
  // Only the token failure with working GETs is a warning: the agent still
  // starts, late, so it must not read as if it could not.
  if (tv.status == Status::warning)
    tv.impact =
        "The agent starts only after its IMDSv2 token requests time out (it falls back "
        "to IMDSv1), and not at all once IMDSv2 is required.";
  else if (tv.status != Status::ok)
    tv.impact =
        "The agent cannot start without its region and the instance profile's "
        "credentials: the instance stays offline in Fleet Manager.";
  return tv;
}

}  // namespace ssmreach::diagnosis_detail
