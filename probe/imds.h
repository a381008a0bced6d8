// The instance metadata service, spoken the way the SSM agent speaks it.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "netcheck/clock.h"
#include "netcheck/event_loop.h"
#include "probe/environment.h"
#include "probe/evidence.h"
#include "probe/options.h"
#include "probe/sigv4.h"

namespace ssmreach {

struct ImdsSettings {
  bool enabled = true;
  std::string endpoint = "http://169.254.169.254";
  std::string skipped_by;  // why not enabled
  // Each IMDS request gets this much. IMDS answers in well under a
  // millisecond on EC2, so a short limit of its own keeps a blackholed IMDS
  // (not on EC2, hop limit, iptables) from stalling the run.
  netcheck::Duration timeout = std::chrono::seconds(1);
};

// --no-imds, AWS_EC2_METADATA_DISABLED=true, --imds-endpoint,
// AWS_EC2_METADATA_SERVICE_ENDPOINT; timeout = min(1 s, --timeout).
ImdsSettings imds_settings(const Options& options, const GetEnv& env);

// The metadata paths (below /latest/) this run reads first.
const std::vector<std::string>& imds_paths();
// Then, once meta-data/mac is known, these leaves of
// meta-data/network/interfaces/macs/<mac>/ (the primary interface's VPC).
const std::vector<std::string>& imds_interface_paths();

// The accountId of dynamic/instance-identity/document (JSON); nullopt when
// the answer is not JSON or has no string accountId. Never throws.
std::optional<std::string> account_id_from_identity_document(std::string_view document_text);

// Metadata that must never reach a report or an evidence file: credentials
// (the instance profile's and the instance identity's), tokens, user data.
// The client keeps the credential answers out of the facts (only
// CredentialEvidence describes them) and never reads user data; this guards
// the outputs should a later change (or a hand-made evidence file) hold them.
bool is_secret_fact(const std::string& key, const std::string& value);

// Starts the IMDS conversation on `loop`: an IMDSv2 token PUT, then the GETs
// with the token; if the token cannot be had, the GETs without one (so the
// evidence shows whether IMDS answers at all). Beside the facts it asks for
// the credentials the SSM agent would use (imds_credentials.h): iam/info and
// the role list, then the role's credentials, or without a role the
// instance identity credentials of Default Host Management. Fills `out`;
// out->credentials only when IMDS answered on those paths. The keys go to
// `*credentials_out` only; with nullptr the secret answers are not asked
// for (iam/info and the role list still are). `out` and `credentials_out`
// must live until `on_done`. Neither the token nor any key is ever stored
// in `out`.
void start_imds(netcheck::EventLoop& loop, const ImdsSettings& settings, ImdsEvidence* out,
                AwsCredentials* credentials_out, std::function<void()> on_done);

}  // namespace ssmreach
