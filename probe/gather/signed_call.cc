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

bool SignedCallStarter::credentials_usable() const {
  return credentials_settled_ && no_credentials_reason_.empty() && !instance_id_.empty();
}

void SignedCallStarter::claim(const TargetEvidence& target, std::size_t, AddressExchange exchange) {
  // Through a proxy the call follows the proxy path (path_answered).
  if (claim_made_ || started_ || target.target.service != "ssm" ||
      !settings_.proxy_curl_url.empty() || !settings_.skip_reason.empty())
    return;
  claim_made_ = true;
  have_path_ = true;
  ssm_ = target.target;
  pin_ = exchange.address();
  claimed_ = std::move(exchange);
  maybe_start();
}

void SignedCallStarter::path_answered(const TargetEvidence& target,
                                      const AddressEvidence* address) {
  if (target.target.service != "ssm") return;
  const bool proxied = !settings_.proxy_curl_url.empty() && target.no_proxy_match.empty();
  // The agent takes the proxy when one applies: only that path counts.
  if (proxied != (address == nullptr)) return;
  if (claim_made_) {
    // The claimed address itself: the call goes there through its exchange.
    if (address->ip == pin_ && have_path_) return;
    // Direct, with the first address claimed: another address is where the
    // call goes should that one not be reached.
    if (!fallback_) fallback_ = address->ip;
    if (have_path_) return;
  } else if (have_path_) {
    return;
  }
  have_path_ = true;
  ssm_ = target.target;
  via_proxy_ = proxied;
  if (address) pin_ = address->ip;
  maybe_start();
}

netcheck::HttpRequest SignedCallStarter::signed_request() {
  netcheck::HttpRequest request =
      list_instance_associations_request(ssm_.host, ssm_.port, settings_.region, instance_id_,
                                         credentials_, std::time(nullptr), settings_.timeout);
  request.trust = settings_.trust;
  request.client = settings_.client;
  request.user_agent = settings_.user_agent;
  request.max_body = 4096;
  return request;
}

void SignedCallStarter::maybe_start() {
  if (started_ || !have_path_ || !settings_.skip_reason.empty() || !credentials_usable()) return;
  started_ = true;

  SignedCallEvidence evidence;
  evidence.via = via_proxy_ ? settings_.proxy_redacted : pin_->text;
  evidence.credentials_source = credentials_source_;
  *out_ = std::move(evidence);

  netcheck::HttpRequest request = signed_request();
  if (claimed_) {
    // The address's own exchange: the call goes first on its connection
    // (or, should TCP have connected before the credentials came, after
    // its GET /, on that connection when the server kept it alive).
    AddressExchange exchange = std::move(*claimed_);
    claimed_.reset();
    exchange.send(std::move(request),
                  [this](const netcheck::HttpResponse& response) { on_claimed_answer(response); });
    return;
  }
  // The secrets are in the signed request now; this copy is not needed.
  credentials_ = AwsCredentials{};
  if (via_proxy_)
    request.proxy = settings_.proxy_curl_url;
  else
    request.pin_address = pin_;
  // With the shared client, a connection the server kept alive (this
  // address's GET /, the proxy's tunnel) carries it.
  loop_.add(netcheck::make_http_task(
      std::move(request), [this](const netcheck::HttpResponse& response) { record(response); }));
}

// The claimed address never got the call (no connection, no verified
// handshake): it goes to another address that verified, now or once one
// does. Any other answer, a timeout after the request included, is the call's.
void SignedCallStarter::on_claimed_answer(const netcheck::HttpResponse& response) {
  const bool delivered = response.outcome == netcheck::HttpOutcome::ok || response.tls_done;
  if (delivered) {
    credentials_ = AwsCredentials{};
    record(response);
    return;
  }
  started_ = false;
  have_path_ = false;
  if (!fallback_) return;
  have_path_ = true;
  pin_ = fallback_;
  maybe_start();
}

void SignedCallStarter::record(const netcheck::HttpResponse& response) {
  SignedCallEvidence& call = **out_;
  call.http = to_http_evidence(response, std::time(nullptr));
  if (response.outcome == netcheck::HttpOutcome::ok &&
      (response.status < 200 || response.status > 299)) {
    AwsError error = parse_aws_error(response.body);
    call.error_type = std::move(error.type);
    call.error_message = std::move(error.message);
  }
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
