#include "probe/diagnose/imds_diagnosis.h"

#include <algorithm>
#include <string_view>
#include <vector>

#include "probe/diagnose/cause_text.h"
#include "probe/evidence/address_class.h"
#include "probe/util/text_util.h"

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

// How a value the agent needs came back from IMDS.
enum class ReadOutcome { usable, unanswered, throttled, bad };

ReadOutcome read_outcome(const ImdsCall& call) {
  if (call.outcome != HttpOutcome::ok) return ReadOutcome::unanswered;
  if (call.status == 429 || call.status == 503) return ReadOutcome::throttled;
  if (call.status == 404) return ReadOutcome::usable;  // an answer: absence, judged by auth
  if (call.status == 200) return call.bad_answer.empty() ? ReadOutcome::usable : ReadOutcome::bad;
  return ReadOutcome::bad;  // 500, 403, ...: nothing the agent can use
}

// A value the agent needs, and the call that was to read it.
struct Need {
  const ImdsCall* call = nullptr;
  std::string what;         // "the instance identity document (region, instance id)"
  bool credential = false;  // without it no signed call is made
};

constexpr std::string_view kRoleList = "/latest/meta-data/iam/security-credentials/";
constexpr std::string_view kIdentityCredentials =
    "/latest/meta-data/identity-credentials/ec2/security-credentials/ec2-instance";

