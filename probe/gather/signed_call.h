// The signed read-only call (ssm:ListInstanceAssociations for this
// instance), started as soon as both halves are known: the credentials from
// IMDS and a path to the ssm endpoint: a direct address whose TLS verified
// (its GET / runs beside the call), or the proxy path once it answered HTTP.
#pragma once

#include <optional>
#include <string>

#include "netcheck/clock.h"
#include "netcheck/event_loop.h"
#include "probe/evidence/evidence.h"
#include "probe/gather/gather.h"
#include "probe/gather/sigv4.h"

namespace ssmreach {

struct SignedCallSettings {
  std::string skip_reason;  // "--no-auth", "IMDS is disabled (--no-imds)": never started
  std::string region;
  netcheck::Duration timeout{};
  std::string ca_file;
  bool ca_embedded = false;  // trust the embedded Amazon roots instead
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
  // IMDS settled the credentials: its evidence (instance id, credential description) and
  // the secret credentials, which are copied and held only until the call.
  void credentials_settled(const ImdsEvidence& imds, const AwsCredentials& credentials);
  // A path to an endpoint is good enough: through the proxy (`address`
  // null) it answered HTTP; direct, `address` verified TLS or answered HTTP.
  void path_answered(const TargetEvidence& target, const AddressEvidence* address);
  // The run is over: a call that never started says why.
  void finish();

 private:
  void maybe_start();

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
  bool started_ = false;
};

}  // namespace ssmreach
