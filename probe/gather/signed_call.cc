#include "probe/gather/signed_call.h"

#include <ctime>

#include "probe/evidence/aws_error.h"
#include "probe/evidence/http_evidence.h"
#include "probe/gather/ssm_api.h"

namespace ssmreach {

SignedCallStarter::SignedCallStarter(netcheck::EventLoop& loop, SignedCallSettings settings,
                                     std::optional<SignedCallEvidence>* out)
    : loop_(loop), settings_(std::move(settings)), out_(out) {}

void SignedCallStarter::credentials_settled(const ImdsEvidence& imds,
                                            const AwsCredentials& credentials) {
  credentials_settled_ = true;
  if (auto it = imds.facts.find("meta-data/instance-id"); it != imds.facts.end())
    instance_id_ = it->second;
  if (imds.credentials) {
    credentials_source_ = imds.credentials->source;
    if (credentials_source_ == "default-host-management") {
      // The identity credentials carry no IAM permissions by design: with
      // Default Host Management the agent asks SSM for its role instead.
      no_credentials_reason_ =
          "no instance profile: the agent uses Default Host Management, whose role SSM hands "
          "out at registration, so no signed call is made";
    } else if (credentials.empty()) {
      // Absent or unread: the IMDS verdict tells which.
      no_credentials_reason_ = "IMDS gave no usable credentials";
    }
  } else {
    no_credentials_reason_ = "IMDS did not answer with credentials";
  }
  if (no_credentials_reason_.empty()) credentials_ = credentials;
  maybe_start();
}

void SignedCallStarter::path_answered(const TargetEvidence& target,
                                      const AddressEvidence* address) {
  if (have_path_ || target.target.service != "ssm") return;
  const bool proxied = !settings_.proxy_curl_url.empty() && target.no_proxy_match.empty();
  // The agent takes the proxy when one applies: only that path counts.
  if (proxied != (address == nullptr)) return;
  have_path_ = true;
  ssm_ = target.target;
  via_proxy_ = proxied;
  if (address) pin_ = address->ip;
  maybe_start();
}

void SignedCallStarter::maybe_start() {
  if (started_ || !credentials_settled_ || !have_path_ || !settings_.skip_reason.empty()) return;
  if (!no_credentials_reason_.empty() || instance_id_.empty()) return;
  started_ = true;

  SignedCallEvidence evidence;
  evidence.via = via_proxy_ ? settings_.proxy_redacted : pin_->text;
  evidence.credentials_source = credentials_source_;
  *out_ = std::move(evidence);

  netcheck::HttpRequest request =
      list_instance_associations_request(ssm_.host, ssm_.port, settings_.region, instance_id_,
                                         credentials_, std::time(nullptr), settings_.timeout);
  // The secrets are in the signed request now; this copy is not needed.
  credentials_ = AwsCredentials{};
  request.ca_file = settings_.ca_file;
  request.ca_embedded = settings_.ca_embedded;
  request.user_agent = settings_.user_agent;
  request.max_body = 4096;
  if (via_proxy_)
    request.proxy = settings_.proxy_curl_url;
  else
    request.pin_address = pin_;
  auto* out = out_;
  loop_.add(
      netcheck::make_http_task(std::move(request), [out](const netcheck::HttpResponse& response) {
        SignedCallEvidence& call = **out;
        call.http = to_http_evidence(response, std::time(nullptr));
        if (response.outcome == netcheck::HttpOutcome::ok &&
            (response.status < 200 || response.status > 299)) {
          AwsError error = parse_aws_error(response.body);
          call.error_type = std::move(error.type);
          call.error_message = std::move(error.message);
        }
      }));
}

void SignedCallStarter::finish() {
  credentials_ = AwsCredentials{};
  if (started_) return;
  SignedCallEvidence evidence;
  evidence.credentials_source = credentials_source_;
  if (!settings_.skip_reason.empty())
    evidence.skipped = settings_.skip_reason;
  else if (settings_.region.empty())
    evidence.skipped = "no region is known, so no endpoint to call";
  else if (!credentials_settled_)
    evidence.skipped = "IMDS had not told the credentials when the run ended";
  else if (!no_credentials_reason_.empty())
    evidence.skipped = no_credentials_reason_;
  else if (instance_id_.empty())
    evidence.skipped = "IMDS did not tell the instance id";
  else
    evidence.skipped = via_proxy_ || !settings_.proxy_curl_url.empty()
                           ? "no answer from the ssm endpoint through the proxy"
                           : "no address of the ssm endpoint passed TCP and TLS";
  *out_ = std::move(evidence);
}

}  // namespace ssmreach