// What the agent reads from IMDS, in the order it reads it, as far as
// this run asked for it (a recorded file may hold older paths). The order
// is the agent's, not the order the answers came in: on two connections
// they race, and the verdict must not depend on which won.
std::vector<Need> agent_needs(const ImdsEvidence& imds) {
  std::vector<std::pair<int, Need>> ranked;
  auto add = [&](int rank, const ImdsCall& call, std::string what, bool credential) {
    ranked.push_back({rank, {&call, std::move(what), credential}});
  };
  for (const auto& call : imds.calls) {
    if (call.method != "GET") continue;
    const std::string_view path = call.path;
    if (path == "/latest/dynamic/instance-identity/document")
      add(0, call, "the instance identity document (region, instance id)", false);
    else if (path == "/latest/meta-data/placement/region")
      add(1, call, "the region", false);
    else if (path == kRoleList)
      add(2, call, "the instance profile's role", true);
    else if (path.starts_with(kRoleList))
      add(3, call, "the role's credentials", true);
    else if (path == kIdentityCredentials)
      add(4, call, "the instance identity credentials (Default Host Management)", true);
  }
  std::stable_sort(ranked.begin(), ranked.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Need> needs;
  for (auto& [rank, need] : ranked) needs.push_back(std::move(need));
  return needs;
}

// ", 3 attempts": how hard IMDS was asked.
std::string attempts_words(const ImdsCall& call) {
  return call.attempts <= 1 ? "" : ", " + std::to_string(call.attempts) + " attempts";
}

// " (the earlier attempts: 429, 429)", or "".
std::string earlier_words(const ImdsCall& call) {
  return call.earlier.empty() ? "" : " (the earlier attempts: " + call.earlier + ")";
}

std::string by_hand(const ImdsEvidence& imds, const ImdsCall& call) {
  const std::string base = imds.endpoint.empty() ? "http://169.254.169.254" : imds.endpoint;
  const std::string token_put =
      "curl -sX PUT " + base + "/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 60'";
  if (call.method == "PUT") return "$ " + token_put + " | wc -c";
  const bool secret = call.path.find("security-credentials") != std::string::npos;
  return "$ TOKEN=$(" + token_put +
         ")\n$ curl -s -m 2 -w ' %{http_code}\\n' -H \"X-aws-ec2-metadata-token: $TOKEN\" " + base +
         call.path + (secret ? " | grep -c AccessKeyId" : "");
}

// A value the agent needs that IMDS did not give: unanswered or throttled
// (unknown, a warning: nothing says it is missing) or unusable (the agent
// reads the same answer and fails: critical).
bool judge_need(const ImdsEvidence& imds, const Need& need, TargetVerdict& tv) {
  const ImdsCall& call = *need.call;
  const ReadOutcome outcome = read_outcome(call);
  if (outcome == ReadOutcome::usable) return false;
  const std::string get = call.method + " " + call.path;
  const std::string unchecked =
      need.credential ? " No signed call was made: the credentials, IAM and the VPC endpoint "
                        "policy were not checked."
                      : "";
  CauseText t;
  Cause cause = Cause::imds_bad_answer;
  if (outcome == ReadOutcome::bad) {
    tv.status = Status::critical;
    const std::string said =
        call.status == 200 ? call.bad_answer : "HTTP " + std::to_string(call.status);
    t.headline = "IMDS's answer for " + need.what + " is unusable (" + said + ").";
    t.what = get + " answered " + std::to_string(call.status) +
             (call.status == 200 ? ", but " + call.bad_answer : "") +
             ": the agent reads the same answer and cannot use it." + unchecked;
    t.why =
        "Something between this instance and IMDS rewrites or cuts its answers (a local proxy "
        "or agent that handles 169.254.169.254), or the metadata service is failing for this "
        "instance.";
    t.remedy =
        "Make sure no proxy handles 169.254.169.254 (no_proxy), look at the answer by hand, "
        "and if IMDS itself answers this way, stop and start the instance (it moves to a new "
        "host):\n" +
        by_hand(imds, call);
    tv.impact =
        "The agent cannot start with this answer: the instance stays offline in Fleet "
        "Manager.";
  } else {
    cause = outcome == ReadOutcome::throttled ? Cause::imds_throttled : Cause::imds_timeout;
    tv.status = Status::warning;
    const std::string tries =
        call.attempts > 1 ? " on all " + std::to_string(call.attempts) + " attempts" : "";
    if (outcome == ReadOutcome::throttled) {
      t.headline = "IMDS throttled the request for " + need.what + ": " +
                   std::to_string(call.status) + tries + ".";
      t.what = "IMDS answered other requests, but " + get + " got " + std::to_string(call.status) +
               tries + ".";
    } else {
      const std::string how = http_failure_words(call);
      t.headline =
          "Could not read " + need.what + " from IMDS: " + how + attempts_words(call) + ".";
      t.what = "IMDS answered other requests, but " + get + " got " + how + attempts_words(call) +
               earlier_words(call) + ".";
    }
    t.what += " The value is unknown, not absent." + unchecked;
    t.why = outcome == ReadOutcome::throttled
                ? "IMDS limits the requests per second of each instance; something on this "
                  "instance calls it often (SDK clients without a credential cache, a "
                  "monitoring agent), and the agent is throttled the same way."
                : "IMDS limits simultaneous connections per instance and drops the rest; a "
                  "busy IMDS, a local firewall rule or proxy for 169.254.169.254 can hold a "
                  "single request too.";
    t.remedy =
        "Run ssm-reach again; if it persists, find what else talks to IMDS and try the "
        "request by hand:\n"
        "$ sudo ss -tnp dst 169.254.169.254\n" +
        by_hand(imds, call);
    tv.impact = "Unknown, not broken: while IMDS answers this way, the agent cannot read " +
                need.what + " either and retries, so it may register late or not at all.";
  }
  fill_failure(tv, cause, t);
  return true;
}

bool judge_unread(const ImdsEvidence& imds, TargetVerdict& tv) {
  for (const Need& need : agent_needs(imds))
    if (judge_need(imds, need, tv)) return true;
  return false;
}

// Nothing answered at the IMDS address.
void imds_unreachable(const ImdsEvidence& imds, const ImdsCall* put, const ImdsCall* first_get,
                      const std::string& r, const std::string& instance_id, TargetVerdict& tv) {
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
  fill_failure(tv, Cause::imds_unreachable, t);
}

// The endpoint choice in words: " (chosen by AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE)".
std::string chosen_by(const ImdsEvidence& imds) {
  return imds.endpoint_source.empty() ? "" : " (chosen by " + imds.endpoint_source + ")";
}

// Nothing answered at IMDS's IPv6 endpoint [fd00:ec2::254].
void imds_ipv6_disabled(const ImdsEvidence& imds, const ImdsCall* failed, const std::string& r,
                        const std::string& instance_id, TargetVerdict& tv) {
  const std::string words = failed ? http_failure_words(*failed) : "no request made";
  tv.status = Status::critical;
  CauseText t;
  t.headline = "IMDS's IPv6 endpoint " + imds.endpoint + " does not answer (" + words + ").";
  t.what = "Nothing answered at " + imds.endpoint + chosen_by(imds) + " (" + words +
           "), so the agent cannot read its region or the instance profile's credentials there.";
  t.why =
      "IMDS answers on IPv6 only when the instance's metadata options enable it "
      "(HttpProtocolIpv6, off by default), and only on Nitro instances with an IPv6 address.";
  t.remedy =
      "Enable IMDS's IPv6 endpoint (the IPv4 one stays on), or, where the instance has IPv4, "
      "drop the IPv6 endpoint mode from the agent's and this shell's environment:\n"
      "$ aws ec2 modify-instance-metadata-options --region " +
      r + " --instance-id " + instance_id +
      " --http-protocol-ipv6 enabled\n"
      "$ aws ec2 describe-instances --region " +
      r + " --instance-ids " + instance_id +
      " --query 'Reservations[].Instances[].MetadataOptions'";
  fill_failure(tv, Cause::imds_ipv6_disabled, t);
}

// IMDS's IPv4 endpoint without an IPv4 route: an IPv6-only instance that
// was not told to use [fd00:ec2::254].
void imds_no_ipv4_route(const ImdsEvidence& imds, const ImdsCall* failed, const std::string& r,
                        const std::string& instance_id, TargetVerdict& tv) {
  const std::string words = failed ? http_failure_words(*failed) : "no request made";
  tv.status = Status::critical;
  CauseText t;
  t.headline = "No IPv4 route to IMDS at " + imds.endpoint + ": this instance looks IPv6-only.";
  t.what = "Nothing answered at " + imds.endpoint + " (" + words +
           ") while IPv6 works and no IPv4 address answers: this instance has no IPv4 route, "
           "so IMDS's IPv4 endpoint is out of reach, for the agent too.";
  t.why =
      "In an IPv6-only subnet IMDS answers at [fd00:ec2::254], and the AWS SDKs (the agent "
      "reads IMDS with one) use it only when AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6 is "
      "in their environment.";
  t.remedy =
      "Enable IMDS's IPv6 endpoint, give the agent the IPv6 endpoint mode in a systemd "
      "drop-in, restart it, and check the same way:\n"
      "$ aws ec2 modify-instance-metadata-options --region " +
      r + " --instance-id " + instance_id +
      " --http-protocol-ipv6 enabled\n"
      "$ sudo mkdir -p /etc/systemd/system/amazon-ssm-agent.service.d\n"
      "$ printf '[Service]\\nEnvironment=AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6\\n' | "
      "sudo tee /etc/systemd/system/amazon-ssm-agent.service.d/imds-ipv6.conf\n"
      "$ sudo systemctl daemon-reload && sudo systemctl restart amazon-ssm-agent\n"
      "$ AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE=IPv6 ssm-reach";
  fill_failure(tv, Cause::imds_no_ipv4_route, t);
}

// The IMDSv2 token PUT failed; `get_ok`: GETs answer without a token.
void token_failed(const ImdsEvidence& imds, const ImdsCall* put, const ImdsCall* first_get,
                  bool get_ok, const std::string& r, const std::string& instance_id,
                  TargetVerdict& tv) {
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
  fill_failure(tv, Cause::imds_token_failed, t);
}

// The token came, then no metadata GET (of `gets`) was answered.
void token_then_nothing(const ImdsEvidence& imds, const ImdsCall* first_get, std::size_t gets,
                        TargetVerdict& tv) {
  const std::string words = http_failure_words(*first_get);
  tv.status = Status::critical;
  CauseText t;
  t.headline = "IMDS gave a token, then no metadata (" + words + ").";
  t.what = "The token PUT to " + imds.endpoint + " answered, but none of the " +
           std::to_string(gets) + " metadata GETs did (" + words +
           "), so the agent cannot read its region or the instance profile's credentials.";
  t.why =
      "Something between this instance and IMDS passes the token request but holds the "
      "others (a local proxy or firewall rule for 169.254.169.254), or the metadata "
      "service is failing.";
  t.remedy =
      "Check this host's firewall and proxy settings for 169.254.169.254, then try by "
      "hand:\n"
      "$ TOKEN=$(curl -sX PUT http://169.254.169.254/latest/api/token -H "
      "'X-aws-ec2-metadata-token-ttl-seconds: 60')\n"
      "$ curl -s -m 2 -H \"X-aws-ec2-metadata-token: $TOKEN\" "
      "http://169.254.169.254/latest/meta-data/instance-id";
  fill_failure(tv, Cause::imds_timeout, t);
}

}  // namespace

