// The signed read-only call (ssm:ListInstanceAssociations for this
// instance), started as soon as both halves are known: the credentials from
// IMDS and a path to the ssm endpoint.
//
// Direct, the call is the HTTPS exchange of the ssm endpoint's first address
// (claim): it goes first on that connection, as soon as the credentials are
// there, so it costs no round trips beyond the TCP, TLS and one request
// every address makes anyway, and that address's HTTP evidence is its
// answer. Credentials that are not there by the time the address's TCP
// connected do not hold its TLS and HTTP checks hostage: its exchange is
// GET / then, and the call follows on its own. Should that address not be reached, the
// call goes to another address whose TLS verified (on that address's idle
// connection when the server kept it alive). Through a proxy, it follows
// the proxy path once that answered HTTP.
#pragma once

#include <optional>
#include <string>

#include "netcheck/clock.h"
#include "netcheck/event_loop.h"
#include "netcheck/http.h"
#include "probe/evidence/evidence.h"
#include "probe/gather/gather.h"
#include "probe/gather/sigv4.h"

namespace ssmreach {

struct SignedCallSettings {
  std::string skip_reason;  // "--no-auth", "IMDS is disabled (--no-imds)": never started
  std::string region;
  netcheck::Duration timeout{};
  std::shared_ptr<const netcheck::TrustAnchors> trust;
  std::shared_ptr<netcheck::HttpClient> client;
  std::string user_agent;
  std::string proxy_curl_url;  // the agent's https proxy (with credentials), "" for none
  std::string proxy_redacted;
};

class SignedCallStarter {
 public:
  // `out` must outlive the loop's run.
  SignedCallStarter(netcheck::EventLoop& loop, SignedCallSettings settings,
                    std::optional<SignedCallEvidence>* out);

  // The region may come from IMDS, after construction.
  void set_region(std::string region) { settings_.region = std::move(region); }
  // Known only once the trust store was read: a call that cannot be verified
  // is not made.
  void set_skip_reason(std::string reason) { settings_.skip_reason = std::move(reason); }
  void set_trust(std::shared_ptr<const netcheck::TrustAnchors> trust) {
    settings_.trust = std::move(trust);
  }
  // IMDS settled the credentials: its evidence (instance id, credential description) and
  // the secret credentials, which are copied and held only until the call.
  void credentials_settled(const ImdsEvidence& imds, const AwsCredentials& credentials);
  // GatherSettings::claim: the direct call takes the HTTPS exchange of the
  // ssm endpoint's first address.
  void claim(const TargetEvidence& target, std::size_t index, AddressExchange exchange);
  // A path to an endpoint is good enough: through the proxy (`address`
  // null) it answered HTTP; direct, `address` verified TLS or answered HTTP.
  void path_answered(const TargetEvidence& target, const AddressEvidence* address);
  // The run is over: a call that never started says why.
  void finish();

 private:
  bool direct() const;
  bool credentials_usable() const;
  void maybe_start();
  netcheck::HttpRequest signed_request();
  void record(const netcheck::HttpResponse& response);
  void on_claimed_answer(const netcheck::HttpResponse& response);

  netcheck::EventLoop& loop_;
  SignedCallSettings settings_;
  std::optional<SignedCallEvidence>* out_;
  bool credentials_settled_ = false;
  std::string instance_id_;
  std::string credentials_source_;
  std::string no_credentials_reason_;
  AwsCredentials credentials_;
  // The path: the ssm endpoint's host and port, and how to get there.
  bool have_path_ = false;
  Target ssm_;
  std::optional<netcheck::IpAddress> pin_;  // direct, through this address
  bool via_proxy_ = false;
  // The ssm endpoint's first address, whose exchange this call is; empty
  // once it was sent.
  std::optional<AddressExchange> claimed_;
  bool claim_made_ = false;
  // Another address that verified while the claimed one was tried: where
  // the call goes should the claimed address not be reached.
  std::optional<netcheck::IpAddress> fallback_;
  bool started_ = false;
};

}  // namespace ssmreach
