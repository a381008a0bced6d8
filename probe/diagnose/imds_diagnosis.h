// IMDS as a target of its own: whether the metadata service answers, with
// or without an IMDSv2 token, and what the agent can do then.
#pragma once

#include <optional>
#include <string>

#include "probe/diagnose/verdict.h"
#include "probe/evidence/evidence.h"

namespace ssmreach::diagnosis_detail {

// imds.unreachable, imds.token-failed, imds.timeout (a token, then no GET
// answered), or ok; nullopt when IMDS was not asked. `summary` is
// summarize_imds() of `imds`; `region` fills the AWS CLI commands
// ("<region>" when empty). Silence at IMDS's IPv6 endpoint [fd00:ec2::254]
// is imds.ipv6-disabled; with `ipv6_only` (the run reached IPv6 and no IPv4
// address), "no route" at the IPv4 endpoint is imds.no-ipv4-route.
std::optional<TargetVerdict> diagnose_imds(const ImdsEvidence& imds, const ImdsSummary& summary,
                                           const std::string& region, bool ipv6_only = false);

}  // namespace ssmreach::diagnosis_detail