std::optional<TargetVerdict> diagnose_imds(const ImdsEvidence& imds, const ImdsSummary& summary,
                                           const std::string& region, bool ipv6_only) {
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

  auto call_at = [&imds](const std::optional<std::size_t>& index) -> const ImdsCall* {
    return index ? &imds.calls[*index] : nullptr;
  };
  const ImdsCall* put = call_at(summary.first_put);
  const ImdsCall* first_get = call_at(summary.first_get);

  const ImdsCall* first = put ? put : first_get;
  const bool ipv6_endpoint = endpoint.host.find(':') != std::string::npos;
  const bool all_unreachable =
      !imds.calls.empty() && std::all_of(imds.calls.begin(), imds.calls.end(), [](auto& call) {
        return call.outcome == HttpOutcome::unreachable;
      });
  if (!summary.answered && endpoint.host == "fd00:ec2::254") {
    imds_ipv6_disabled(imds, first, r, instance_id, tv);
  } else if (!summary.answered && !ipv6_endpoint && all_unreachable && ipv6_only) {
    imds_no_ipv4_route(imds, first, r, instance_id, tv);
  } else if (!summary.answered) {
    imds_unreachable(imds, put, first_get, r, instance_id, tv);
  } else if (put && !put->bad_answer.empty()) {
    // A token the agent cannot use: cut, like any answer of a streaming or
    // broken IMDS.
    judge_need(imds, Need{put, "the IMDSv2 token", false}, tv);
  } else if (put && !imds.token_ok) {
    token_failed(imds, put, first_get, summary.get_ok, r, instance_id, tv);
  } else if (first_get && !summary.get_answered) {
    // The token came, then nothing: a metadata service that hangs (or a
    // middlebox that lets only the PUT through) starves the agent as surely.
    token_then_nothing(imds, first_get, summary.gets, tv);
  } else if (!judge_unread(imds, tv)) {
    tv.status = Status::ok;
    tv.headline = imds.token_ok ? "IMDSv2 answers." : "IMDS answers.";
  }
  if (!tv.impact.empty()) return tv;
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
