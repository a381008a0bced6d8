// The instance metadata service, spoken the way the SSM agent speaks it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netcheck/clock.h"
#include "netcheck/event_loop.h"
#include "netcheck/http.h"
#include "probe/evidence/evidence.h"
#include "probe/evidence/secret_fact.h"
#include "probe/gather/imds_endpoint.h"
#include "probe/gather/sigv4.h"
#include "probe/util/environment.h"

namespace ssmreach {

struct ImdsSettings {
  bool enabled = true;
  std::string endpoint = kImdsIpv4Endpoint;
  std::string endpoint_source{};  // imds_endpoint.h: who chose it; empty for the default
  std::string endpoint_note{};    // a setting that could not be used
  std::string skipped_by;         // why not enabled
  // Each IMDS request gets this much. IMDS answers in well under a
  // millisecond on EC2, so a short limit of its own keeps a blackholed IMDS
  // (not on EC2, hop limit, iptables) from stalling the run.
  netcheck::Duration timeout = std::chrono::seconds(1);
  // The run's HTTP client, shared with every other request (one libcurl
  // multi handle); null: the conversation's own.
  std::shared_ptr<netcheck::HttpClient> client{};
};

// What the command line asks of IMDS.
struct ImdsFlags {
  bool no_imds = false;                      // --no-imds
  std::optional<std::string> imds_endpoint;  // --imds-endpoint
  double timeout_s = 3.0;                    // --timeout
};

// --no-imds, AWS_EC2_METADATA_DISABLED=true; the endpoint as
// choose_imds_endpoint() says (--imds-endpoint, this shell's
// AWS_EC2_METADATA_SERVICE_ENDPOINT and _MODE, then the agent's own
// environment); timeout = min(1 s, --timeout).
ImdsSettings imds_settings(const ImdsFlags& flags, const GetEnv& env,
                           const AgentEnv& agent_env = {});

// How the conversation talks to IMDS: like the agent and the AWS SDKs,
// politely. IMDS limits simultaneous connections per instance and throttles
// bursts; a SYN beyond the limit is dropped and costs a second.
inline constexpr int kImdsMaxConnections = 2;
// Attempts per request (the SDKs' default): again after 429, 5xx, or a
// transport failure once IMDS has answered something in this conversation.
inline constexpr int kImdsMaxAttempts = 3;
// Before the second attempt; doubled before the third.
inline constexpr auto kImdsFirstBackoff = std::chrono::milliseconds(100);

// The longest the conversation can take to read the identity document (the
// region), retries included: how long a run without --region waits for it.
netcheck::Duration imds_region_bound(const ImdsSettings& settings);

// The leaves of meta-data/network/interfaces/macs/<mac>/ read once
// meta-data/mac is known (the primary interface's VPC).
const std::vector<std::string>& imds_interface_paths();

// The accountId of dynamic/instance-identity/document (JSON); nullopt when
// the answer is not JSON or has no string accountId. Never throws.
std::optional<std::string> account_id_from_identity_document(std::string_view document_text);

// Starts the IMDS conversation on `loop`, on at most kImdsMaxConnections
// keep-alive connections (the second is connected while the token is on its
// way, so the requests after it need no connect of their own: the
// credentials are ready one round trip sooner), in the order of need: the
// IMDSv2 token PUT; the
// instance identity document (the region, instance id, zone, private IP and
// account the agent reads from it); the credentials the agent would use
// (imds_credentials.h: the role list, then the role's credentials, or
// without a role iam/info and the instance identity credentials of Default
// Host Management); then meta-data/mac and the interface's VPC facts. If the
// token cannot be had, the GETs go without one (so the evidence shows
// whether IMDS answers at all). Every request is recorded in out->calls,
// with its attempts and why an answer is unusable; facts read from the
// identity document are kept under the path that serves the same value
// (meta-data/placement/region, meta-data/instance-id, ...).
//
// `on_credentials` runs once the credentials and the instance id are
// settled (out->credentials set when IMDS answered on those paths), early
// enough for the signed call not to wait for the remaining facts;
// `on_done` runs when the conversation is over, after `on_credentials`.
// The keys go to `*credentials_out` only; with nullptr the secret answers
// are not asked for. `out` and `credentials_out` must live until
// `on_done`. Neither the token nor any key is ever stored in `out`.
struct ImdsCallbacks {
  std::function<void()> on_credentials{};
  std::function<void()> on_done{};
};
void start_imds(netcheck::EventLoop& loop, const ImdsSettings& settings, ImdsEvidence* out,
                AwsCredentials* credentials_out, ImdsCallbacks callbacks);

// True once the identity document's request has ended (answered, failed or
// given up): a run that waits for the region can stop waiting.
bool imds_region_settled(const ImdsEvidence& imds);

}  // namespace ssmreach
