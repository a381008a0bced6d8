// The instance metadata service, spoken the way the SSM agent speaks it.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "netcheck/clock.h"
#include "netcheck/event_loop.h"
#include "probe/environment.h"
#include "probe/evidence.h"
#include "probe/options.h"

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

// Metadata that must never reach a report or an evidence file: credentials,
// tokens, user data. The client never reads these paths; this guards the
// outputs should a later change (or a hand-made evidence file) hold them.
bool is_secret_fact(const std::string& key, const std::string& value);

// Starts the IMDS conversation on `loop`: an IMDSv2 token PUT, then the GETs
// with the token; if the token cannot be had, the GETs without one (so the
// evidence shows whether IMDS answers at all). Fills `out` (which must live
// until `on_done`); the token itself is never stored in it.
void start_imds(netcheck::EventLoop& loop, const ImdsSettings& settings, ImdsEvidence* out,
                std::function<void()> on_done);

}  // namespace ssmreach
